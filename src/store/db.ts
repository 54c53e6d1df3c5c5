import Database from "better-sqlite3";
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { migrations } from "./migrations.js";

/** The SQLite handle every store factory takes. */
export type Db = Database.Database;

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** File path, or `:memory:` for tests. The parent directory is created if missing. */
  path: string;
}

/**
 * Opens (and migrates) the database. WAL with synchronous=FULL: a commit that returned is on disk,
 * so an acknowledged change survives a power cut; foreign keys enforce references.
 */
export function openDatabase(options: OpenDatabaseOptions): Db {
  if (options.path !== ":memory:") mkdirSync(dirname(options.path), { recursive: true, mode: 0o700 });
  const db = new Database(options.path);
  if (options.path !== ":memory:") ownerOnly(options.path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  migrate(db);
  return db;
}

/**
 * Runs `fn` in a transaction that commits without an fsync (synchronous=NORMAL for that commit only).
 * For bookkeeping that may be lost on a power cut without losing anything else: in WAL mode such a commit
 * is never torn, and the next FULL commit syncs it together with its own frames. The delivery worker's
 * rounds use it (a lost "delivered" mark or retry schedule means the job is sent again with the same webhook-id,
 * which at-least-once allows); API writes and event/outbox commits stay FULL.
 */
export function transactionWithoutFsync<T>(db: Db, fn: () => T): T {
  // SQLite refuses to change the safety level inside a transaction; nested, the outer commit decides.
  if (db.inTransaction) return fn();
  // exec, not a kept prepared statement: SQLite applies this pragma when it is compiled, not when it runs.
  db.exec("PRAGMA synchronous = NORMAL");
  try {
    return db.transaction(fn)();
  } finally {
    db.exec("PRAGMA synchronous = FULL");
  }
}

/**
 * The database holds sealed keys, hashed tokens and payloads: owner-only, whatever the umask. SQLite gives
 * the -wal and -shm files the main file's mode, so this runs before WAL mode creates them; existing ones
 * (a data directory from an older version) are tightened too.
 */
function ownerOnly(path: string): void {
  for (const file of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
}

/** Applies the migrations this database has not seen yet, tracked in `user_version`. */
export function migrate(db: Db): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  if (current > migrations.length) {
    throw new Error(
      `database schema version ${current} is newer than this build knows (${migrations.length}); refusing to start`,
    );
  }
  for (let version = current; version < migrations.length; version++) {
    const sql = migrations[version]!;
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}

/** A probe that runs `SELECT 1`: true while the database answers (health checks). */
export function databaseProbe(db: Pick<Db, "prepare">): () => boolean {
  return () => {
    try {
      db.prepare("SELECT 1").get();
      return true;
    } catch {
      return false;
    }
  };
}
