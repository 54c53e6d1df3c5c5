import { createHmac } from "node:crypto";

/** Name of the signature header ZITADEL sends and its SDKs verify (`t=<unix s>,v1=<hex>`). */
export const SIGNATURE_HEADER = "ZITADEL-Signature";

/** Name of the legacy header the upstream docs describe (`sha256=<hex>` over the body alone). */
export const LEGACY_SIGNATURE_HEADER = "X-ZITADEL-Signature";

/** Hex HMAC-SHA256 of `message` under the UTF-8 bytes of `key`. */
function hmacHex(key: string, ...message: Uint8Array[]): string {
  // A string key is hashed as its UTF-8 bytes, without the per-call key-object probing a Buffer costs.
  const mac = createHmac("sha256", key);
  for (const part of message) mac.update(part);
  return mac.digest("hex");
}

/**
 * The signature headers of one target call (decisions §6): `ZITADEL-Signature` with one `v1=` per key in
 * the given order (newest first, so several only during a rotation grace period) and
 * `X-ZITADEL-Signature` with the newest key; no headers when `keys` is empty.
 */
export function signatureHeaders(body: Uint8Array | string, keys: readonly string[], nowSec: number): Record<string, string> {
  const newest = keys[0];
  if (newest === undefined) return {};
  // The body is signed exactly as sent: a string is hashed as its UTF-8 bytes, never re-serialised.
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  // A fractional `t` would not verify anywhere (verifiers parse an integer and sign its decimal form).
  const t = String(Math.floor(nowSec));
  const prefix = Buffer.from(`${t}.`, "utf8");
  const v1 = keys.map((key) => `v1=${hmacHex(key, prefix, bytes)}`);
  return {
    [SIGNATURE_HEADER]: `t=${t},${v1.join(",")}`,
    [LEGACY_SIGNATURE_HEADER]: `sha256=${hmacHex(newest, bytes)}`,
  };
}
