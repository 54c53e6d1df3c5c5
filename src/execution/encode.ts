import { createHash } from "node:crypto";
import { CompactEncrypt, CompactSign, importSPKI, type CryptoKey } from "jose";
import type { InstanceKey } from "./instance-key.js";

/** How a target wants its payload (`PAYLOAD_TYPE_*`; unspecified is mapped to `json` before this point). */
export type PayloadType = "json" | "jwt" | "jwe";

/** A target's active public key for JWE, as stored by AddPublicKey (PKIX `PUBLIC KEY` PEM). */
export interface EncryptionKey {
  /** The public key id; it becomes the JWE `kid`. */
  id: string;
  pem: string;
  keyType: "rsa" | "ec";
}

/** What {@link PayloadEncoder.encode} needs to know about a target. */
export interface EncodeTarget {
  payloadType: PayloadType;
  /** The target's active, unexpired public key; required for `jwe`. */
  publicKey?: EncryptionKey;
}

/** Why a payload could not be encoded; in every case the target must not be called. */
export type EncodeFailure = "missing_encryption_key" | "invalid_public_key" | "signing_failed";

/** The request body for a target, or why there is none. */
export type EncodeResult = { ok: true; body: string } | { ok: false; reason: EncodeFailure; message: string };

/** Turns the JSON payload into the body a target receives (JSON, signed JWT or JWE). */
export interface PayloadEncoder {
  /** Encodes `json` for `target`; never throws (failures are results). */
  encode(json: string, target: EncodeTarget): Promise<EncodeResult>;
}

/** Dependencies of {@link createPayloadEncoder}. */
export interface PayloadEncoderDeps {
  /** The instance key; called only for JWT/JWE targets, so JSON-only setups never create one. */
  instanceKey: () => Promise<InstanceKey>;
  /** Maximum number of imported public keys kept in memory (default 1000). */
  maxCachedKeys?: number;
}

const JWE_ALG = { rsa: "RSA-OAEP-256", ec: "ECDH-ES+A256KW" } as const;
const JWE_ENC = "A256GCM";

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Creates the encoder; imported target public keys are cached (bounded) so repeated calls skip PEM parsing. */
export function createPayloadEncoder(deps: PayloadEncoderDeps): PayloadEncoder {
  const maxCached = deps.maxCachedKeys ?? 1000;
  // Keyed by id and a hash of the PEM and type, so a key replaced under the same id is never served stale.
  const cache = new Map<string, CryptoKey>();

  async function importKey(key: EncryptionKey): Promise<CryptoKey> {
    const cacheKey = `${key.id}:${key.keyType}:${createHash("sha256").update(key.pem).digest("base64url")}`;
    const hit = cache.get(cacheKey);
    if (hit) {
      // Re-insert to keep the map in least-recently-used order for eviction.
      cache.delete(cacheKey);
      cache.set(cacheKey, hit);
      return hit;
    }
    const imported = await importSPKI(key.pem, JWE_ALG[key.keyType]);
    if (cache.size >= maxCached) cache.delete(cache.keys().next().value!);
    cache.set(cacheKey, imported);
    return imported;
  }

  async function sign(json: string): Promise<EncodeResult> {
    try {
      const key = await deps.instanceKey();
      // CompactSign over the exact bytes: SignJWT would re-serialise the payload and could reorder or
      // re-escape it, while the JWT payload must be the JSON body byte for byte (runtime spec (d)).
      const body = await new CompactSign(Buffer.from(json, "utf8"))
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT" })
        .sign(key.privateKey);
      return { ok: true, body };
    } catch (e) {
      return { ok: false, reason: "signing_failed", message: `cannot sign the JWT payload: ${messageOf(e)}` };
    }
  }

  async function encrypt(jwt: string, publicKey: EncryptionKey): Promise<EncodeResult> {
    let key: CryptoKey;
    try {
      key = await importKey(publicKey);
    } catch (e) {
      return { ok: false, reason: "invalid_public_key", message: `public key ${publicKey.id} is not a usable ${publicKey.keyType.toUpperCase()} key: ${messageOf(e)}` };
    }
    try {
      const body = await new CompactEncrypt(Buffer.from(jwt, "utf8"))
        .setProtectedHeader({ alg: JWE_ALG[publicKey.keyType], enc: JWE_ENC, kid: publicKey.id, typ: "JWT", cty: "JWT" })
        .encrypt(key);
      return { ok: true, body };
    } catch (e) {
      // jose refuses keys it imported but will not use (e.g. RSA below 2048 bits); the key is at fault.
      return { ok: false, reason: "invalid_public_key", message: `cannot encrypt to public key ${publicKey.id}: ${messageOf(e)}` };
    }
  }

  return {
    async encode(json, target) {
      // Anything but jwt/jwe is JSON, as upstream treats unspecified and unknown payload types.
      if (target.payloadType !== "jwt" && target.payloadType !== "jwe") return { ok: true, body: json };
      // Check the key before signing so a misconfigured JWE target costs no signature.
      if (target.payloadType === "jwe" && !target.publicKey) {
        return { ok: false, reason: "missing_encryption_key", message: "the target has no active public key to encrypt the payload" };
      }
      const signed = await sign(json);
      if (!signed.ok || target.payloadType === "jwt") return signed;
      return encrypt(signed.body, target.publicKey!);
    },
  };
}
