import { createHmac } from "node:crypto";
import { constantTimeEqual } from "../crypto/random-secret.js";

/** Default accepted clock difference between signer and receiver, in seconds (as upstream). */
export const DEFAULT_SIGNATURE_TOLERANCE_SEC = 300;

/** Why a `ZITADEL-Signature` header was rejected. */
export type SignatureFailure = "not_signed" | "malformed_header" | "stale" | "future" | "no_valid_signature";

/** Outcome of {@link verifySignature}: the signed timestamp (unix seconds) or the reason for rejection. */
export type SignatureVerification = { ok: true; timestamp: number } | { ok: false; reason: SignatureFailure };

/** Options of {@link verifySignature}. */
export interface VerifySignatureOptions {
  /** Maximum age, and maximum lead into the future, of the signed timestamp in seconds (default 300). */
  toleranceSec?: number;
  /** The receiver's current time in unix seconds (default: the system clock); for tests. */
  nowSec?: number;
}

/** A header value as Node's `req.headers[...]` or fetch's `headers.get(...)` return it. */
export type SignatureHeaderValue = string | readonly string[] | null | undefined;

interface ParsedHeader {
  timestamp: number;
  signatures: Buffer[];
}

const HEX = /^(?:[0-9a-fA-F]{2})+$/;
// 15 digits stay exact in a double and cover any plausible unix time; longer values are malformed.
const UNIX_SECONDS = /^\d{1,15}$/;

/** Joins repeated header lines the way HTTP does, so Node's array form parses like the single-line form. */
function headerText(header: SignatureHeaderValue): string {
  if (header === null || header === undefined) return "";
  return typeof header === "string" ? header : header.join(",");
}

function keyList(keys: string | readonly string[]): readonly string[] {
  return typeof keys === "string" ? [keys] : keys;
}

function toBytes(body: Uint8Array | string): Uint8Array {
  return typeof body === "string" ? Buffer.from(body, "utf8") : body;
}

/**
 * Parses `t=<unix s>,v1=<hex>[,v1=<hex>…]` like upstream's `parseSignatureHeader`: split on `,` then `=`,
 * every part must split into exactly two pieces, unknown keys are ignored and non-hex `v1` values skipped
 * (a later `t` wins). Unlike upstream, a missing or non-numeric `t` is malformed rather than "year 1".
 */
function parseHeader(text: string): ParsedHeader | "malformed_header" | "no_valid_signature" {
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of text.split(",")) {
    const pieces = part.split("=");
    if (pieces.length !== 2) return "malformed_header";
    // Trimming tolerates the ", " that HTTP stacks insert when joining repeated header lines.
    const name = pieces[0]!.trim();
    const value = pieces[1]!.trim();
    if (name === "t") {
      if (!UNIX_SECONDS.test(value)) return "malformed_header";
      timestamp = Number(value);
    } else if (name === "v1" && HEX.test(value)) {
      signatures.push(Buffer.from(value, "hex"));
    }
  }
  if (timestamp === undefined) return "malformed_header";
  if (signatures.length === 0) return "no_valid_signature";
  return { timestamp, signatures };
}

/**
 * Verifies a `ZITADEL-Signature` header (match the header name case-insensitively; Node lowercases it) over
 * the exact raw body with the target's signing key, or several keys while rotating. Every `v1` is compared
 * with the HMAC of `"<t>.<body>"` under every key in constant time. Stricter than upstream, a timestamp more
 * than the tolerance ahead of the receiver's clock is rejected as `future`, so a captured request signed with
 * a skewed clock cannot be replayed for longer than the tolerance.
 */
export function verifySignature(
  header: SignatureHeaderValue,
  rawBody: Uint8Array | string,
  keys: string | readonly string[],
  options: VerifySignatureOptions = {},
): SignatureVerification {
  const text = headerText(header);
  if (text === "") return { ok: false, reason: "not_signed" };
  const parsed = parseHeader(text);
  if (typeof parsed === "string") return { ok: false, reason: parsed };

  const tolerance = options.toleranceSec ?? DEFAULT_SIGNATURE_TOLERANCE_SEC;
  const now = options.nowSec ?? Math.floor(Date.now() / 1000);
  if (now - parsed.timestamp > tolerance) return { ok: false, reason: "stale" };
  if (parsed.timestamp - now > tolerance) return { ok: false, reason: "future" };

  // The signed prefix is the decimal form of the parsed integer, as upstream computes it (so `t=007` signs "7.").
  const prefix = Buffer.from(`${parsed.timestamp}.`, "utf8");
  const body = toBytes(rawBody);
  let valid = false;
  for (const key of keyList(keys)) {
    const expected = createHmac("sha256", Buffer.from(key, "utf8")).update(prefix).update(body).digest();
    // No early exit: the work done does not reveal which key or which v1 matched.
    for (const signature of parsed.signatures) valid = constantTimeEqual(expected, signature) || valid;
  }
  return valid ? { ok: true, timestamp: parsed.timestamp } : { ok: false, reason: "no_valid_signature" };
}

/**
 * Verifies the legacy `X-ZITADEL-Signature: sha256=<hex HMAC-SHA256 of the raw body>` header against one or
 * more keys in constant time. It carries no timestamp, so it does not protect against replay; prefer
 * {@link verifySignature}.
 */
export function verifyLegacySignature(header: SignatureHeaderValue, rawBody: Uint8Array | string, keys: string | readonly string[]): boolean {
  const text = headerText(header).trim();
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(text);
  if (!match) return false;
  const signature = Buffer.from(match[1]!, "hex");
  const body = toBytes(rawBody);
  let valid = false;
  for (const key of keyList(keys)) {
    const expected = createHmac("sha256", Buffer.from(key, "utf8")).update(body).digest();
    valid = constantTimeEqual(expected, signature) || valid;
  }
  return valid;
}
