import type { IncomingMessage, ServerResponse } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RetryPolicy } from "../../src/domain/delivery.js";
import { deliveryFixture, signatureVerifies, until, type DeliveryFixture } from "../helpers/delivery-fixture.js";

// Tiny real-time delays and no jitter, so retries happen within a test's patience and in a known order.
const FAST: RetryPolicy = { scheduleMs: [20, 40], maxAttempts: 5, maxAgeMs: 60_000, jitter: 0 };

let f: DeliveryFixture;
beforeEach(async () => {
  f = await deliveryFixture();
});
afterEach(async () => {
  await f.close();
});

/** A handler that fails the first `n` calls on its path with `status`, then answers 200. */
function failFirst(n: number, status = 503) {
  let calls = 0;
  return (_req: IncomingMessage, _body: Buffer, res: ServerResponse) => {
    res.writeHead(calls++ < n ? status : 200).end();
  };
}

describe("delivery worker", () => {
  it("delivers on 200 with a webhook-id and a ZITADEL-Signature the receiver can verify", async () => {
    const { snapshot, signingKey } = f.target("/hook");
    const id = f.enqueue(snapshot, { event: "a" });
    f.worker({ policy: FAST });
    await f.waitForState(id, "delivered");
    const [call] = f.receiver.on("/hook");
    expect(call!.headers["webhook-id"]).toBe(id);
    expect(call!.headers["content-type"]).toBe("application/json");
    expect(call!.body.toString()).toBe('{"event":"a"}');
    expect(signatureVerifies(call!.headers["zitadel-signature"] as string, call!.body, signingKey)).toBe(true);
    const log = f.job(id).attemptLog;
    expect(log).toMatchObject([{ attempt: 1, outcome: "ok", status: 200 }]);
  });

  it.each([
    ["in batched transactions", {}],
    ["without a transaction wrapper", { transaction: undefined }],
  ])("retries after 503s with the same webhook-id and increasing attempt numbers (%s)", async (_, overrides) => {
    f.receiver.respond("/flaky", failFirst(2));
    const id = f.enqueue(f.target("/flaky").snapshot, { n: 1 });
    f.worker({ policy: FAST, ...overrides });
    await f.waitForState(id, "delivered");
    const calls = f.receiver.on("/flaky");
    expect(calls.map((c) => c.headers["webhook-id"])).toEqual([id, id, id]);
    expect(f.job(id).attemptLog.map((a) => [a.attempt, a.outcome, a.status])).toEqual([
      [1, "http_error", 503],
      [2, "http_error", 503],
      [3, "ok", 200],
    ]);
  });

  it("honours Retry-After over a shorter schedule", async () => {
    f.receiver.respond("/busy", { status: 429, headers: { "retry-after": "1" } });
    const id = f.enqueue(f.target("/busy").snapshot, {});
    const w = f.worker({ policy: FAST });
    await until(() => f.job(id).attempts === 1, "the first attempt");
    const job = f.job(id);
    expect(job.state).toBe("pending");
    expect(job.nextAttemptAt.getTime() - job.attemptLog[0]!.startedAt.getTime()).toBeGreaterThanOrEqual(1000);
    f.receiver.respond("/busy", { status: 200 });
    f.clock.advance(1000);
    w.kick();
    await f.waitForState(id, "delivered");
    expect(f.receiver.on("/busy")).toHaveLength(2);
  });

  it("moves a job to dead at once when the target answers 410 Gone", async () => {
    f.receiver.respond("/gone", { status: 410 });
    const id = f.enqueue(f.target("/gone").snapshot, {});
    f.worker({ policy: FAST });
    await f.waitForState(id, "dead");
    expect(f.receiver.on("/gone")).toHaveLength(1);
    expect(f.job(id).lastError).toContain("410");
  });

  it("dead-letters after maxAttempts and delivers after a replay", async () => {
    f.receiver.respond("/down", { status: 500 });
    const id = f.enqueue(f.target("/down").snapshot, {});
    const w = f.worker({ policy: { ...FAST, maxAttempts: 3 } });
    await f.waitForState(id, "dead");
    expect(f.job(id).lastError).toMatch(/gave up after 3 attempts/);
    f.receiver.respond("/down", { status: 204 });
    expect(f.deliveries.retry(id)).toBe(true);
    w.kick();
    await f.waitForState(id, "delivered");
    expect(f.job(id).attemptLog.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
    expect(new Set(f.receiver.on("/down").map((c) => c.headers["webhook-id"]))).toEqual(new Set([id]));
  });

  it("counts a forwarded error in a 2xx body as a failed attempt", async () => {
    f.receiver.respond("/fwd", { status: 200, body: '{"forwardedStatusCode":400,"forwardedErrorMessage":"no thanks"}' });
    const id = f.enqueue(f.target("/fwd").snapshot, {});
    f.worker({ policy: { ...FAST, scheduleMs: [10_000] } });
    await until(() => f.job(id).attempts === 1, "the first attempt");
    const job = f.job(id);
    expect(job.state).toBe("pending");
    expect(job.attemptLog[0]).toMatchObject({ outcome: "forwarded_error", status: 200, error: "no thanks", responseBody: '{"forwardedStatusCode":400,"forwardedErrorMessage":"no thanks"}' });
  });

  it("keeps per-aggregate order to a failing target while another target keeps flowing", async () => {
    // A1 fails twice at /slow; A2 and A3 must wait for it, while /fast and aggregate B go on.
    let a1Calls = 0;
    f.receiver.respond("/slow", (_req, body, res) => {
      const failing = JSON.parse(body.toString()).e === "A1" && a1Calls++ < 2;
      res.writeHead(failing ? 503 : 200).end();
    });
    const slow = f.target("/slow").snapshot;
    const fast = f.target("/fast").snapshot;
    const ids: string[] = [];
    for (const e of ["A1", "A2", "A3"]) {
      ids.push(f.enqueue(slow, { e }, "agg/A"), f.enqueue(fast, { e }, "agg/A"));
    }
    const b1 = f.enqueue(slow, { e: "B1" }, "agg/B");
    f.worker({ policy: { ...FAST, scheduleMs: [100] } });
    for (const id of [...ids, b1]) await f.waitForState(id, "delivered");

    const events = (path: string) => f.receiver.on(path).map((c) => ({ e: JSON.parse(c.body.toString()).e as string, at: c.at }));
    const atSlow = events("/slow").filter((c) => c.e !== "B1");
    expect(atSlow.map((c) => c.e)).toEqual(["A1", "A1", "A1", "A2", "A3"]);
    const atFast = events("/fast");
    expect(atFast.map((c) => c.e)).toEqual(["A1", "A2", "A3"]);
    // Flowing meanwhile: /fast and aggregate B were done before /slow's A1 got through.
    const slowA2 = atSlow[3]!.at;
    expect(atFast[2]!.at).toBeLessThanOrEqual(slowA2);
    expect(events("/slow").find((c) => c.e === "B1")!.at).toBeLessThanOrEqual(slowA2);
  });

  it("keeps delivering to other targets while one target hangs past its timeout", async () => {
    f.receiver.respond("/hang", { delayMs: 3000 });
    const hang = f.target("/hang", { timeoutMs: 1500 }).snapshot;
    const ok = f.target("/ok").snapshot;
    const hung = [1, 2, 3].map((i) => f.enqueue(hang, { i }));
    const fine = [1, 2, 3, 4, 5].map((i) => f.enqueue(ok, { i }));
    f.worker({ policy: FAST, concurrency: 4, perTargetConcurrency: 2 });
    for (const id of fine) await f.waitForState(id, "delivered", 1000);
    // None of the hanging target's attempts has even timed out yet.
    expect(hung.map((id) => f.job(id).attempts)).toEqual([0, 0, 0]);
  });

  // A backlog for one hung target, queued ahead, must not hide other targets' jobs (claim excludes busy
  // targets in SQL).
  it("keeps delivering to other targets behind a large backlog for a hung target", async () => {
    f.receiver.respond("/hang", { delayMs: 3000 });
    const hang = f.target("/hang", { timeoutMs: 2000 }).snapshot;
    for (let i = 0; i < 100; i++) f.enqueue(hang, { i });
    const fine = f.enqueue(f.target("/ok").snapshot, {});
    f.worker({ policy: FAST, concurrency: 8, perTargetConcurrency: 2 });
    await f.waitForState(fine, "delivered", 1000);
  });

  it("never has more than perTargetConcurrency attempts open to one target", async () => {
    let open = 0;
    let peak = 0;
    f.receiver.respond("/count", (_req, _body, res) => {
      peak = Math.max(peak, ++open);
      setTimeout(() => {
        open--;
        res.writeHead(200).end();
      }, 30);
    });
    const snapshot = f.target("/count").snapshot;
    const ids = Array.from({ length: 12 }, (_, i) => f.enqueue(snapshot, { i }));
    f.worker({ policy: FAST, concurrency: 10, perTargetConcurrency: 3 });
    for (const id of ids) await f.waitForState(id, "delivered");
    expect(peak).toBe(3);
  });

  it("wakes at once on kick() instead of waiting for the poll interval", async () => {
    const w = f.worker({ policy: FAST, pollIntervalMs: 60_000 });
    // start() ran the first round synchronously: the loop now sleeps for the whole poll interval.
    const id = f.enqueue(f.target("/kick").snapshot, {});
    const started = Date.now();
    w.kick();
    await f.waitForState(id, "delivered", 2000);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe("delivery worker start and stop", () => {
  it("re-delivers on start() the jobs a crash left in flight", async () => {
    const id = f.enqueue(f.target("/crash").snapshot, {});
    expect(f.deliveries.claim(10)).toHaveLength(1);
    f.worker({ policy: FAST });
    await f.waitForState(id, "delivered");
    expect(f.receiver.on("/crash")).toHaveLength(1);
  });

  it("stop() releases an attempt still running after drainMs and a new worker delivers it", async () => {
    f.receiver.respond("/slowpoke", { delayMs: 1500 });
    const id = f.enqueue(f.target("/slowpoke", { timeoutMs: 5000 }).snapshot, {});
    const first = f.worker({ policy: FAST });
    await f.receiver.waitFor((all) => all.length === 1);
    await first.stop({ drainMs: 20 });
    expect(f.job(id)).toMatchObject({ state: "pending", attempts: 0 });

    f.receiver.respond("/slowpoke", { status: 200 });
    f.worker({ policy: FAST });
    await f.waitForState(id, "delivered");
    expect(f.receiver.on("/slowpoke").map((c) => c.headers["webhook-id"])).toEqual([id, id]);
    expect(f.job(id).attemptLog).toHaveLength(1);
  });

  it("stop() waits for an attempt that finishes within drainMs and records it", async () => {
    f.receiver.respond("/brief", { delayMs: 100 });
    const id = f.enqueue(f.target("/brief").snapshot, {});
    const w = f.worker({ policy: FAST });
    await f.receiver.waitFor((all) => all.length === 1);
    await w.stop({ drainMs: 3000 });
    expect(f.stateOf(id)).toBe("delivered");
  });

  it("reports a store error and carries on", async () => {
    const errors: unknown[] = [];
    let failures = 1;
    const deliveries = {
      ...f.deliveries,
      claim: (limit: number, busy?: ReadonlySet<string>) => {
        if (failures-- > 0) throw new Error("database is locked");
        return f.deliveries.claim(limit, busy);
      },
    };
    const id = f.enqueue(f.target("/later").snapshot, {});
    f.worker({ deliveries, policy: FAST, pollIntervalMs: 20, onError: (e) => errors.push(e) });
    await f.waitForState(id, "delivered");
    expect(errors).toEqual([new Error("database is locked")]);
  });

  it("records the attempts of a round one by one when its transaction fails", async () => {
    const errors: unknown[] = [];
    let sent = false;
    let failed = false;
    const id = f.enqueue(f.target("/txfail").snapshot, {});
    f.worker({
      policy: FAST,
      send: async (job) => {
        const result = await f.send(job);
        sent = true;
        return result;
      },
      // Fails the first round that has the finished attempt to record, as SQLITE_BUSY would.
      transaction: <T>(fn: () => T): T => {
        if (sent && !failed) {
          failed = true;
          throw new Error("SQLITE_BUSY");
        }
        return f.stores.db.transaction(fn)();
      },
      onError: (e) => errors.push(e),
    });
    await f.waitForState(id, "delivered");
    expect(errors).toEqual([new Error("SQLITE_BUSY")]);
    expect(f.job(id).attemptLog).toHaveLength(1);
    expect(f.receiver.on("/txfail")).toHaveLength(1);
  });

  it("records a sender that throws synchronously as a failed attempt and retries it", async () => {
    let calls = 0;
    const id = f.enqueue(f.target("/throws-sync").snapshot, {});
    f.worker({
      policy: FAST,
      send: (job) => {
        if (calls++ === 0) throw new Error("boom");
        return f.send(job);
      },
    });
    await f.waitForState(id, "delivered");
    expect(f.job(id).attemptLog.map((a) => [a.outcome, a.error])).toEqual([
      ["internal", "sending failed: boom"],
      ["ok", undefined],
    ]);
  });

  it("records a sender that throws as a failed attempt and retries it", async () => {
    let calls = 0;
    const id = f.enqueue(f.target("/throws").snapshot, {});
    f.worker({
      policy: FAST,
      send: async (job) => {
        if (calls++ === 0) throw new Error("boom");
        return f.send(job);
      },
    });
    await f.waitForState(id, "delivered");
    expect(f.job(id).attemptLog.map((a) => a.outcome)).toEqual(["internal", "ok"]);
  });
});
