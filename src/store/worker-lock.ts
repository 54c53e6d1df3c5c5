import Database from "better-sqlite3";
import { closeSync, openSync } from "node:fs";
import type { Db } from "./db.js";

/** The right to run the delivery worker over one database, held until released or the process ends. */
export interface WorkerLock {
  release(): void;
}

const HELD_IN_MEMORY: WorkerLock = { release() {} };

/** Creates the lock file owner-only if it is not there yet; an existing one (perhaps another user's) is left as it is. */
function createOwnerOnly(path: string): void {
  try {
    closeSync(openSync(path, "wx", 0o600));
  } catch (e) {
    if ((e as { code?: unknown }).code !== "EEXIST") throw e;
  }
}

/**
 * Takes the database's delivery-worker lock, or returns undefined when another connection holds it (another
 * process on the same data directory, or another Tether in this one). Claims live in the worker's memory, so
 * two workers would send every due job twice; the lock keeps it to one.
 *
 * The lock is an exclusive transaction on a small SQLite file next to the database: the operating system
 * drops it with the process, so a `kill -9` never leaves a stale lock behind (a lock file would).
 */
export function tryWorkerLock(db: Pick<Db, "name" | "memory">): WorkerLock | undefined {
  // Nobody else can open an in-memory database.
  if (db.memory) return HELD_IN_MEMORY;
  const path = `${db.name}-worker.lock`;
  createOwnerOnly(path);
  const lock = new Database(path, { timeout: 0 });
  try {
    // No journal file: the transaction never writes, and taking the lock should not need free disk space.
    lock.pragma("journal_mode = MEMORY");
    lock.exec("BEGIN EXCLUSIVE");
  } catch (e) {
    lock.close();
    if ((e as { code?: unknown }).code === "SQLITE_BUSY") return undefined;
    throw e;
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      lock.exec("ROLLBACK");
      lock.close();
    },
  };
}
