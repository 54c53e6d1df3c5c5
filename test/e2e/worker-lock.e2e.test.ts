import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startTestTether } from "../helpers/tether-server.js";
import { startRecordingTarget, type RecordingTarget } from "../helpers/recording-target.js";
import { captureLogs } from "../helpers/log-capture.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const ids = (target: RecordingTarget) => target.received.map((c) => c.headers["webhook-id"] as string);

describe("one delivery worker per data directory", () => {
  it("keeps a second server on the same data directory in standby, so no job is sent twice, and lets it take over", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tether-two-nodes-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const target = await startRecordingTarget();
    cleanups.push(() => target.close());
    const options = { eventTypes: ["demo.tick"], delivery: { standbyRetryMs: 50 } };
    const first = await startTestTether({ TETHER_DEV: "1" }, dataDir, options);
    let firstRunning = true;
    cleanups.push(() => (firstRunning ? first.stop(true) : undefined));
    const { target: hook } = first.app.stores.targets.create(
      { name: "hook", type: "webhook", interruptOnError: false, endpoint: target.url("/hook"), timeoutMs: 2000, payloadType: "json" },
      { userId: "test" },
    );
    first.app.stores.executions.set("event/demo.tick", [hook.id], { userId: "test" });

    const logs = captureLogs("info");
    const second = await startTestTether({ TETHER_DEV: "1" }, dataDir, { ...options, logger: logs.logger });
    cleanups.push(() => second.stop(true));
    expect(logs.records(/another worker delivers from this database/)).toHaveLength(1);

    // Events committed through the second server are delivered once, by the first (the lock holder).
    second.app.pushEvents(Array.from({ length: 20 }, (_, i) => ({ type: "demo.tick", aggregateType: "demo", aggregateId: `a${i}`, payload: { i } })));
    await target.waitFor((r) => r.length >= 20);
    await new Promise((r) => setTimeout(r, 400)); // time for a second sender to show up, if there were one
    expect(new Set(ids(target)).size).toBe(20);
    expect(target.received).toHaveLength(20);

    await first.stop(true);
    firstRunning = false;
    second.app.pushEvents(Array.from({ length: 20 }, (_, i) => ({ type: "demo.tick", aggregateType: "demo", aggregateId: `b${i}`, payload: { i } })));
    await target.waitFor((r) => r.length >= 40);
    expect(logs.records(/took over delivery/)).toHaveLength(1);
    expect(new Set(ids(target)).size).toBe(40);
    expect(target.received).toHaveLength(40);
  });
});
