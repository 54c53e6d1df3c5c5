import { afterEach, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../src/store/db.js";
import { createDeliveryStore } from "../../src/store/delivery-store.js";
import { createEventLog } from "../../src/store/event-log.js";
import { runAdmin } from "../../src/cli/run-admin.js";
import { ADMIN_USAGE } from "../../src/cli/admin-args.js";
import { actor, memoryStores, newTarget } from "../helpers/store-fixtures.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "tether-admin-"));
  dirs.push(d);
  return d;
}

/** A data dir with a database holding `request` → down and `event/execution.*` → audit. */
function seededDataDir(): { dir: string; down: string; audit: string } {
  const dir = tempDir();
  const s = memoryStores(openDatabase({ path: join(dir, "tether.db") }));
  const down = s.targets.create(newTarget({ name: "down", type: "call", interruptOnError: true }), actor).target.id;
  const audit = s.targets.create(newTarget({ name: "audit" }), actor).target.id;
  s.executions.set("request", [down], actor);
  s.executions.set("event/execution.*", [audit], actor);
  s.db.close();
  return { dir, down, audit };
}

function run(argv: string[], env: Record<string, string | undefined> = {}) {
  let stdout = "";
  let stderr = "";
  const code = runAdmin(argv, { env, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe("runAdmin", () => {
  it("prints the help on stdout with exit code 0", () => {
    expect(run(["--help"])).toEqual({ code: 0, stdout: ADMIN_USAGE, stderr: "" });
  });

  it("exits 2 with the problem and the usage on stderr for a usage error", () => {
    const r = run(["executions", "purge"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`tether-admin: unknown executions command "purge": use list or clear\n\n${ADMIN_USAGE}`);
  });

  it("exits 1 for a missing data directory or database, and creates neither", () => {
    const parent = tempDir();
    const missing = join(parent, "nope");
    const r = run(["executions", "list", "--data-dir", missing]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`tether-admin: data directory ${missing} does not exist (use --data-dir or TETHER_DATA_DIR)\n`);
    expect(existsSync(missing)).toBe(false);
    const empty = run(["executions", "clear", "--all"], { TETHER_DATA_DIR: parent });
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/^tether-admin: no Tether database in .*tether\.db is missing/);
    expect(readdirSync(parent)).toEqual([]);
  });

  it("lists the executions of the data dir as text and as JSON", () => {
    const { dir, down } = seededDataDir();
    const text = run(["executions", "list", "-d", dir]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^2 executions:\nevent\/execution\.\*  \(changed .*\)\n  1\. audit \[webhook\] .*\nrequest  \(changed .*\)\n  1\. down \[call, interrupts on error\] /);
    const json = run(["executions", "list", "--json"], { TETHER_DATA_DIR: dir });
    expect(JSON.parse(json.stdout).executions.map((e: { condition: string }) => e.condition)).toEqual(["event/execution.*", "request"]);
    expect(JSON.parse(json.stdout).executions[1].targets[0]).toMatchObject({ id: down, name: "down", interruptOnError: true });
  });

  it("exits 1 and changes nothing when a named condition is not set", () => {
    const { dir } = seededDataDir();
    const r = run(["executions", "clear", "request", "response", "-d", dir]);
    expect(r).toEqual({ code: 1, stdout: "", stderr: 'tether-admin: no execution is set for "response"; nothing was cleared (see executions list)\n' });
    expect(run(["executions", "list", "--json", "-d", dir]).stdout).toContain('"request"');
  });

  it("clears by condition with execution.removed events that event executions match like the server's", () => {
    const { dir, audit } = seededDataDir();
    const r = run(["executions", "clear", "request", "-d", dir], { TETHER_INSTANCE_ID: "prod" });
    expect(r).toEqual({ code: 0, stdout: "cleared request\nA running server uses the change on its next RPC.\n", stderr: "" });
    const db = openDatabase({ path: join(dir, "tether.db") });
    try {
      const removed = createEventLog(db, { instanceId: "x" }).readAfter(0, 100).filter((e) => e.type === "execution.removed");
      expect(removed).toMatchObject([{ aggregateId: "request", creator: "tether-admin-cli", resourceOwner: "prod" }]);
      const jobs = createDeliveryStore(db, { clock: () => new Date(), newId: () => "x" }).list({ page: { offset: 0, limit: 10, asc: true } });
      expect(jobs.items).toMatchObject([{ kind: "event", executionId: "event/execution.*", eventType: "execution.removed", target: { id: audit }, state: "pending" }]);
    } finally {
      db.close();
    }
    expect(run(["executions", "list", "-d", dir]).stdout).not.toMatch(/^request/m);
  });

  it("clears everything with --all and says so when nothing is left", () => {
    const { dir } = seededDataDir();
    expect(run(["executions", "clear", "--all", "-d", dir]).stdout).toBe("cleared event/execution.*\ncleared request\nA running server uses the change on its next RPC.\n");
    expect(run(["executions", "list", "-d", dir]).stdout).toBe("no executions\n");
    expect(run(["executions", "clear", "--all", "-d", dir])).toMatchObject({ code: 0, stdout: "no executions to clear\n" });
  });
});
