import { describe, expect, it } from "vitest";
import type { TargetSnapshot } from "../../src/domain/delivery.js";
import { createDeliveryStore } from "../../src/store/delivery-store.js";
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
