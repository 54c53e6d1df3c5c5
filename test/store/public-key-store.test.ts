import { describe, expect, it } from "vitest";
import { actor, memoryStores, newTarget, reasonOf } from "../helpers/store-fixtures.js";

const key = (n: number) => ({ pem: `-----BEGIN PUBLIC KEY-----\nKEY${n}\n-----END PUBLIC KEY-----\n`, keyType: "ec" as const, fingerprint: `SHA256:fp${n}` });

const reason = reasonOf;

describe("public key store", () => {
  function setup() {
    const s = memoryStores();
    const targetId = s.targets.create(newTarget(), actor).target.id;
    return { ...s, targetId };
  }

  it("adds keys inactive and keeps at most one active", () => {
    const s = setup();
    const k1 = s.publicKeys.add(s.targetId, key(1), undefined, actor).id;
    const k2 = s.publicKeys.add(s.targetId, key(2), undefined, actor).id;
    expect(s.publicKeys.activeKey(s.targetId, s.clock())).toBeUndefined();
    s.publicKeys.activate(s.targetId, k1, actor);
    s.publicKeys.activate(s.targetId, k2, actor);
    const page = { offset: 0, limit: 10, asc: true };
    const keys = s.publicKeys.list(s.targetId, { filters: [], sort: "created", page }).items;
    expect(keys.map((k) => [k.id, k.active])).toEqual([
      [k1, false],
      [k2, true],
    ]);
    expect(s.publicKeys.activeKey(s.targetId, s.clock())?.id).toBe(k2);
  });

  it("treats activating an active key and deactivating an inactive key as no-ops without events", () => {
    const s = setup();
    const k = s.publicKeys.add(s.targetId, key(1), undefined, actor).id;
    const at = s.publicKeys.activate(s.targetId, k, actor);
    s.clock.advance(1000);
    expect(s.publicKeys.activate(s.targetId, k, actor)).toEqual(at);
    const before = s.events.readAfter(0, 100).length;
    s.publicKeys.deactivate(s.targetId, k, actor);
    s.publicKeys.deactivate(s.targetId, k, actor);
    expect(s.events.readAfter(0, 100).length).toBe(before + 1);
  });

  it("reports a missing target or key as NOT_FOUND on add, activate and deactivate", () => {
    const s = setup();
    expect(reason(() => s.publicKeys.add("nope", key(1), undefined, actor))).toBe("not_found/target.not_found");
    expect(reason(() => s.publicKeys.activate("nope", "k", actor))).toBe("not_found/target.not_found");
    expect(reason(() => s.publicKeys.activate(s.targetId, "k", actor))).toBe("not_found/public_key.not_found");
    expect(reason(() => s.publicKeys.deactivate(s.targetId, "k", actor))).toBe("not_found/public_key.not_found");
  });

  it("rejects a past expiry on add and activating an expired key; ignores an expired active key", () => {
    const s = setup();
    expect(reason(() => s.publicKeys.add(s.targetId, key(1), new Date(s.clock().getTime() - 1), actor))).toBe("invalid_argument/invalid_argument");
    const k = s.publicKeys.add(s.targetId, key(1), new Date(s.clock().getTime() + 10_000), actor).id;
    const expired = s.publicKeys.add(s.targetId, key(2), new Date(s.clock().getTime() + 5_000), actor).id;
    s.publicKeys.activate(s.targetId, k, actor);
    s.clock.advance(6_000);
    expect(reason(() => s.publicKeys.activate(s.targetId, expired, actor))).toBe("failed_precondition/public_key.expired");
    expect(s.publicKeys.activeKey(s.targetId, s.clock())?.id).toBe(k);
    s.clock.advance(5_000);
    expect(s.publicKeys.activeKey(s.targetId, s.clock())).toBeUndefined();
  });

  it("removes only inactive keys and succeeds for missing ones", () => {
    const s = setup();
    const k = s.publicKeys.add(s.targetId, key(1), undefined, actor).id;
    s.publicKeys.activate(s.targetId, k, actor);
    expect(reason(() => s.publicKeys.remove(s.targetId, k, actor))).toBe("failed_precondition/public_key.active");
    s.publicKeys.deactivate(s.targetId, k, actor);
    expect(s.publicKeys.remove(s.targetId, k, actor)).toBeInstanceOf(Date);
    expect(s.publicKeys.remove(s.targetId, k, actor)).toBeUndefined();
    expect(s.publicKeys.remove("nope", "nope", actor)).toBeUndefined();
  });

  it("filters by ids, active flag and expiration (no expiry counts as after any date) and sorts by expiration", () => {
    const s = setup();
    const t0 = s.clock().getTime();
    const never = s.publicKeys.add(s.targetId, key(1), undefined, actor).id;
    const soon = s.publicKeys.add(s.targetId, key(2), new Date(t0 + 1000), actor).id;
    const later = s.publicKeys.add(s.targetId, key(3), new Date(t0 + 9000), actor).id;
    s.publicKeys.activate(s.targetId, later, actor);
    const page = { offset: 0, limit: 10, asc: true };
    const ids = (filters: Parameters<typeof s.publicKeys.list>[1]["filters"], sort: "created" | "expiration" = "created") =>
      s.publicKeys.list(s.targetId, { filters, sort, page }).items.map((k) => k.id);
    expect(ids([], "expiration")).toEqual([soon, later, never]);
    expect(ids([{ by: "active", active: true }])).toEqual([later]);
    expect(ids([{ by: "ids", ids: [never, soon] }])).toEqual([never, soon]);
    expect(ids([{ by: "expiration", method: "after", at: new Date(t0 + 1000) }])).toEqual([never, later]);
    expect(ids([{ by: "expiration", method: "before_or_equals", at: new Date(t0 + 1000) }])).toEqual([soon]);
    expect(ids([{ by: "expiration", method: "equals", at: new Date(t0 + 9000) }])).toEqual([later]);
    expect(reason(() => s.publicKeys.list("nope", { filters: [], sort: "created", page }))).toBe("not_found/target.not_found");
  });
});
