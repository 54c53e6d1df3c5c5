import { describe, expect, it } from "vitest";
import { createHealthStatus } from "../../src/grpc/health-status.js";
import { databaseProbe } from "../../src/store/db.js";
import { openDatabase } from "../../src/store/db.js";

describe("createHealthStatus", () => {
  it("serves while the probe succeeds and stops for good on shutdown", () => {
    let up = true;
    const status = createHealthStatus({ probe: () => up });
    expect(status.serving()).toBe(true);
    up = false;
    expect(status.serving()).toBe(false);
    up = true;
    status.shutdown();
    expect(status.serving()).toBe(false);
    expect(status.shuttingDown).toBe(true);
  });

  it("tells a watcher about probe changes, then shutdown, then ends", async () => {
    let up = true;
    const status = createHealthStatus({ probe: () => up, pollIntervalMs: 10 });
    const watch = status.watch(new AbortController().signal);
    expect((await watch.next()).value).toBe(true);
    up = false;
    expect((await watch.next()).value).toBe(false);
    up = true;
    expect((await watch.next()).value).toBe(true);
    const next = watch.next();
    status.shutdown();
    expect((await next).value).toBe(false);
    expect((await watch.next()).done).toBe(true);
  });

  it("ends a watch when its signal aborts", async () => {
    const status = createHealthStatus({ pollIntervalMs: 10 });
    const leave = new AbortController();
    const watch = status.watch(leave.signal);
    expect((await watch.next()).value).toBe(true);
    const next = watch.next();
    leave.abort();
    expect((await next).done).toBe(true);
  });

  it("ends untilShutdown on shutdown or abort", async () => {
    const status = createHealthStatus();
    const leave = new AbortController();
    const left = status.untilShutdown(leave.signal);
    leave.abort();
    await left;
    const waiting = status.untilShutdown(new AbortController().signal);
    status.shutdown();
    await waiting;
  });
});

describe("databaseProbe", () => {
  it("is true while the database answers and false once it is closed", () => {
    const db = openDatabase({ path: ":memory:" });
    const probe = databaseProbe(db);
    expect(probe()).toBe(true);
    db.close();
    expect(probe()).toBe(false);
  });
});
