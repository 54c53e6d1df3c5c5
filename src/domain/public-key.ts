import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import { invalidArgument, type DomainError } from "./errors.js";

/** A validated SubjectPublicKeyInfo that a JWE can be encrypted to (RSA-OAEP-256 or ECDH-ES+A256KW). */
export interface ParsedPublicKey {
  /** The key re-encoded as one canonical `PUBLIC KEY` PEM block (64-column base64, trailing newline). */
  pem: string;
  keyType: "rsa" | "ec";
  /** `SHA256:` + unpadded standard base64 of SHA-256 over the DER SPKI, as OpenSSH prints fingerprints. */
  fingerprint: string;
}

/** Upper bound of an uploaded key in bytes; an RSA-16384 SPKI PEM is about 2.9 KB. */
export const MAX_PUBLIC_KEY_BYTES = 8192;
/** Smallest accepted RSA modulus. */
export const MIN_RSA_BITS = 2048;

// OpenSSL names of the curves jose can use for ECDH-ES+A256KW, mapped to their JOSE names for messages.
const EC_CURVES: Record<string, string> = { prime256v1: "P-256", secp384r1: "P-384", secp521r1: "P-521" };

const SUPPORTED = "use RSA (2048 bits or more) or EC P-256, P-384 or P-521";

function invalid(problem: string): DomainError {
  return invalidArgument("public_key", problem, "public_key.invalid");
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw invalid("must be UTF-8 text containing a PEM block");
  }
}

/** Explains a wrong PEM label with the command that produces the right one. */
function labelProblem(label: string): string {
  if (label === "RSA PUBLIC KEY") {
    return "is a PKCS#1 RSA PUBLIC KEY; convert it to PUBLIC KEY with `openssl rsa -RSAPublicKey_in -pubout`";
  }
  if (label.includes("PRIVATE KEY")) return "is a private key; upload only the public key (BEGIN PUBLIC KEY)";
  if (label.includes("CERTIFICATE")) return "is a certificate; extract its key with `openssl x509 -pubkey -noout`";
  return `PEM label must be PUBLIC KEY, got ${label === "" ? "an empty label" : label}`;
}

/**
 * Extracts the DER body of the single PEM block; text outside the block is tolerated, as RFC 7468 asks
 * of parsers, but it is not kept.
 */
function pemBody(text: string): Buffer {
  const begins = [...text.matchAll(/-----BEGIN ([^\r\n-]{0,64})-----/g)];
  if (begins.length === 0) throw invalid("must contain a PEM block starting with -----BEGIN PUBLIC KEY-----");
  if (begins.length > 1) throw invalid(`must contain exactly one PEM block, found ${begins.length}`);
  const begin = begins[0]!;
  const label = begin[1]!;
  if (label !== "PUBLIC KEY") throw invalid(labelProblem(label));
  const start = begin.index + begin[0].length;
  const end = text.indexOf("-----END PUBLIC KEY-----", start);
  if (end < 0) throw invalid("PEM block has no -----END PUBLIC KEY----- line");
  const b64 = text.slice(start, end).replace(/\s+/g, "");
  // Strict base64: Buffer.from silently skips bad characters, which would hide a corrupted paste.
  if (b64 === "" || b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
    throw invalid("PEM body is not valid base64");
  }
  return Buffer.from(b64, "base64");
}

function spkiKey(der: Buffer): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: der, format: "der", type: "spki" });
  } catch {
    throw invalid("is not a valid SubjectPublicKeyInfo");
  }
  // OpenSSL ignores trailing bytes and some encoding slack; only canonical DER gets a stable fingerprint.
  if (!key.export({ type: "spki", format: "der" }).equals(der)) {
    throw invalid("is not a canonical DER SubjectPublicKeyInfo (trailing or malformed data)");
  }
  return key;
}

function checkKeyType(key: KeyObject): "rsa" | "ec" {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === "rsa") {
    const bits = details.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) throw invalid(`RSA key must be at least ${MIN_RSA_BITS} bits, got ${bits}`);
    const e = details.publicExponent ?? 0n;
    // e = 1 makes encryption the identity; an even e is not a valid RSA exponent.
    if (e < 3n || e % 2n === 0n) throw invalid("RSA public exponent must be odd and at least 3");
    return "rsa";
  }
  if (type === "ec") {
    const curve = details.namedCurve;
    if (curve === undefined) throw invalid("EC key must use a named curve (P-256, P-384 or P-521)");
    if (!(curve in EC_CURVES)) throw invalid(`EC curve ${curve} is not supported; use P-256, P-384 or P-521`);
    return "ec";
  }
  // rsa-pss keys cannot do RSA-OAEP; Ed25519/X25519/DSA/DH cannot do either JWE algorithm we offer.
  throw invalid(`key type ${type ?? "unknown"} is not supported; ${SUPPORTED}`);
}

/** Validates an uploaded PEM public key (RSA >= 2048 bits or EC P-256/384/521 in a `PUBLIC KEY` block); throws `public_key.invalid` otherwise. */
export function parsePublicKeyPem(bytes: Uint8Array): ParsedPublicKey {
  if (bytes.length === 0) throw invalid("must not be empty");
  if (bytes.length > MAX_PUBLIC_KEY_BYTES) throw invalid(`must be at most ${MAX_PUBLIC_KEY_BYTES} bytes, got ${bytes.length}`);
  const der = pemBody(decodeUtf8(bytes));
  const key = spkiKey(der);
  const keyType = checkKeyType(key);
  const pem = key.export({ type: "spki", format: "pem" }).toString();
  const fingerprint = "SHA256:" + createHash("sha256").update(der).digest("base64").replace(/=+$/, "");
  return { pem, keyType, fingerprint };
}
