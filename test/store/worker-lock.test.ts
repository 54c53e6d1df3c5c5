import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fork } from "node:child_process";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../src/store/db.js";
import { tryWorkerLock } from "../../src/store/worker-lock.js";

const dirs: string[] = [];
const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function fileDb(dir = mkdtempSync(join(tmpdir(), "tether-lock-"))): Db {
  if (!dirs.includes(dir)) dirs.push(dir);
  const db = openDatabase({ path: join(dir, "tether.db") });
  dbs.push(db);
  return db;
}

describe("worker lock", () => {
  it("is held by one connection at a time, owner-only, and free again once released", () => {
    const first = fileDb();
    const second = fileDb(dirs[0]);
    const lock = tryWorkerLock(first)!;
    expect(lock).toBeDefined();
    expect(tryWorkerLock(second)).toBeUndefined();
    expect(statSync(`${first.name}-worker.lock`).mode & 0o777).toBe(0o600);
    lock.release();
    lock.release(); // idempotent
    const again = tryWorkerLock(second);
    expect(again).toBeDefined();
    again!.release();
  });

  it("is refused to another process, and freed when a holder is killed with SIGKILL", async () => {
    const db = fileDb();
    const holder = fork(new URL("../helpers/lock-holder.ts", import.meta.url).pathname, [db.name], { execArgv: ["--import", "tsx"], stdio: ["ignore", "pipe", "inherit", "ipc"] });
    const [line] = (await once(holder.stdout!, "data")) as [Buffer];
    expect(line.toString()).toContain("locked");
    expect(tryWorkerLock(db)).toBeUndefined();
    holder.kill("SIGKILL");
    await once(holder, "exit");
    const lock = tryWorkerLock(db);
    expect(lock).toBeDefined();
    lock!.release();
  });

  it("is always granted for an in-memory database", () => {
    const db = openDatabase({ path: ":memory:" });
    dbs.push(db);
    expect(tryWorkerLock(db)).toBeDefined();
    expect(tryWorkerLock(db)).toBeDefined();
  });
});
