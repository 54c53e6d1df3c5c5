import { describe, expect, it } from "vitest";
import { createIdGenerator, ID_EPOCH_MS } from "../../src/ids.js";

const T = Date.UTC(2026, 0, 1);

/** Splits an id into its snowflake parts. */
function parts(id: string): { ms: bigint; node: bigint; sequence: bigint } {
  const n = BigInt(id);
  return { ms: n >> 22n, node: (n >> 12n) & 1023n, sequence: n & 4095n };
}

function expectStrictlyIncreasing(ids: string[]): void {
  for (let i = 1; i < ids.length; i++) expect(BigInt(ids[i]!) > BigInt(ids[i - 1]!), `${ids[i - 1]} < ${ids[i]}`).toBe(true);
}

describe("createIdGenerator", () => {
  it("returns decimal digit strings like ZITADEL's ids", () => {
    const id = createIdGenerator()();
    expect(id).toMatch(/^[1-9][0-9]{18}$/);
  });

  it("encodes milliseconds since the id epoch, the node and a sequence", () => {
    const next = createIdGenerator({ now: () => T, nodeId: 5 });
    expect(parts(next())).toEqual({ ms: BigInt(T - ID_EPOCH_MS), node: 5n, sequence: 0n });
    expect(parts(next())).toEqual({ ms: BigInt(T - ID_EPOCH_MS), node: 5n, sequence: 1n });
  });

  it("keeps exact values beyond Number.MAX_SAFE_INTEGER", () => {
    const id = createIdGenerator({ now: () => T, nodeId: 1023 })();
    expect(BigInt(id)).toBe((BigInt(T - ID_EPOCH_MS) << 22n) | (1023n << 12n));
    expect(Number(id)).toBeGreaterThan(Number.MAX_SAFE_INTEGER);
  });

  it("is strictly increasing for many ids in the same millisecond, overflowing into the next", () => {
    const next = createIdGenerator({ now: () => T, nodeId: 0 });
    const ids = Array.from({ length: 10_000 }, next);
    expectStrictlyIncreasing(ids);
    expect(new Set(ids).size).toBe(10_000);
    expect(parts(ids[4095]!)).toMatchObject({ ms: BigInt(T - ID_EPOCH_MS), sequence: 4095n });
    expect(parts(ids[4096]!)).toMatchObject({ ms: BigInt(T - ID_EPOCH_MS + 1), sequence: 0n });
  });

  it("stays strictly increasing when the clock goes backwards", () => {
    let t = T;
    const next = createIdGenerator({ now: () => t, nodeId: 9 });
    const ids = [next(), next()];
    t -= 60_000;
    ids.push(next(), next());
    t = T + 1;
    ids.push(next());
    expectStrictlyIncreasing(ids);
  });

  it("resumes real time after borrowing milliseconds", () => {
    let t = T;
    const next = createIdGenerator({ now: () => t, nodeId: 0 });
    for (let i = 0; i < 4097; i++) next();
    t = T + 10;
    expect(parts(next())).toMatchObject({ ms: BigInt(T - ID_EPOCH_MS + 10), sequence: 0n });
  });

  it("sorts as strings the same way as numbers while ids have equal length", () => {
    let t = T;
    const next = createIdGenerator({ now: () => (t += 7), nodeId: 3 });
    const ids = Array.from({ length: 100 }, next);
    expect([...ids].sort()).toEqual(ids);
  });

  it("keeps 19 digits from 2026 until well past 2080", () => {
    for (const year of [2026, 2050, 2080]) {
      expect(createIdGenerator({ now: () => Date.UTC(year, 0, 1), nodeId: 0 })()).toHaveLength(19);
    }
  });

  it("clamps a clock before the id epoch to zero instead of producing negative ids", () => {
    expect(createIdGenerator({ now: () => 0, nodeId: 0 })()).toBe("0");
  });

  it("picks a random node part when none is given", () => {
    const nodes = new Set(Array.from({ length: 50 }, () => parts(createIdGenerator({ now: () => T })()).node));
    expect(nodes.size).toBeGreaterThan(1);
  });

  it.each([-1, 1024, 1.5])("rejects the node id %s", (nodeId) => {
    expect(() => createIdGenerator({ nodeId })).toThrow(RangeError);
  });
});
