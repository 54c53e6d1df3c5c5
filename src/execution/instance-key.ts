import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from "jose";
import type { SecretBox } from "../crypto/secret-box.js";
import type { Clock } from "../domain/clock.js";
import type { Db } from "../store/db.js";

/** Algorithms the instance key may use for JWT payloads (decisions §11; ES256 is the default). */
export type InstanceKeyAlg = "ES256" | "RS256";

/** The key that signs JWT payloads, with the public keys to publish at `/oauth/v2/keys`. */
export interface InstanceKey {
  kid: string;
  alg: InstanceKeyAlg;
  /** Non-extractable private key for jose's signers. */
  privateKey: CryptoKey;
  /** The public half as a JWK with `kid`, `alg` and `use: "sig"`. */
  publicJwk: JWK;
  /** Public JWKs of earlier keys (newest first), still published so payloads they signed keep verifying. */
  retiredJwks: readonly JWK[];
}

/** Dependencies of {@link loadOrCreateInstanceKey}. */
export interface InstanceKeyDeps {
  db: Db;
  /** Seals the private key at rest (AES-256-GCM under the master key). */
  secrets: SecretBox;
  /** The configured algorithm; a stored key of another algorithm is retired and replaced. */
  alg: InstanceKeyAlg;
  clock: Clock;
  /** Key id of a new key (default: its RFC 7638 JWK thumbprint). */
  newKid?: () => string;
}

/** Name (and sealing aad) of the active key's row in `secrets`. */
export const INSTANCE_KEY_SECRET = "instance-signing-key";
/** Name (and sealing aad) of the row listing retired public keys. */
export const RETIRED_KEYS_SECRET = "instance-signing-key-retired";
// Algorithm switches are rare operator actions; a handful of old keys covers any in-flight payloads.
const MAX_RETIRED = 5;

interface StoredKey {
  v: 1;
  kid: string;
  alg: InstanceKeyAlg;
  /** Private JWK (includes the public members). */
  jwk: JWK;
}

const PUBLIC_MEMBERS: Record<string, readonly string[]> = { EC: ["kty", "crv", "x", "y"], RSA: ["kty", "n", "e"] };

/** The public JWK of a private one: only the public members, plus kid, alg and use. */
function publicJwkOf(stored: StoredKey): JWK {
  const members = PUBLIC_MEMBERS[stored.jwk.kty ?? ""] ?? [];
  const out: Record<string, unknown> = {};
  for (const m of members) out[m] = (stored.jwk as Record<string, unknown>)[m];
  return { ...(out as JWK), kid: stored.kid, alg: stored.alg, use: "sig" };
}

function parseStoredKey(plain: string): StoredKey {
  const value = JSON.parse(plain) as Partial<StoredKey>;
  const ok = value.v === 1 && typeof value.kid === "string" && (value.alg === "ES256" || value.alg === "RS256") && typeof value.jwk?.d === "string";
  if (!ok) throw new Error("instance key: stored key has an unknown format");
  return value as StoredKey;
}

function parseRetired(plain: string): JWK[] {
  const value = JSON.parse(plain) as { v?: number; keys?: unknown };
  if (value.v !== 1 || !Array.isArray(value.keys)) throw new Error("instance key: stored retired keys have an unknown format");
  return value.keys as JWK[];
}

async function generate(alg: InstanceKeyAlg, newKid: (() => string) | undefined): Promise<StoredKey> {
  const pair = await generateKeyPair(alg, alg === "RS256" ? { modulusLength: 2048, extractable: true } : { extractable: true });
  const jwk = await exportJWK(pair.privateKey);
  const kid = newKid ? newKid() : await calculateJwkThumbprint(jwk, "sha256");
  return { v: 1, kid, alg, jwk };
}

async function toInstanceKey(stored: StoredKey, retired: readonly JWK[]): Promise<InstanceKey> {
  // The in-memory key is not extractable: a bug elsewhere cannot export it; the sealed row is its only copy.
  const privateKey = (await importJWK(stored.jwk, stored.alg, { extractable: false })) as CryptoKey;
  return { kid: stored.kid, alg: stored.alg, privateKey, publicJwk: publicJwkOf(stored), retiredJwks: retired };
}

/**
 * Loads the instance signing key from the sealed `secrets` row, creating it on first use. When the stored
 * key's algorithm differs from the configured one, a new key becomes active and the old public key moves to
 * the retired list (kept in the JWKS). Throws when a stored row cannot be opened (e.g. a different master
 * key) instead of silently replacing a key receivers trust.
 */
export async function loadOrCreateInstanceKey(deps: InstanceKeyDeps): Promise<InstanceKey> {
  const { db, secrets } = deps;
  const select = db.prepare<[string], { value_enc: string }>("SELECT value_enc FROM secrets WHERE name = ?");
  const upsert = db.prepare<[string, string, number]>(
    "INSERT INTO secrets (name, value_enc, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET value_enc = excluded.value_enc, created_at = excluded.created_at",
  );
  const readRetired = (): JWK[] => {
    const row = select.get(RETIRED_KEYS_SECRET);
    return row ? parseRetired(secrets.open(row.value_enc, RETIRED_KEYS_SECRET)) : [];
  };

  // Another process (or a concurrent call) may write between our read and our write, and key generation is
  // async so it cannot sit inside a better-sqlite3 transaction: re-check in the transaction and retry.
  for (let attempt = 0; attempt < 3; attempt++) {
    const seen = select.get(INSTANCE_KEY_SECRET)?.value_enc;
    const current = seen === undefined ? undefined : parseStoredKey(secrets.open(seen, INSTANCE_KEY_SECRET));
    if (current?.alg === deps.alg) return toInstanceKey(current, readRetired());

    const fresh = await generate(deps.alg, deps.newKid);
    const written = db.transaction((): JWK[] | undefined => {
      if (select.get(INSTANCE_KEY_SECRET)?.value_enc !== seen) return undefined;
      const at = deps.clock().getTime();
      let retired = readRetired();
      if (current) {
        retired = [publicJwkOf(current), ...retired.filter((k) => k.kid !== current.kid)].slice(0, MAX_RETIRED);
        upsert.run(RETIRED_KEYS_SECRET, secrets.seal(JSON.stringify({ v: 1, keys: retired }), RETIRED_KEYS_SECRET), at);
      }
      upsert.run(INSTANCE_KEY_SECRET, secrets.seal(JSON.stringify(fresh), INSTANCE_KEY_SECRET), at);
      return retired;
    }).immediate();
    if (written) return toInstanceKey(fresh, written);
  }
  throw new Error("instance key: the stored key kept changing while it was being replaced");
}

/** The JSON Web Key Set to serve at `/oauth/v2/keys`: each key's public JWK and its retired ones, without duplicates. */
export function jwks(keys: InstanceKey | readonly InstanceKey[]): { keys: JWK[] } {
  const list: readonly InstanceKey[] = Array.isArray(keys) ? keys : [keys as InstanceKey];
  const out: JWK[] = [];
  const seen = new Set<string>();
  for (const jwk of list.flatMap((k) => [k.publicJwk, ...k.retiredJwks])) {
    const id = jwk.kid ?? JSON.stringify(jwk);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(jwk);
  }
  return { keys: out };
}
