import { randomBytes } from "node:crypto";
import { closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TokenStore } from "../store/token-store.js";
import type { Caller } from "./caller.js";
import { ADMIN_PERMISSIONS } from "./permissions.js";
import { constantTimeEqual, generateToken, sha256 } from "../crypto/random-secret.js";
import { syncDir } from "../crypto/sync-dir.js";

/** Prefix of every personal access token; makes a leaked token easy to recognise in secret scanners. */
export const PAT_PREFIX = "tether_pat_";

/** File name of the admin token inside the data directory. */
export const ADMIN_PAT_FILE = "admin.pat";

/**
 * Stored instead of a permission list for the admin token: it stands for every permission this build
 * knows, so an admin token created by an older version also holds permissions added later.
 */
export const ALL_PERMISSIONS = "*";

/** Checks a bearer token against the stored personal access tokens. */
export type PatVerifier = (token: string) => Caller | undefined;

/** The log calls {@link ensureAdminPat} makes (a pino logger fits). */
export interface PatLog {
  info(fields: Record<string, unknown>, message: string): void;
}

/** Dependencies of {@link ensureAdminPat}. */
export interface EnsureAdminPatDeps {
  tokens: TokenStore;
  /** Where `admin.pat` is written; undefined for an in-memory setup, where no file is written. */
  dataDir: string | undefined;
  log: PatLog;
}

/** The outcome of {@link ensureAdminPat}: the token in clear text only when it was just created. */
export type EnsureAdminPatResult = { created: true; token: string; path?: string } | { created: false };

/**
 * On a database without tokens, creates the admin token: stores only its SHA-256 and writes the clear
 * token to `<dataDir>/admin.pat` (mode 0600) so the caller can print it once; otherwise does nothing.
 */
export function ensureAdminPat(deps: EnsureAdminPatDeps): EnsureAdminPatResult {
  if (deps.tokens.count() > 0) return { created: false };
  const token = generateToken(PAT_PREFIX);
  // The file is written before the hash is stored: if writing fails, nothing is stored and the next
  // start tries again, instead of leaving a token nobody can ever read.
  const path = deps.dataDir === undefined ? undefined : writeSecretFile(deps.dataDir, ADMIN_PAT_FILE, `${token}\n`);
  deps.tokens.insert({ tokenHash: sha256(token), name: "admin", userId: "admin", permissions: [ALL_PERMISSIONS] });
  deps.log.info(path ? { path } : {}, "created the admin personal access token");
  return path ? { created: true, token, path } : { created: true, token };
}

/** Creates the verifier of personal access tokens: a lookup by hash, then a constant-time compare. */
export function createPatVerifier(tokens: TokenStore): PatVerifier {
  return (token) => {
    const hash = sha256(token);
    const row = tokens.findByHash(hash);
    // The index lookup is not constant-time, but it only leaks facts about a SHA-256 digest; the
    // explicit compare keeps the accept decision itself free of early exits.
    if (!row || !constantTimeEqual(hash, row.tokenHash)) return undefined;
    const permissions = row.permissions.includes(ALL_PERMISSIONS) ? ADMIN_PERMISSIONS : row.permissions;
    return { userId: row.userId, permissions: new Set(permissions), via: "pat" };
  };
}

// A fresh, unguessable temp file opened exclusively ("wx" never follows a planted symlink nor reuses a
// stale file with a wider mode), synced, then renamed: a crash leaves either no admin.pat or a complete
// one, never an empty file next to a stored hash (which would lock everybody out).
function writeSecretFile(dir: string, name: string, content: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, name);
  const tmp = join(dir, `.${name}.${randomBytes(8).toString("hex")}.tmp`);
  const fd = openSync(tmp, "wx", 0o600);
  try {
    // The umask can only narrow the mode; fchmod makes it exact.
    fchmodSync(fd, 0o600);
    writeFileSync(fd, content);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
  syncDir(dir);
  return path;
}
