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

// Upstream sends one v1 and Tether one per key in a grace period; a longer header is an attack, not a
// signature, and parsing it would cost time proportional to its length times the number of keys.
const MAX_HEADER_LENGTH = 64 * 1024;

/**
 * The usable keys. An HMAC under "" is computable by anyone, so an empty key is never used: a single key
 * that is empty or missing (an unset variable) throws, while empty or missing entries of a list (an unused
 * "previous key" slot while not rotating) are skipped.
 */
function keyList(keys: string | readonly string[], fn: string): readonly string[] {
  if (!Array.isArray(keys)) {
    if (typeof keys !== "string" || keys === "") throw new TypeError(`${fn}: the signing key must be a non-empty string`);
    return [keys];
  }
  const list: readonly unknown[] = keys;
  if (list.some((key) => typeof key !== "string" && key !== undefined && key !== null)) {
    throw new TypeError(`${fn}: signing keys must be strings`);
  }
  return list.filter((key): key is string => typeof key === "string" && key !== "");
}

function toBytes(body: Uint8Array | string, fn: string): Uint8Array {
  if (typeof body === "string") return Buffer.from(body, "utf8");
  // A parsed JSON body (e.g. express.json()'s req.body) cannot be verified: its bytes are gone.
  if (!(body instanceof Uint8Array)) throw new TypeError(`${fn}: rawBody must be the raw request body as a string or bytes`);
  return body;
}

/** The checked clock settings; NaN or negative values would make both age checks false and accept any timestamp. */
function clockOf(options: VerifySignatureOptions): { tolerance: number; now: number } {
  const tolerance = options.toleranceSec ?? DEFAULT_SIGNATURE_TOLERANCE_SEC;
  const now = options.nowSec ?? Math.floor(Date.now() / 1000);
  if (!Number.isFinite(tolerance) || tolerance < 0) throw new RangeError("verifySignature: toleranceSec must be a finite number >= 0");
  if (!Number.isFinite(now)) throw new RangeError("verifySignature: nowSec must be a finite number");
  return { tolerance, now };
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
 * a skewed clock cannot be replayed for longer than the tolerance. Whatever the sender put in the header gives
 * a result, never an exception; a receiver bug (an empty or missing key, a parsed instead of a raw body, NaN or
 * negative clock options) throws, so a misconfiguration cannot silently accept forged or replayed calls. Empty
 * entries of a key list are skipped, never used.
 */
export function verifySignature(
  header: SignatureHeaderValue,
  rawBody: Uint8Array | string,
  keys: string | readonly string[],
  options: VerifySignatureOptions = {},
): SignatureVerification {
  // Arguments the receiver's own code supplies are checked first and throw; what the caller sent never throws.
  const keyStrings = keyList(keys, "verifySignature");
  const body = toBytes(rawBody, "verifySignature");
  const { tolerance, now } = clockOf(options);
  const text = headerText(header);
  if (text === "") return { ok: false, reason: "not_signed" };
  if (text.length > MAX_HEADER_LENGTH) return { ok: false, reason: "malformed_header" };
  const parsed = parseHeader(text);
  if (typeof parsed === "string") return { ok: false, reason: parsed };

  if (now - parsed.timestamp > tolerance) return { ok: false, reason: "stale" };
  if (parsed.timestamp - now > tolerance) return { ok: false, reason: "future" };

  // The signed prefix is the decimal form of the parsed integer, as upstream computes it (so `t=007` signs "7.").
  const prefix = Buffer.from(`${parsed.timestamp}.`, "utf8");
  let valid = false;
  for (const key of keyStrings) {
    const expected = createHmac("sha256", Buffer.from(key, "utf8")).update(prefix).update(body).digest();
    // No early exit: the work done does not reveal which key or which v1 matched.
    for (const signature of parsed.signatures) valid = constantTimeEqual(expected, signature) || valid;
  }
  return valid ? { ok: true, timestamp: parsed.timestamp } : { ok: false, reason: "no_valid_signature" };
}

/**
 * Verifies the legacy `X-ZITADEL-Signature: sha256=<hex HMAC-SHA256 of the raw body>` header against one or
 * more keys in constant time. It carries no timestamp, so it does not protect against replay; prefer
 * {@link verifySignature}. Throws, like {@link verifySignature}, for an empty key or a body that is not raw.
 */
export function verifyLegacySignature(header: SignatureHeaderValue, rawBody: Uint8Array | string, keys: string | readonly string[]): boolean {
  const keyStrings = keyList(keys, "verifyLegacySignature");
  const body = toBytes(rawBody, "verifyLegacySignature");
  const text = headerText(header);
  // The exact form is 71 characters; anything much longer is not worth trimming or matching.
  if (text.length > 256) return false;
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(text.trim());
  if (!match) return false;
  const signature = Buffer.from(match[1]!, "hex");
  let valid = false;
  for (const key of keyStrings) {
    const expected = createHmac("sha256", Buffer.from(key, "utf8")).update(body).digest();
    valid = constantTimeEqual(expected, signature) || valid;
  }
  return valid;
}
