import { describe, expect, it } from "vitest";
import type { DeliveryAttempt, RetryPolicy } from "../../src/domain/delivery.js";
import { nextState } from "../../src/delivery/next-state.js";

const policy: RetryPolicy = { scheduleMs: [1000, 5000], maxAttempts: 3, maxAgeMs: 60_000, jitter: 0 };
const now = new Date("2026-01-01T00:01:00Z");
const job = { createdAt: new Date("2026-01-01T00:00:00Z") };
const failed = (attempt: number, status?: number): DeliveryAttempt => ({
  attempt,
  startedAt: now,
  latencyMs: 1,
  outcome: "http_error",
  error: `HTTP ${status}`,
  ...(status !== undefined ? { status } : {}),
});

describe("nextState", () => {
  it("marks an ok attempt delivered", () => {
    expect(nextState(policy, job, { attempt: 1, startedAt: now, latencyMs: 1, outcome: "ok", status: 200 }, { now, random: 0.5 })).toEqual({ state: "delivered" });
  });

  it("schedules the retry from the policy, or later when Retry-After says so", () => {
    const young = { createdAt: new Date(now.getTime() - 1000) };
    expect(nextState(policy, young, failed(1, 503), { now, random: 0.5 })).toEqual({ state: "pending", at: new Date(now.getTime() + 1000) });
    expect(nextState(policy, young, failed(2, 503), { now, random: 0.5, retryAfterMs: 9000 })).toEqual({ state: "pending", at: new Date(now.getTime() + 9000) });
  });

  it("gives up with the policy's reason and the last error", () => {
    expect(nextState(policy, job, failed(1, 410), { now, random: 0.5 })).toEqual({ state: "dead", reason: "target answered 410 Gone (last: HTTP 410)" });
    expect(nextState(policy, job, failed(3, 500), { now, random: 0.5 })).toEqual({ state: "dead", reason: "gave up after 3 attempts (last: HTTP 500)" });
    expect(nextState(policy, job, failed(1, 500), { now, random: 0.5 })).toMatchObject({ state: "dead", reason: expect.stringContaining("maximum age") });
  });
});
