import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fork } from "node:child_process";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../src/store/db.js";
import { startCheckpointer } from "../../src/store/checkpointer.js";

const dirs: string[] = [];
const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) if (db.open) db.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function fileDb(): { db: Db; path: string } {
  const dir = mkdtempSync(join(tmpdir(), "tether-checkpointer-"));
  dirs.push(dir);
  const path = join(dir, "t.db");
  const db = openDatabase({ path });
  dbs.push(db);
  db.exec("CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
  return { db, path };
}

/** ~1,500 WAL pages: past SQLite's default automatic checkpoint (1,000), short of the fallback (10,000). */
function write(db: Db): void {
  const insert = db.prepare("INSERT INTO filler (body) VALUES (?)");
  for (let t = 0; t < 30; t++) db.transaction(() => {
    for (let i = 0; i < 200; i++) insert.run("x".repeat(1000));
  })();
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("background checkpointer", () => {
  it("copies the WAL into the database file from its own thread while the writer never checkpoints", async () => {
    const { db, path } = fileDb();
    const checkpointer = startCheckpointer(db, { intervalMs: 20 });
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(10_000);
    const before = statSync(path).size;
    write(db);
    // Only a checkpoint writes pages into the main file; the writer's own threshold was not reached.
    await until(() => statSync(path).size > before + 4_000_000, "the database file to receive the WAL's pages");
    await checkpointer.close();
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
    expect(db.prepare("SELECT COUNT(*) AS n FROM filler").get()).toEqual({ n: 6000 });
  });

  it("checkpoints once more when it stops, so the file is current", async () => {
    const { db, path } = fileDb();
    const checkpointer = startCheckpointer(db, { intervalMs: 60_000 });
    const before = statSync(path).size;
    write(db);
    expect(statSync(path).size).toBe(before);
    await checkpointer.close();
    expect(statSync(path).size).toBeGreaterThan(before + 4_000_000);
  });

  it("reports a thread that cannot open the database and gives checkpoints back to the writer", async () => {
    const { db, path } = fileDb();
    rmSync(path); // the writer keeps its open file; the thread finds none
    const errors: unknown[] = [];
    const checkpointer = startCheckpointer(db, { onError: (e) => errors.push(e) });
    await checkpointer.close();
    expect(errors).toHaveLength(1);
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
  });

  it("gives the writer back the setting it had before", async () => {
    const { db } = fileDb();
    db.pragma("wal_autocheckpoint = 500");
    await startCheckpointer(db, { intervalMs: 20 }).close();
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(500);
  });

  it("does not keep an embedding process alive", async () => {
    const { path } = fileDb();
    const child = fork(new URL("../helpers/checkpointer-holder.ts", import.meta.url).pathname, [path], { execArgv: ["--import", "tsx"], stdio: ["ignore", "pipe", "inherit", "ipc"] });
    child.disconnect(); // the IPC channel would hold the child open by itself
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    const [code, signal] = (await once(child, "exit")) as [number | null, string | null];
    clearTimeout(timer);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  });

  it("does nothing for an in-memory database", async () => {
    const db = openDatabase({ path: ":memory:" });
    dbs.push(db);
    await startCheckpointer(db).close();
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
  });
});
