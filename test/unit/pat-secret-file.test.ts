import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ADMIN_PAT_FILE, ensureAdminPat } from "../../src/auth/pat.js";
import { openDatabase, type Db } from "../../src/store/db.js";
import { createTokenStore } from "../../src/store/token-store.js";
import { manualClock, sequentialIds } from "../helpers/store-fixtures.js";

// admin.pat is written through a temporary file; whatever already sits in the data directory (a stale
// temporary file from a crash, a planted symlink) must never receive the token or widen who can read it.

const silent = { info: () => {} };
const dirs: string[] = [];
const dbs: Db[] = [];

function setup() {
  const db = openDatabase({ path: ":memory:" });
  dbs.push(db);
  const dir = mkdtempSync(join(tmpdir(), "tether-pat-file-"));
  dirs.push(dir);
  return { tokens: createTokenStore(db, { clock: manualClock(), newId: sequentialIds("tok_") }), dir };
}

afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function created(result: ReturnType<typeof ensureAdminPat>): string {
  if (!result.created) throw new Error("expected a new token");
  return result.token;
}

describe("writing admin.pat", () => {
  it("does not write the token through a symlink planted at the old predictable temporary path", () => {
    const { tokens, dir } = setup();
    const dataDir = join(dir, "data");
    const outside = join(dir, "attacker-readable.txt");
    writeFileSync(outside, "");
    chmodSync(outside, 0o644);
    mkdirSync(dataDir, { mode: 0o700 });
    symlinkSync(outside, join(dataDir, `${ADMIN_PAT_FILE}.${process.pid}.tmp`));

    const token = created(ensureAdminPat({ tokens, dataDir, log: silent }));
    expect(readFileSync(outside, "utf8")).toBe("");
    expect((statSync(outside).mode & 0o777).toString(8)).toBe("644");
    expect(lstatSync(join(dataDir, ADMIN_PAT_FILE)).isSymbolicLink()).toBe(false);
    expect(readFileSync(join(dataDir, ADMIN_PAT_FILE), "utf8")).toBe(`${token}\n`);
  });

  it("does not put the token in a stale world-readable temporary file, and leaves no temporary file behind", () => {
    const { tokens, dir } = setup();
    writeFileSync(join(dir, `${ADMIN_PAT_FILE}.${process.pid}.tmp`), "stale", { mode: 0o644 });
    const token = created(ensureAdminPat({ tokens, dataDir: dir, log: silent }));
    expect((statSync(join(dir, ADMIN_PAT_FILE)).mode & 0o777).toString(8)).toBe("600");
    const leftovers = readdirSync(dir).filter((name) => name !== ADMIN_PAT_FILE && name !== `${ADMIN_PAT_FILE}.${process.pid}.tmp`);
    expect(leftovers).toEqual([]);
    for (const name of readdirSync(dir).filter((n) => n !== ADMIN_PAT_FILE)) expect(readFileSync(join(dir, name), "utf8")).not.toContain(token);
  });
});
