import { describe, expect, it } from "vitest";
import { createWaitingCalls, originKey } from "../../src/net/waiting-calls.js";

describe("originKey", () => {
  type Parts = [protocol: string, hostname: string, port: string | number];
  it.each<[Parts, Parts]>([
    [["https:", "hooks.example.com", ""], ["https:", "HOOKS.example.com", "443"]],
    [["http:", "hooks.example.com", ""], ["http:", "hooks.example.com", 80]],
    [["https:", "[2606:4700:4700::1111]", ""], ["https:", "2606:4700:4700::1111", "443"]],
    [["http:", "127.0.0.1", "8080"], ["http:", "127.0.0.1", 8080]],
  ])("spells %j and %j alike (URL vs connector options)", (a, b) => {
    expect(originKey(...a)).toBe(originKey(...b));
  });

  it("tells schemes and ports apart", () => {
    expect(originKey("https:", "a.test", "")).not.toBe(originKey("http:", "a.test", ""));
    expect(originKey("https:", "a.test", "8443")).not.toBe(originKey("https:", "a.test", ""));
  });
});

describe("createWaitingCalls", () => {
  it("reports the latest deadline per key until every call is removed", () => {
    const waiting = createWaitingCalls();
    const first = waiting.add("k", 100);
    const second = waiting.add("k", 300);
    waiting.add("other", 999);
    expect(waiting.latest("k")).toBe(300);
    second();
    expect(waiting.latest("k")).toBe(100);
    first();
    first(); // removing twice is harmless
    expect(waiting.latest("k")).toBeUndefined();
    expect(waiting.latest("other")).toBe(999);
  });
});
