import { describe, expect, it } from "vitest";
import type { TargetSnapshot } from "../../src/domain/delivery.js";
import { createDeliveryStore } from "../../src/store/delivery-store.js";
import Database from "better-sqlite3";
import { migrate } from "../../src/store/db.js";
import { migrations } from "../../src/store/migrations.js";
import { memoryStores } from "../helpers/store-fixtures.js";

const snapshot: TargetSnapshot = {
  id: "t1",
  name: "sink",
  type: "webhook",
  endpoint: "https://example.com/hook",
  timeoutMs: 5000,
  payloadType: "json",
  interruptOnError: false,
  sealedSigningKeys: ["sealed-key"],
} as TargetSnapshot;

function setup() {
  const s = memoryStores();
  let n = 0;
  const deliveries = createDeliveryStore(s.db, { clock: s.clock, newId: () => `job-${++n}` });
  const enqueue = () => deliveries.enqueue({ kind: "event", executionId: "event/x", target: snapshot, payload: "{}" });
  const attempt = (n: number) => ({ attempt: n, startedAt: s.clock(), latencyMs: 1.5, outcome: "ok", status: 200 });
  return { ...s, deliveries, enqueue, attempt };
}

describe("delivery store", () => {
  it("records a claimed job's attempt by its row number, as by its id", () => {
    const s = setup();
    const [a, b] = [s.enqueue(), s.enqueue()];
    const claimed = s.deliveries.claim(10);
    expect(claimed.map((j) => [j.id, j.state])).toEqual([
      [a, "in_flight"],
      [b, "in_flight"],
    ]);
    s.deliveries.finish(claimed[0]!, s.attempt(1), { state: "delivered" });
    s.deliveries.finish(b, { ...s.attempt(1), outcome: "http_error", status: 503, error: "target answered 503" }, { state: "pending", at: s.clock() });
    expect(s.deliveries.get(a)).toMatchObject({ state: "delivered", attempts: 1, lastStatus: 200, attemptLog: [{ attempt: 1, outcome: "ok", status: 200, latencyMs: 1.5 }] });
    expect(s.deliveries.get(b)).toMatchObject({ state: "pending", attempts: 1, lastStatus: 503, lastError: "target answered 503", attemptLog: [{ outcome: "http_error" }] });
  });

  it("skips a job that is gone, by row number or by id, without writing an attempt", () => {
    const s = setup();
    const id = s.enqueue();
    const [job] = s.deliveries.claim(1);
    s.db.prepare("DELETE FROM deliveries WHERE id = ?").run(id);
    expect(() => s.deliveries.finish(job!, s.attempt(1), { state: "delivered" })).not.toThrow();
    expect(() => s.deliveries.finish(id, s.attempt(1), { state: "delivered" })).not.toThrow();
    expect(s.db.prepare("SELECT COUNT(*) AS n FROM delivery_attempts").get()).toEqual({ n: 0 });
  });

  it("hands claimed jobs a target snapshot that cannot be changed, though jobs share it", () => {
    const s = setup();
    s.enqueue();
    s.enqueue();
    const [a, b] = s.deliveries.claim(2);
    expect(a!.target).toEqual(snapshot);
    expect(Object.isFrozen(a!.target) && Object.isFrozen(a!.target.sealedSigningKeys)).toBe(true);
    expect(b!.target).toEqual(a!.target);
  });
});

