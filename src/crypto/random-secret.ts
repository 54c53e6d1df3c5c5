import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

const ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/** Length of a target signing key, as upstream generates them. */
export const SIGNING_KEY_LENGTH = 36;
// 248 = 4 * 62: bytes at or above it are discarded so `byte % 62` is uniform (no modulo bias).
const UNBIASED_LIMIT = 256 - (256 % ALPHANUMERIC.length);

/** A new target signing key: 36 characters from [a-zA-Z0-9], each uniformly chosen from a CSPRNG (~214 bits). */
export function generateSigningKey(): string {
  let out = "";
  while (out.length < SIGNING_KEY_LENGTH) {
    // Ask for a few extra bytes so one batch almost always suffices despite rejections (3% each).
    for (const byte of randomBytes(SIGNING_KEY_LENGTH + 8)) {
      if (byte >= UNBIASED_LIMIT) continue;
      out += ALPHANUMERIC[byte % ALPHANUMERIC.length];
      if (out.length === SIGNING_KEY_LENGTH) break;
    }
  }
  return out;
}

/** A new bearer token: `prefix` followed by 43 base64url characters of 32 random bytes (256 bits). */
export function generateToken(prefix: string): string {
  return prefix + randomBytes(32).toString("base64url");
}

/** SHA-256 of a UTF-8 string, e.g. to store a token's digest instead of the token. */
export function sha256(data: string): Buffer {
  return createHash("sha256").update(data, "utf8").digest();
}

/** Compares two byte strings in time independent of their content; false (not an exception) when lengths differ. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  // Only the length leaks, which is public for fixed-size digests and signatures.
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}
