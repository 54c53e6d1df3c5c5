import { describe, expect, it } from "vitest";
import { createWakeableSleep } from "../../src/delivery/wakeable-sleep.js";

describe("wakeable sleep", () => {
  it("ends a long sleep on wake() and reports that it was woken", async () => {
    const sleep = createWakeableSleep();
    const slept = sleep.for(60_000);
    sleep.wake();
    sleep.wake();
    expect(await slept).toBe(true);
  });

  it("keeps a wake-up that came while awake for the next sleep, once", async () => {
    const sleep = createWakeableSleep();
    sleep.wake();
    expect(await sleep.for(60_000)).toBe(true);
    expect(await sleep.for(1)).toBe(false);
  });
});
