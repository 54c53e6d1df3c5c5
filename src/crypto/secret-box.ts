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

/** Strict base64url: Buffer.from would silently skip stray characters. */
function fromBase64Url(s: string): Buffer {
  if (!/^[A-Za-z0-9_-]+$/.test(s)) throw new Error(MALFORMED);
  const buf = Buffer.from(s, "base64url");
  if (buf.toString("base64url") !== s) throw new Error(MALFORMED);
  return buf;
}

/** Creates an AES-256-GCM secret box keyed by a subkey derived (HKDF-SHA256) from the 32-byte master key. */
export function createSecretBox(masterKey: Uint8Array): SecretBox {
  if (masterKey.length !== KEY_BYTES) throw new Error(`secret box: master key must be ${KEY_BYTES} bytes`);
  // A KeyObject once: passing a Buffer makes every cipher call probe it as a key type (measured ~10x slower).
  const key = createSecretKey(Buffer.from(hkdfSync("sha256", masterKey, new Uint8Array(0), HKDF_INFO, KEY_BYTES)));

  return {
    seal(plaintext, aad) {
      // A fresh random IV per seal; with 96-bit IVs the collision risk stays negligible below 2^32 seals per key.
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(aad, "utf8"));
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
      return `${VERSION}.${iv.toString("base64url")}.${body.toString("base64url")}`;
    },

    open(sealed, aad) {
      const parts = sealed.split(".");
      if (parts.length !== 3 || parts[0] !== VERSION) throw new Error(MALFORMED);
      const iv = fromBase64Url(parts[1]!);
      const body = fromBase64Url(parts[2]!);
      if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new Error(MALFORMED);
      const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(aad, "utf8"));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      try {
        const plain = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
        return plain.toString("utf8");
      } catch {
        throw new Error(UNOPENABLE);
      }
    },
  };
}
