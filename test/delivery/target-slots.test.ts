import { describe, expect, it } from "vitest";
import type { Delivery } from "../../src/domain/delivery.js";
import { createTargetSlots } from "../../src/delivery/target-slots.js";

const job = (id: string, targetId: string) => ({ id, target: { id: targetId } }) as Delivery;

describe("target slots", () => {
  it("parks jobs beyond a target's cap and hands each freed slot to the next parked job", () => {
    const slots = createTargetSlots(2);
    expect([job("1", "a"), job("2", "a"), job("3", "a"), job("4", "b")].map((j) => slots.acquire(j))).toEqual([true, true, false, true]);
    expect(slots.busy()).toEqual(new Set(["a"]));
    expect(slots.release("a")?.id).toBe("3");
    expect(slots.busy()).toEqual(new Set(["a"]));
    expect(slots.release("a")).toBeUndefined();
    expect(slots.busy()).toEqual(new Set());
  });

  it("gives up every parked job on takeParked()", () => {
    const slots = createTargetSlots(1);
    for (const j of [job("1", "a"), job("2", "a"), job("3", "b"), job("4", "b")]) slots.acquire(j);
    expect(slots.takeParked().map((j) => j.id)).toEqual(["2", "4"]);
    expect(slots.release("a")).toBeUndefined();
  });
});
