import { describe, expect, it } from "vitest";
import { createDeliveryRole } from "../../src/delivery/delivery-role.js";

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A role whose lock answers with `answers` in turn (then "free"): "busy", "free" or an error to throw. */
function harness(answers: Array<"busy" | "free" | Error>, opts: { failStarts?: number } = {}) {
  const log: string[] = [];
  let tries = 0;
  let failStarts = opts.failStarts ?? 0;
  const role = createDeliveryRole({
    lock: () => {
      const answer = answers[tries++] ?? "free";
      if (answer instanceof Error) throw answer;
      return answer === "free" ? { release: () => log.push("released") } : undefined;
    },
    start: () => {
      if (failStarts-- > 0) throw new Error("start failed");
      log.push("started");
    },
    stop: async () => void log.push("stopped"),
    retryMs: 5,
    onNotice: (message) => log.push(message.split(/[:;]/)[0]!),
    onError: (e) => log.push(`error: ${(e as Error).message}`),
  });
  return { role, log, tries: () => tries };
}

describe("delivery role", () => {
  it("delivers at once when the lock is free; stop keeps the lock until release", async () => {
    const { role, log } = harness(["free"]);
    role.start();
    role.start();
    expect(log).toEqual(["started"]);
    await role.stop();
    await role.stop();
    expect(log).toEqual(["started", "stopped"]);
    await role.release();
    await role.release();
    expect(log).toEqual(["started", "stopped", "released"]);
  });

  it("stands by while another worker holds the lock, says so once, and takes over when it is free", async () => {
    const { role, log, tries } = harness(["busy", "busy", "busy"]);
    role.start();
    expect(log).toEqual(["another worker delivers from this database"]);
    await until(() => log.includes("started"));
    expect(tries()).toBe(4);
    expect(log).toEqual(["another worker delivers from this database", "started", "took over delivery"]);
    await role.release();
    expect(log.slice(-2)).toEqual(["stopped", "released"]);
  });

  it("reports a lock that cannot be tried once (not as standby), keeps trying, and delivers once it can", async () => {
    const disk = new Error("attempt to write a readonly database");
    const { role, log } = harness([disk, disk, disk]);
    role.start();
    await until(() => log.includes("started"));
    expect(log).toEqual(["error: attempt to write a readonly database", "started"]);
    await role.release();
  });

  it("gives the lock back when starting fails, reports it once, and tries again", async () => {
    const { role, log } = harness([], { failStarts: 2 });
    role.start();
    await until(() => log.includes("started"));
    expect(log).toEqual(["released", "error: start failed", "released", "started"]);
    await role.release();
  });

  it("stops standing by without ever starting", async () => {
    const { role, log, tries } = harness(Array(1000).fill("busy"));
    role.start();
    await until(() => tries() >= 3);
    await role.release();
    const after = tries();
    await new Promise((r) => setTimeout(r, 30));
    expect(tries()).toBe(after);
    expect(log).not.toContain("started");
    expect(log).not.toContain("stopped");
  });
});
