import { describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, transactionWithoutFsync } from "../../src/store/db.js";

const FULL = 2;
const NORMAL = 1;

function withFileDb(fn: (db: ReturnType<typeof openDatabase>) => void) {
  const dir = mkdtempSync(join(tmpdir(), "tether-db-"));
  const db = openDatabase({ path: join(dir, "t.db") });
  try {
    fn(db);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("openDatabase", () => {
  it("opens in WAL mode with synchronous=FULL and foreign keys on", () => {
    withFileDb((db) => {
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(db.pragma("synchronous", { simple: true })).toBe(FULL);
      expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
    });
  });
});

describe("database file permissions", () => {
  it("creates the database, its WAL and shared-memory files owner-only, whatever the umask", () => {
    const dir = mkdtempSync(join(tmpdir(), "tether-db-mode-"));
    const old = process.umask(0o022);
    try {
      const db = openDatabase({ path: join(dir, "sub", "t.db") });
      db.exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)");
      for (const f of ["t.db", "t.db-wal", "t.db-shm"]) expect((statSync(join(dir, "sub", f)).mode & 0o777).toString(8), f).toBe("600");
      expect((statSync(join(dir, "sub")).mode & 0o777).toString(8)).toBe("700");
      db.close();
    } finally {
      process.umask(old);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("transactionWithoutFsync", () => {
  it("commits with synchronous=NORMAL and puts FULL back afterwards", () => {
    withFileDb((db) => {
      db.exec("CREATE TABLE t (x INTEGER)");
      const seen = transactionWithoutFsync(db, () => {
        db.prepare("INSERT INTO t VALUES (1)").run();
        return db.pragma("synchronous", { simple: true });
      });
      expect(seen).toBe(NORMAL);
      expect(db.pragma("synchronous", { simple: true })).toBe(FULL);
      expect(db.prepare("SELECT COUNT(*) AS n FROM t").get()).toEqual({ n: 1 });
    });
  });

  it("rolls back and still puts FULL back when the body throws", () => {
    withFileDb((db) => {
      db.exec("CREATE TABLE t (x INTEGER)");
      expect(() =>
        transactionWithoutFsync(db, () => {
          db.prepare("INSERT INTO t VALUES (1)").run();
          throw new Error("boom");
        }),
      ).toThrow("boom");
      expect(db.pragma("synchronous", { simple: true })).toBe(FULL);
      expect(db.prepare("SELECT COUNT(*) AS n FROM t").get()).toEqual({ n: 0 });
    });
  });
});
