import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import Database from "better-sqlite3";
import { startRecordingTarget } from "../helpers/recording-target.js";

const children: ChildProcess[] = [];
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
  for (const c of cleanups.splice(0).reverse()) await c();
});

function startChild(args: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", "test/helpers/crash-child.ts", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

async function until(predicate: () => boolean, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("crash safety", () => {
  it("loses no event when the server is killed with SIGKILL mid-delivery; duplicates keep their webhook-id", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tether-crash-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const receiver = await startRecordingTarget();
    cleanups.push(() => receiver.close());
    receiver.respond("/tick", { delayMs: 3 });

    const first = startChild(["setup", dataDir, `http://127.0.0.1:${receiver.port}`, "300"]);
    // Kill while events are still being pushed and delivered.
    await until(() => receiver.received.length >= 40, "40 deliveries before the kill");
    first.child.kill("SIGKILL");
    await once(first.child, "exit");
    const receivedBeforeKill = receiver.received.length;

    const second = startChild(["resume", dataDir, `http://127.0.0.1:${receiver.port}`]);
    await until(() => /idle delivered=\d+ dead=0/.test(second.output()), "the restarted server to deliver everything", 60_000);
    second.child.kill("SIGTERM");
    await once(second.child, "exit");

    const db = new Database(join(dataDir, "tether.db"), { readonly: true });
    cleanups.push(() => void db.close());
    const events = db.prepare("SELECT aggregate_id, sequence FROM events WHERE event_type = 'demo.tick'").all() as { aggregate_id: string; sequence: number }[];
    const jobs = db.prepare("SELECT id, state FROM deliveries").all() as { id: string; state: string }[];
    expect(events.length).toBeGreaterThan(40);
    expect(jobs).toHaveLength(events.length); // every committed event got its job in the same transaction
    expect(jobs.every((j) => j.state === "delivered")).toBe(true);

    const receivedIds = new Set(receiver.received.map((r) => r.headers["webhook-id"] as string));
    for (const j of jobs) expect(receivedIds.has(j.id), `job ${j.id} reached the receiver`).toBe(true);
    const seen = new Set(receiver.received.map((r) => { const p = JSON.parse(r.body.toString()); return `${p.aggregateID}/${p.sequence}`; }));
    for (const e of events) expect(seen.has(`${e.aggregate_id}/${e.sequence}`)).toBe(true);
    // A re-delivered job carries the same webhook-id and the same body.
    const bodies = new Map<string, string>();
    for (const r of receiver.received) {
      const id = r.headers["webhook-id"] as string;
      const body = r.body.toString();
      if (bodies.has(id)) expect(body).toBe(bodies.get(id));
      bodies.set(id, body);
    }
    expect(receivedBeforeKill).toBeGreaterThanOrEqual(40);
  });
});