describe("delivery store: in flight is held in memory, a success is written on the job", () => {
  const rowState = (s: ReturnType<typeof setup>, id: string) => (s.db.prepare("SELECT state FROM deliveries WHERE id = ?").get(id) as { state: string }).state;

  it("claims without writing: the row stays pending (a crash re-sends it) while every read reports it in flight", () => {
    const s = setup();
    const [a, b] = [s.enqueue(), s.enqueue()];
    const changesBefore = s.db.prepare("SELECT total_changes() AS n").get();
    expect(s.deliveries.claim(1).map((j) => j.id)).toEqual([a]);
    expect(s.db.prepare("SELECT total_changes() AS n").get()).toEqual(changesBefore);
    expect(rowState(s, a)).toBe("pending");
    expect(s.deliveries.get(a)?.state).toBe("in_flight");
    expect(s.deliveries.stats()).toMatchObject({ pending: 1, inFlight: 1 });
    expect(s.deliveries.queueDepth()).toEqual({ pending: 1, inFlight: 1, dead: 0 });
    const page = { limit: 10, offset: 0, asc: true };
    expect(s.deliveries.list({ states: ["in_flight"], page }).items.map((d) => [d.id, d.state])).toEqual([[a, "in_flight"]]);
    expect(s.deliveries.list({ states: ["pending"], page }).items.map((d) => d.id)).toEqual([b]);
    expect(s.deliveries.list({ states: ["pending", "in_flight"], page }).total).toBe(2);
    expect(s.deliveries.list({ page }).items.map((d) => d.state)).toEqual(["in_flight", "pending"]);
    // Not claimed twice, and not replayed from under the worker.
    expect(s.deliveries.claim(10).map((j) => j.id)).toEqual([b]);
    expect(s.deliveries.retry(a)).toBe(false);
  });

  it("sets aside a row that cannot be read back as dead, says so, still hands out the others, and can list it", () => {
    const s = setup();
    const reported: unknown[] = [];
    const deliveries = createDeliveryStore(s.db, { clock: s.clock, newId: () => `other-${reported.length}-${Math.random()}`, onUnreadable: (job) => reported.push(job) });
    const [bad, good] = [s.enqueue(), s.enqueue()];
    s.db.prepare("UPDATE deliveries SET target = '{not json' WHERE id = ?").run(bad);
    expect(deliveries.claim(10).map((j) => j.id)).toEqual([good]);
    expect(reported).toEqual([{ id: bad, targetId: "t1" }]);
    expect(deliveries.stats()).toMatchObject({ pending: 0, inFlight: 1, dead: 1 });
    expect(s.db.prepare("SELECT state, last_error FROM deliveries WHERE id = ?").get(bad)).toEqual({ state: "dead", last_error: "the stored job cannot be read" });
    const dead = deliveries.list({ states: ["dead"], page: { limit: 10, offset: 0, asc: true } }).items;
    expect(dead.map((d) => [d.id, d.target.id, d.lastError])).toEqual([[bad, "t1", "the stored job cannot be read"]]);
    expect(deliveries.get(bad)?.state).toBe("dead");
  });

  it("hands a released job out again, and a start-up release drops everything held", () => {
    const s = setup();
    const [a, b] = [s.enqueue(), s.enqueue()];
    s.deliveries.claim(2);
    expect(s.deliveries.releaseInFlight([a])).toBe(1);
    expect(s.deliveries.get(a)?.state).toBe("pending");
    expect(s.deliveries.claim(10).map((j) => j.id)).toEqual([a]);
    expect(s.deliveries.releaseInFlight()).toBe(2);
    expect(s.deliveries.claim(10).map((j) => j.id)).toEqual([a, b]);
  });

  it("records a success on the job row only, and lists it after the failed attempts before it", () => {
    const s = setup();
    const id = s.enqueue();
    const [job] = s.deliveries.claim(1);
    s.deliveries.finish(job!, { ...s.attempt(1), outcome: "http_error", status: 503, error: "target answered 503" }, { state: "pending", at: s.clock() });
    const [again] = s.deliveries.claim(1);
    s.deliveries.finish(again!, { ...s.attempt(2), responseBody: "thanks" }, { state: "delivered" });
    expect(s.db.prepare("SELECT attempt, outcome FROM delivery_attempts").all()).toEqual([{ attempt: 1, outcome: "http_error" }]);
    expect(rowState(s, id)).toBe("delivered");
    expect(s.deliveries.get(id)).toMatchObject({
      state: "delivered",
      attempts: 2,
      lastStatus: 200,
      attemptLog: [
        { attempt: 1, outcome: "http_error", status: 503, error: "target answered 503" },
        { attempt: 2, outcome: "ok", status: 200, latencyMs: 1.5, responseBody: "thanks", startedAt: s.clock() },
      ],
    });
    expect(s.deliveries.get(id)).not.toHaveProperty("lastError");
    expect(s.deliveries.stats()).toMatchObject({ pending: 0, inFlight: 0, delivered: 1 });
  });
});

/** An in-memory database as a build that knew only the first `version` migrations left it. */
function databaseAt(version: number): Database.Database {
  const db = new Database(":memory:");
  db.pragma("foreign_keys = ON");
  for (const sql of migrations.slice(0, version)) db.exec(sql);
  db.pragma(`user_version = ${version}`);
  return db;
}

