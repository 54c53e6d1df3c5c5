import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, randomBytes } from "node:crypto";

/** Encrypts small secrets (signing keys, instance keys) for storage; `aad` names the owner so a sealed value cannot be moved to another row. */
export interface SecretBox {
  /** Encrypts `plaintext` bound to `aad` (e.g. `target-signing-key:<targetId>`); returns `v1.<iv>.<ciphertext+tag>` in base64url. */
  seal(plaintext: string, aad: string): string;
  /** Decrypts a value from `seal` with the same `aad`; throws a plain Error on a wrong key, wrong owner, tampering or bad format. */
  open(sealed: string, aad: string): string;
}

const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
// The master key may serve other purposes later; this box uses its own derived subkey.
const HKDF_INFO = "tether/secret-box/v1";

// Messages never include the sealed value, the plaintext or the key.
const MALFORMED = "secret box: sealed value is malformed";
const UNOPENABLE = "secret box: cannot open sealed value (wrong key, wrong owner or tampered)";

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const BASE64URL_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * Strict base64url, exactly the canonical encoding `seal` writes: Buffer.from would silently skip stray
 * characters, a dangling sixth bit group, and bits past the last byte. Checked without re-encoding.
 */
function fromBase64Url(s: string): Buffer {
  if (!BASE64URL.test(s)) throw new Error(MALFORMED);
  const tail = s.length % 4;
  if (tail === 1) throw new Error(MALFORMED);
  if (tail !== 0) {
    // The last digit carries 4 (two digits left over) or 2 (three left over) bits that must be zero.
    const unused = tail === 2 ? 0x0f : 0x03;
    if ((BASE64URL_DIGITS.indexOf(s[s.length - 1]!) & unused) !== 0) throw new Error(MALFORMED);
  }
  return Buffer.from(s, "base64url");
}

/** CSPRNG output fetched in bulk: one randomBytes call per 256 IVs instead of one each (each bit is used once). */
const IV_POOL_BYTES = IV_BYTES * 256;

/** A source of fresh 12-byte IVs; the pool is replaced, never refilled in place, so a returned IV never changes. */
function createIvSource(): () => Buffer {
  let pool = Buffer.alloc(0);
  let at = 0;
  return () => {
    if (at + IV_BYTES > pool.length) {
      pool = randomBytes(IV_POOL_BYTES);
      at = 0;
    }
    const iv = pool.subarray(at, at + IV_BYTES);
    at += IV_BYTES;
    return iv;
  };
}

/** Creates an AES-256-GCM secret box keyed by a subkey derived (HKDF-SHA256) from the 32-byte master key. */
export function createSecretBox(masterKey: Uint8Array): SecretBox {
  if (masterKey.length !== KEY_BYTES) throw new Error(`secret box: master key must be ${KEY_BYTES} bytes`);
  // A KeyObject once: passing a Buffer makes every cipher call probe it as a key type (measured ~10x slower).
  const key = createSecretKey(Buffer.from(hkdfSync("sha256", masterKey, new Uint8Array(0), HKDF_INFO, KEY_BYTES)));

  // Per box, not per module: no shared mutable state between instances (design.md).
  const freshIv = createIvSource();

  return {
    seal(plaintext, aad) {
      // A fresh random IV per seal; with 96-bit IVs the collision risk stays negligible below 2^32 seals per key.
      const iv = freshIv();
      const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(aad, "utf8"));
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
      return `${VERSION}.${iv.toString("base64url")}.${body.toString("base64url")}`;
    },

    open(sealed, aad) {
      // v1.<iv>.<body>, split by hand (no array of parts per call); a third dot lands in the body, which then fails the base64url check.
      const first = sealed.indexOf(".");
      const second = sealed.indexOf(".", first + 1);
      if (first < 0 || second < 0 || sealed.slice(0, first) !== VERSION) throw new Error(MALFORMED);
      const iv = fromBase64Url(sealed.slice(first + 1, second));
      const body = fromBase64Url(sealed.slice(second + 1));
      if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new Error(MALFORMED);
      const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(aad, "utf8"));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      try {
        const plain = decipher.update(body.subarray(0, body.length - TAG_BYTES));
        // GCM releases every byte from update(); final() only checks the tag (and returns nothing).
        const rest = decipher.final();
        return rest.length === 0 ? plain.toString("utf8") : Buffer.concat([plain, rest]).toString("utf8");
      } catch {
        throw new Error(UNOPENABLE);
      }
    },
  };
}
