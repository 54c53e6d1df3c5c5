import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../src/store/db.js";
import { createTokenStore } from "../../src/store/token-store.js";
import { ensureAdminPat, createPatVerifier, PAT_PREFIX } from "../../src/auth/pat.js";
import { ADMIN_PERMISSIONS } from "../../src/auth/permissions.js";
import { sha256 } from "../../src/crypto/random-secret.js";
import { manualClock, sequentialIds } from "../helpers/store-fixtures.js";

const silent = { info: () => {} };
const dirs: string[] = [];
const dbs: Db[] = [];

function setup() {
  const db = openDatabase({ path: ":memory:" });
  dbs.push(db);
  return { db, tokens: createTokenStore(db, { clock: manualClock(), newId: sequentialIds("tok_") }) };
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "tether-pat-"));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("token store", () => {
  it("stores a hash and finds it again", () => {
    const { db, tokens } = setup();
    expect(tokens.count()).toBe(0);
    const id = tokens.insert({ tokenHash: sha256("t1"), name: "ci", userId: "u1", permissions: ["action.target.read"] });
    expect(id).toBe("tok_1001");
    expect(tokens.count()).toBe(1);
    expect(tokens.findByHash(sha256("t1"))).toEqual({ id, tokenHash: sha256("t1"), userId: "u1", permissions: ["action.target.read"] });
    expect(tokens.findByHash(sha256("t2"))).toBeUndefined();
    const row = db.prepare("SELECT created_at FROM tokens WHERE id = ?").get(id) as { created_at: number };
    expect(row.created_at).toBe(Date.parse("2026-01-01T00:00:00Z"));
  });

  it("grants nothing when the stored permissions are not a string array", () => {
    const { db, tokens } = setup();
    db.prepare("INSERT INTO tokens (id, token_hash, name, user_id, permissions, created_at) VALUES ('x', ?, 'n', 'u', 'not json', 0)").run(sha256("bad"));
    expect(tokens.findByHash(sha256("bad"))?.permissions).toEqual([]);
  });
});

describe("ensureAdminPat", () => {
  it("creates the admin token on first start, writes admin.pat with mode 0600 and stores only a hash", () => {
    const { db, tokens } = setup();
    const dataDir = join(tempDir(), "nested", "data");
    const result = ensureAdminPat({ tokens, dataDir, log: silent });
    if (!result.created) throw new Error("expected a new token");
    expect(result.token.startsWith(PAT_PREFIX)).toBe(true);
    const file = join(dataDir, "admin.pat");
    expect(result.path).toBe(file);
    expect(readFileSync(file, "utf8")).toBe(`${result.token}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const dump = JSON.stringify(db.prepare("SELECT id, name, user_id, permissions, hex(token_hash) AS h FROM tokens").all());
    expect(dump).not.toContain(result.token);
    expect(dump).toContain(sha256(result.token).toString("hex").toUpperCase());
  });

  it("does nothing on a later start and leaves the file alone", () => {
    const { tokens } = setup();
    const dataDir = tempDir();
    const first = ensureAdminPat({ tokens, dataDir, log: silent });
    const before = readFileSync(join(dataDir, "admin.pat"), "utf8");
    expect(ensureAdminPat({ tokens, dataDir, log: silent })).toEqual({ created: false });
    expect(readFileSync(join(dataDir, "admin.pat"), "utf8")).toBe(before);
    expect(first.created).toBe(true);
    expect(tokens.count()).toBe(1);
  });

  it("writes no file for an in-memory setup", () => {
    const { tokens } = setup();
    const result = ensureAdminPat({ tokens, dataDir: undefined, log: silent });
    expect(result.created).toBe(true);
    expect(result).not.toHaveProperty("path");
  });

  it("logs where the token is, never the token", () => {
    const { tokens } = setup();
    const lines: string[] = [];
    const result = ensureAdminPat({ tokens, dataDir: tempDir(), log: { info: (f, m) => lines.push(JSON.stringify(f) + m) } });
    expect(lines).toHaveLength(1);
    if (result.created) expect(lines[0]).not.toContain(result.token);
  });

  it("stores nothing when the file cannot be written, so the next start retries", () => {
    const { tokens } = setup();
    const blocker = join(tempDir(), "file");
    // A regular file where the data directory should be makes mkdir fail.
    writeFileSync(blocker, "x");
    expect(() => ensureAdminPat({ tokens, dataDir: blocker, log: silent })).toThrow();
    expect(tokens.count()).toBe(0);
    expect(existsSync(join(blocker, "admin.pat"))).toBe(false);
  });
});

describe("createPatVerifier", () => {
  it("accepts the admin token with every permission", () => {
    const { tokens } = setup();
    const result = ensureAdminPat({ tokens, dataDir: undefined, log: silent });
    if (!result.created) throw new Error("expected a new token");
    const caller = createPatVerifier(tokens)(result.token);
    expect(caller).toEqual({ userId: "admin", permissions: new Set(ADMIN_PERMISSIONS), via: "pat" });
  });

  it("returns exactly the stored permissions of a scoped token", () => {
    const { tokens } = setup();
    tokens.insert({ tokenHash: sha256("scoped"), name: "ro", userId: "u2", permissions: ["action.target.read"] });
    expect(createPatVerifier(tokens)("scoped")?.permissions).toEqual(new Set(["action.target.read"]));
  });

  it("rejects unknown tokens", () => {
    const { tokens } = setup();
    ensureAdminPat({ tokens, dataDir: undefined, log: silent });
    const verify = createPatVerifier(tokens);
    expect(verify(`${PAT_PREFIX}nope`)).toBeUndefined();
    expect(verify("")).toBeUndefined();
  });
});
