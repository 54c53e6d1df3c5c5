import { describe, expect, it } from "vitest";
import type { TargetSnapshot } from "../../src/domain/delivery.js";
import { createDeliveryStore } from "../../src/store/delivery-store.js";
import { createRetentionSweeper } from "../../src/delivery/retention.js";
import { memoryStores } from "../helpers/store-fixtures.js";

const HOUR = 3600_000;
const snapshot = { id: "t1", name: "sink", type: "webhook", endpoint: "https://example.com/hook", timeoutMs: 5000, payloadType: "json", sealedSigningKeys: [] } as TargetSnapshot;

/** `delivered` delivered jobs and `dead` dead ones, all finished now, plus one still pending. */
function setup(delivered: number, dead: number) {
  const s = memoryStores();
  let n = 0;
  const deliveries = createDeliveryStore(s.db, { clock: s.clock, newId: () => `job-${++n}` });
  for (let i = 0; i < delivered + dead + 1; i++) deliveries.enqueue({ kind: "event", executionId: "event/x", target: snapshot, payload: "{}" });
  const jobs = deliveries.claim(delivered + dead + 1);
  const attempt = { attempt: 1, startedAt: s.clock(), latencyMs: 1, outcome: "ok", status: 200 };
  jobs.slice(0, delivered).forEach((j) => deliveries.finish(j, attempt, { state: "delivered" }));
  jobs.slice(delivered, delivered + dead).forEach((j) => deliveries.finish(j, { ...attempt, outcome: "http_error", status: 500 }, { state: "dead", reason: "gave up" }));
  deliveries.releaseInFlight([jobs.at(-1)!.id]);
  const count = () => deliveries.stats();
  return { ...s, deliveries, count };
}

describe("retention sweeper", () => {
  it("deletes delivered jobs past their retention and dead ones past theirs, in batches, and nothing open", async () => {
    const s = setup(7, 3);
    const sweeper = createRetentionSweeper({ deliveries: s.deliveries, clock: s.clock, policy: { deliveredMs: 24 * HOUR, deadMs: 72 * HOUR }, batch: 2 });
    expect(await sweeper.sweep()).toEqual({ delivered: 0, dead: 0 });
    s.clock.advance(25 * HOUR);
    const purged: unknown[] = [];
    const reporting = createRetentionSweeper({ deliveries: s.deliveries, clock: s.clock, policy: { deliveredMs: 24 * HOUR, deadMs: 72 * HOUR }, batch: 2, onPurged: (c) => purged.push(c) });
    expect(await reporting.sweep()).toEqual({ delivered: 7, dead: 0 });
    expect(purged).toEqual([{ delivered: 7, dead: 0 }]);
    expect(s.count()).toMatchObject({ delivered: 0, dead: 3, pending: 1 });
    s.clock.advance(48 * HOUR);
    expect(await reporting.sweep()).toEqual({ delivered: 0, dead: 3 });
    expect(s.count()).toMatchObject({ delivered: 0, dead: 0, pending: 1 });
  });

  it("keeps jobs for ever when a retention is 0", async () => {
    const s = setup(2, 2);
    s.clock.advance(10_000 * HOUR);
    const sweeper = createRetentionSweeper({ deliveries: s.deliveries, clock: s.clock, policy: { deliveredMs: 0, deadMs: HOUR } });
    expect(await sweeper.sweep()).toEqual({ delivered: 0, dead: 2 });
    expect(s.count()).toMatchObject({ delivered: 2 });
  });

  it("sweeps at start, reports store errors to onError and carries on, and stops", async () => {
    const s = setup(1, 0);
    s.clock.advance(200 * HOUR);
    const errors: unknown[] = [];
    let calls = 0;
    const failingOnce = {
      purge: (...args: Parameters<typeof s.deliveries.purge>) => {
        if (++calls === 1) throw new Error("disk I/O error");
        return s.deliveries.purge(...args);
      },
    };
    const sweeper = createRetentionSweeper({ deliveries: failingOnce, clock: s.clock, intervalMs: 10, onError: (e) => errors.push(e) });
    sweeper.start();
    const deadline = Date.now() + 5_000;
    while (s.count().delivered > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await sweeper.stop();
    expect(errors).toHaveLength(1);
    expect(s.count().delivered).toBe(0);
    expect(await sweeper.sweep()).toEqual({ delivered: 0, dead: 0 });
  });
});
