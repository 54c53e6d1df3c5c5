import type { Db } from "./db.js";
import type { Clock } from "../domain/clock.js";

/** A token row as the verifier needs it; `tokenHash` lets it re-compare the hash in constant time. */
export interface TokenRecord {
  id: string;
  tokenHash: Buffer;
  userId: string;
  permissions: string[];
}

/** Personal access tokens, stored only as SHA-256 hashes of the token. */
export interface TokenStore {
  /** Stores a token hash; returns the new row's id. */
  insert(token: { tokenHash: Buffer; name: string; userId: string; permissions: string[] }): string;
  /** The token whose hash is `hash`, if any. */
  findByHash(hash: Buffer): TokenRecord | undefined;
  /** How many tokens exist (zero on a fresh database). */
  count(): number;
}

interface TokenRow {
  id: string;
  token_hash: Buffer;
  user_id: string;
  permissions: string;
}

/** Creates the token store over the `tokens` table. */
export function createTokenStore(db: Db, deps: { clock: Clock; newId: () => string }): TokenStore {
  const insert = db.prepare(
    "INSERT INTO tokens (id, token_hash, name, user_id, permissions, created_at) VALUES (?, ?, ?, ?, ?, ?)",
  );
  const byHash = db.prepare<[Buffer], TokenRow>("SELECT id, token_hash, user_id, permissions FROM tokens WHERE token_hash = ?");
  const count = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM tokens");

  return {
    insert(token) {
      const id = deps.newId();
      insert.run(id, token.tokenHash, token.name, token.userId, JSON.stringify(token.permissions), deps.clock().getTime());
      return id;
    },
    findByHash(hash) {
      const row = byHash.get(hash);
      if (!row) return undefined;
      return { id: row.id, tokenHash: row.token_hash, userId: row.user_id, permissions: parsePermissions(row.permissions) };
    },
    count() {
      return count.get()!.n;
    },
  };
}

// A row edited by hand into something that is not a string array grants nothing rather than crashing auth.
function parsePermissions(json: string): string[] {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter((p): p is string => typeof p === "string") : [];
  } catch {
    return [];
  }
}
