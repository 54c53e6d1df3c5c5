import { describe, expect, it } from "vitest";
import { createDeliveryRole } from "../../src/delivery/delivery-role.js";

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
}

function harness(freeAfter: number) {
  const log: string[] = [];
  let tries = 0;
  const role = createDeliveryRole({
    lock: () => (++tries > freeAfter ? { release: () => log.push("released") } : undefined),
    start: () => log.push("started"),
    stop: async () => void log.push("stopped"),
    retryMs: 5,
    onNotice: (message) => log.push(message.split(":")[0]!.split(";")[0]!),
  });
  return { role, log, tries: () => tries };
}

describe("delivery role", () => {
  it("delivers at once when the lock is free, and releases it after stopping", async () => {
    const { role, log } = harness(0);
    role.start();
    role.start();
    expect(log).toEqual(["started"]);
    await role.stop();
    await role.stop();
    expect(log).toEqual(["started", "stopped", "released"]);
  });

  it("stands by while another worker holds the lock, says so once, and takes over when it is free", async () => {
    const { role, log, tries } = harness(3);
    role.start();
    expect(log).toEqual(["another worker delivers from this database"]);
    await until(() => log.includes("started"));
    expect(tries()).toBe(4);
    expect(log).toEqual(["another worker delivers from this database", "took over delivery", "started"]);
    await role.stop();
    expect(log.slice(-2)).toEqual(["stopped", "released"]);
  });

  it("stops standing by without ever starting", async () => {
    const { role, log, tries } = harness(Number.POSITIVE_INFINITY);
    role.start();
    await until(() => tries() >= 3);
    await role.stop();
    const after = tries();
    await new Promise((r) => setTimeout(r, 30));
    expect(tries()).toBe(after);
    expect(log).not.toContain("started");
    expect(log).not.toContain("stopped");
  });
});