describe("delivery store over a database from schema version 2", () => {
  it("reads old successes from the attempt log once, and puts rows marked in flight back to pending", () => {
    const db = databaseAt(2);
    const insert = db.prepare(
      `INSERT INTO deliveries (id, kind, execution_id, target_id, target, payload, state, attempts, next_attempt_at, created_at, updated_at, last_status)
       VALUES (?, 'event', 'event/x', 't1', ?, '{}', ?, ?, 0, 0, 0, ?)`,
    );
    const old = insert.run("old-delivered", JSON.stringify(snapshot), "delivered", 1, 200).lastInsertRowid;
    db.prepare("INSERT INTO delivery_attempts (delivery_n, attempt, started_at, latency_ms, outcome, status) VALUES (?, 1, 0, 2, 'ok', 200)").run(old);
    insert.run("old-in-flight", JSON.stringify(snapshot), "in_flight", 0, null);
    db.prepare("INSERT INTO deliveries (id, kind, execution_id, target_id, target, payload, state, attempts, next_attempt_at, created_at, updated_at) VALUES ('old-dead', 'event', 'event/x', 't1', ?, '{}', 'dead', 12, 5, 0, 86400000)").run(JSON.stringify(snapshot));
    migrate(db);
    expect(db.prepare("SELECT next_attempt_at FROM deliveries WHERE id = 'old-dead'").get()).toEqual({ next_attempt_at: 86400000 });
    const s = memoryStores(db);
    const deliveries = createDeliveryStore(db, { clock: s.clock, newId: () => "new" });
    expect(deliveries.get("old-delivered")?.attemptLog).toEqual([{ attempt: 1, startedAt: new Date(0), latencyMs: 2, outcome: "ok", status: 200 }]);
    expect(deliveries.get("old-in-flight")?.state).toBe("in_flight");
    expect(deliveries.releaseInFlight()).toBe(1);
    expect(deliveries.claim(10).map((j) => j.id)).toEqual(["old-in-flight"]);
  });
});

describe("delivery store: retention", () => {
  it("counts a final job's age from when it ended, not from when it was first due", () => {
    const s = setup();
    s.enqueue();
    s.enqueue();
    s.clock.advance(40 * 24 * 3600_000); // a worker that was down for 40 days
    const [a, b] = s.deliveries.claim(2);
    s.deliveries.finish(a!, s.attempt(1), { state: "delivered" });
    s.deliveries.finish(b!, { ...s.attempt(1), outcome: "http_error", status: 500 }, { state: "dead", reason: "gave up" });
    const aDayAgo = new Date(s.clock().getTime() - 24 * 3600_000);
    expect(s.deliveries.purge("delivered", aDayAgo, 10)).toBe(0);
    expect(s.deliveries.purge("dead", aDayAgo, 10)).toBe(0);
    expect(s.deliveries.purge("delivered", new Date(s.clock().getTime() + 1), 10)).toBe(1);
  });

  it("purges final jobs whose last attempt was due before the cut-off, oldest first and at most `limit`, with their attempts", () => {
    const s = setup();
    const ids = [s.enqueue(), s.enqueue(), s.enqueue(), s.enqueue()];
    const jobs = s.deliveries.claim(4);
    s.deliveries.finish(jobs[0]!, { ...s.attempt(1), outcome: "http_error", status: 500 }, { state: "dead", reason: "gave up" });
    s.deliveries.finish(jobs[1]!, s.attempt(1), { state: "delivered" });
    s.deliveries.finish(jobs[2]!, s.attempt(1), { state: "delivered" });
    s.deliveries.releaseInFlight([jobs[3]!.id]);
    s.clock.advance(60_000);
    const cutOff = s.clock();
    const later = s.enqueue();
    s.deliveries.finish(s.deliveries.claim(2).find((j) => j.id === later)!, s.attempt(1), { state: "delivered" });

    expect(s.deliveries.purge("delivered", cutOff, 1)).toBe(1);
    expect(s.deliveries.get(ids[1]!)).toBeUndefined();
    expect(s.deliveries.purge("delivered", cutOff, 10)).toBe(1);
    expect(s.deliveries.purge("delivered", cutOff, 10)).toBe(0);
    expect(s.deliveries.purge("dead", cutOff, 10)).toBe(1);
    expect(s.db.prepare("SELECT COUNT(*) AS n FROM delivery_attempts").get()).toEqual({ n: 0 });
    // What is left: the open job and the job delivered after the cut-off.
    expect(s.deliveries.list({ page: { limit: 10, offset: 0, asc: true } }).items.map((d) => [d.id, d.state])).toEqual([
      [ids[3], "in_flight"],
      [later, "delivered"],
    ]);
  });
});

describe("delivery store over a database from schema version 3", () => {
  it("dates its dead jobs from when they died, so retention does not sweep them early", () => {
    const db = databaseAt(3);
    db.prepare(
      "INSERT INTO deliveries (id, kind, execution_id, target_id, target, payload, state, attempts, next_attempt_at, created_at, updated_at) VALUES ('dead', 'event', 'event/x', 't1', ?, '{}', 'dead', 12, 5, 0, 86400000)",
    ).run(JSON.stringify(snapshot));
    migrate(db);
    expect(db.prepare("SELECT next_attempt_at FROM deliveries WHERE id = 'dead'").get()).toEqual({ next_attempt_at: 86400000 });
    db.close();
  });
});
