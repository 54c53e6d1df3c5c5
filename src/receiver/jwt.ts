import {
  compactDecrypt,
  compactVerify,
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  importPKCS8,
  type CompactVerifyGetKey,
  type CryptoKey,
  type JSONWebKeySet,
  type JWTPayload,
  type KeyObject,
} from "jose";

/** Where the signer's public keys come from: a JWKS URL (e.g. `https://tether.example/oauth/v2/keys`), a key set, or a jose key getter. */
export type JwksSource = string | URL | JSONWebKeySet | CompactVerifyGetKey;

/** Options of {@link verifyJwtPayload}. */
export interface VerifyJwtPayloadOptions {
  /** Accepted JWS algorithms (default: the RSA, RSA-PSS, ECDSA and EdDSA ones; never `none` or HMAC). */
  algorithms?: readonly string[];
  /** The time `exp`/`nbf` claims are checked against, when a token carries them (default: now). */
  currentDate?: Date;
  /** Allowed clock skew for `exp`/`nbf` in seconds (default 0, as jose's `jwtVerify`). */
  clockToleranceSec?: number;
}

/** A private key for JWE decryption: a key object, or a PKCS#8 `PRIVATE KEY` PEM. */
export type DecryptionKey = CryptoKey | KeyObject | string;

/** Asymmetric signature algorithms a web key may use; HMAC is excluded so a public key can never act as a MAC secret. */
export const DEFAULT_JWT_ALGORITHMS: readonly string[] = [
  "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519",
];

/** Key management algorithms Tether (and ZITADEL) use for JWE payloads. */
export const JWE_KEY_ALGORITHMS: readonly string[] = ["RSA-OAEP-256", "ECDH-ES+A256KW"];

/** Content encryption algorithm Tether (and ZITADEL) use for JWE payloads. */
export const JWE_CONTENT_ALGORITHMS: readonly string[] = ["A256GCM"];

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Turns a source into a key getter. For a URL this builds a new remote set (with its own fetch cache) on
 * every call; receivers handling many payloads should build one with `createRemoteJWKSet` or
 * {@link createJwtPayloadVerifier} and reuse it.
 */
function keyGetter(source: JwksSource): CompactVerifyGetKey {
  if (typeof source === "function") return source;
  if (typeof source === "string" || source instanceof URL) return createRemoteJWKSet(new URL(source));
  return createLocalJWKSet(source);
}

async function verifyWith(token: string, getKey: CompactVerifyGetKey, options: VerifyJwtPayloadOptions): Promise<unknown> {
  // compactVerify, not jwtVerify: the payload is the bare JSON body with no exp/iat/iss claims, and it must
  // be parsed as sent rather than validated as a claims set.
  const { payload } = await compactVerify(token, getKey, { algorithms: [...(options.algorithms ?? DEFAULT_JWT_ALGORITHMS)] });
  const body = JSON.parse(strictUtf8.decode(payload)) as unknown;
  checkTimeClaims(body, options);
  return body;
}

/**
 * Payloads carry no `exp`/`nbf`, but a token that does (e.g. an expired access token signed by the same
 * ZITADEL instance key and replayed as a payload) must not outlive them.
 */
function checkTimeClaims(body: unknown, options: VerifyJwtPayloadOptions): void {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return;
  const { exp, nbf } = body as { exp?: unknown; nbf?: unknown };
  const tolerance = options.clockToleranceSec ?? 0;
  if (!Number.isFinite(tolerance) || tolerance < 0) throw new RangeError("clockToleranceSec must be a finite number >= 0");
  const now = Math.floor((options.currentDate ?? new Date()).getTime() / 1000);
  if (typeof exp === "number" && !(exp > now - tolerance)) {
    throw new errors.JWTExpired('"exp" claim timestamp check failed', body as JWTPayload, "exp", "check_failed");
  }
  if (typeof nbf === "number" && !(nbf <= now + tolerance)) {
    throw new errors.JWTClaimValidationFailed('"nbf" claim timestamp check failed', body as JWTPayload, "nbf", "check_failed");
  }
}

/**
 * Verifies a JWT payload (compact JWS signed with the Tether or ZITADEL instance key) against a JWKS and
 * returns the parsed JSON body; rejects (a jose error or SyntaxError) when the signature, algorithm or JSON
 * is invalid, or when the token carries an `exp` in the past or an `nbf` in the future. Payloads themselves
 * carry no expiry, so pair it with the `ZITADEL-Signature` timestamp check.
 */
export async function verifyJwtPayload(token: string, jwks: JwksSource, options: VerifyJwtPayloadOptions = {}): Promise<unknown> {
  return verifyWith(token, keyGetter(jwks), options);
}

/** A reusable verifier over one JWKS source; a remote key set is fetched once and cached by jose. */
export interface JwtPayloadVerifier {
  /** Verifies a JWT payload and returns its JSON body, as {@link verifyJwtPayload}. */
  verify(token: string): Promise<unknown>;
  /** Decrypts a JWE payload, verifies the inner JWT and returns its JSON body, as {@link decryptAndVerify}. */
  decryptAndVerify(token: string, privateKey: DecryptionKey): Promise<unknown>;
}

/** Creates a {@link JwtPayloadVerifier} that keeps one key getter (and so one JWKS cache) for all payloads. */
export function createJwtPayloadVerifier(jwks: JwksSource, options: VerifyJwtPayloadOptions = {}): JwtPayloadVerifier {
  const getKey = keyGetter(jwks);
  return {
    verify: (token) => verifyWith(token, getKey, options),
    decryptAndVerify: async (token, privateKey) => verifyWith(await decryptJwePayload(token, privateKey), getKey, options),
  };
}

/**
 * Decrypts a JWE payload (`RSA-OAEP-256` or `ECDH-ES+A256KW` with `A256GCM`) with the private key whose public
 * half was registered with AddPublicKey, and returns the inner JWT (a compact JWS string) unverified; compressed
 * (`zip`) tokens are refused.
 */
export async function decryptJwePayload(token: string, privateKey: DecryptionKey): Promise<string> {
  const options = {
    keyManagementAlgorithms: [...JWE_KEY_ALGORITHMS],
    contentEncryptionAlgorithms: [...JWE_CONTENT_ALGORITHMS],
    // Tether and ZITADEL never compress; anyone holding the public key could otherwise make the receiver inflate.
    maxDecompressedLength: 0,
  };
  // A PEM is imported for the algorithm the header names; jose has already checked it against the allow-list.
  const key = typeof privateKey === "string" ? (header: { alg?: string }) => importPKCS8(privateKey, header.alg ?? "") : privateKey;
  const { plaintext } = await compactDecrypt(token, key, options);
  return strictUtf8.decode(plaintext);
}

/** Decrypts a JWE payload, verifies the inner JWT against the JWKS and returns the parsed JSON body. */
export async function decryptAndVerify(
  token: string,
  privateKey: DecryptionKey,
  jwks: JwksSource,
  options: VerifyJwtPayloadOptions = {},
): Promise<unknown> {
  return verifyJwtPayload(await decryptJwePayload(token, privateKey), jwks, options);
}
