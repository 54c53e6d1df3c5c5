import { describe, expect, it } from "vitest";
import { actor, memoryStores, newTarget, reasonOf } from "../helpers/store-fixtures.js";

const reason = reasonOf;

describe("target store", () => {
  it("creates a target, stores only the sealed signing key and writes target.added in the same transaction", () => {
    const s = memoryStores();
    const { target, signingKey } = s.targets.create(newTarget({ name: "Audit" }), actor);
    expect(target).toMatchObject({ name: "Audit", type: "webhook", timeoutMs: 5000, payloadType: "json" });
    const stored = s.db.prepare("SELECT key_enc FROM target_signing_keys").all() as { key_enc: string }[];
    expect(stored).toHaveLength(1);
    expect(stored[0]!.key_enc).not.toContain(signingKey);
    expect(s.targets.signingKeys(target.id, s.clock())).toEqual([signingKey]);
    const [event] = s.events.readAfter(0, 10);
    expect(event).toMatchObject({ type: "target.added", aggregateType: "target", aggregateId: target.id, sequence: 1, creator: "user-1", resourceOwner: "org-1" });
    expect(JSON.stringify(event!.payload)).not.toContain(signingKey);
  });

  it("rejects a duplicate name case-insensitively with ALREADY_EXISTS and writes no event", () => {
    const s = memoryStores();
    s.targets.create(newTarget({ name: "Audit" }), actor);
    expect(reason(() => s.targets.create(newTarget({ name: "aUDIT" }), actor))).toBe("already_exists/target.already_exists");
    expect(s.events.readAfter(0, 10)).toHaveLength(1);
  });

  it("rejects a rename onto another target's name", () => {
    const s = memoryStores();
    s.targets.create(newTarget({ name: "a" }), actor);
    const { target } = s.targets.create(newTarget({ name: "b" }), actor);
    expect(reason(() => s.targets.update(target.id, { name: "A" }, actor))).toBe("already_exists/target.already_exists");
  });

  it("returns the previous change date and writes no event when nothing changed", () => {
    const s = memoryStores();
    const { target } = s.targets.create(newTarget(), actor);
    s.clock.advance(1000);
    const r = s.targets.update(target.id, { name: target.name, timeoutMs: target.timeoutMs }, actor);
    expect(r.changedAt).toEqual(target.changedAt);
    expect(s.events.readAfter(0, 10)).toHaveLength(1);
  });

  it("turns interrupt_on_error from true to false", () => {
    const s = memoryStores();
    const { target } = s.targets.create(newTarget({ interruptOnError: true }), actor);
    s.targets.update(target.id, { kind: { type: "webhook", interruptOnError: false } }, actor);
    expect(s.targets.get(target.id).interruptOnError).toBe(false);
  });

  it("updates only the fields given and records them in target.changed", () => {
    const s = memoryStores();
    const { target } = s.targets.create(newTarget(), actor);
    s.clock.advance(1000);
    const r = s.targets.update(target.id, { endpoint: "https://other.example.net/", payloadType: "jwt" }, actor);
    const after = s.targets.get(target.id);
    expect(after).toMatchObject({ name: "hook", endpoint: "https://other.example.net/", payloadType: "jwt", changedAt: r.changedAt });
    expect(s.events.readAfter(1, 10)[0]).toMatchObject({ type: "target.changed", sequence: 2, payload: { endpoint: "https://other.example.net/", payloadType: "jwt" } });
  });

  it("rotates the signing key immediately with a 0 grace period", () => {
    const s = memoryStores();
    const { target, signingKey } = s.targets.create(newTarget(), actor);
    const r = s.targets.update(target.id, { rotateSigningKey: { graceMs: 0 } }, actor);
    expect(r.signingKey).toBeDefined();
    expect(r.signingKey).not.toBe(signingKey);
    expect(s.targets.signingKeys(target.id, s.clock())).toEqual([r.signingKey]);
  });

  it("keeps the previous key valid during a grace period, newest first, then drops it", () => {
    const s = memoryStores();
    const { target, signingKey } = s.targets.create(newTarget(), actor);
    const r = s.targets.update(target.id, { rotateSigningKey: { graceMs: 60_000 } }, actor);
    expect(s.targets.signingKeys(target.id, s.clock())).toEqual([r.signingKey, signingKey]);
    s.clock.advance(60_000);
    expect(s.targets.signingKeys(target.id, s.clock())).toEqual([r.signingKey]);
  });

  it("deletes a target with its keys and its place in executions, and succeeds again when already gone", () => {
    const s = memoryStores();
    const a = s.targets.create(newTarget({ name: "a" }), actor).target;
    const b = s.targets.create(newTarget({ name: "b" }), actor).target;
    s.executions.set("request", [a.id, b.id], actor);
    expect(s.targets.delete(a.id, actor)).toBeInstanceOf(Date);
    expect(s.executions.all()).toMatchObject([{ id: "request", targets: [b.id] }]);
    expect(s.db.prepare("SELECT COUNT(*) AS n FROM target_signing_keys WHERE target_id = ?").get(a.id)).toEqual({ n: 0 });
    expect(s.targets.delete(a.id, actor)).toBeUndefined();
    expect(reason(() => s.targets.get(a.id))).toBe("not_found/target.not_found");
  });

  it("lists with name filters, id filters, sorting and paging", () => {
    const s = memoryStores();
    for (const name of ["alpha", "Beta", "gamma", "ALPHA-2"]) {
      s.targets.create(newTarget({ name }), actor);
      s.clock.advance(1000);
    }
    const page = { offset: 0, limit: 100, asc: true };
    const names = (r: { items: { name: string }[] }) => r.items.map((t) => t.name);
    expect(names(s.targets.list({ filters: [], sort: "created", page }))).toEqual(["alpha", "Beta", "gamma", "ALPHA-2"]);
    expect(names(s.targets.list({ filters: [], sort: "created", page: { ...page, asc: false } }))).toEqual(["ALPHA-2", "gamma", "Beta", "alpha"]);
    expect(names(s.targets.list({ filters: [{ by: "name", method: "starts_with", value: "alpha" }], sort: "name", page }))).toEqual(["alpha"]);
    expect(names(s.targets.list({ filters: [{ by: "name", method: "starts_with_ignore_case", value: "alpha" }], sort: "name", page }))).toEqual(["ALPHA-2", "alpha"]);
    expect(names(s.targets.list({ filters: [{ by: "name", method: "ends_with", value: "ta" }], sort: "name", page }))).toEqual(["Beta"]);
    expect(names(s.targets.list({ filters: [{ by: "name", method: "contains_ignore_case", value: "A-" }], sort: "name", page }))).toEqual(["ALPHA-2"]);
    expect(names(s.targets.list({ filters: [{ by: "name", method: "equals_ignore_case", value: "beta" }], sort: "name", page }))).toEqual(["Beta"]);
    const r = s.targets.list({ filters: [], sort: "name", page: { offset: 1, limit: 2, asc: true } });
    expect(r.total).toBe(4);
    expect(names(r)).toEqual(["Beta", "alpha"]);
    const ids = s.targets.list({ filters: [], sort: "id", page }).items.map((t) => t.id);
    expect(names(s.targets.list({ filters: [{ by: "ids", ids: [ids[0]!, ids[2]!] }, { by: "name", method: "contains", value: "a" }], sort: "id", page }))).toEqual([
      "alpha",
      "gamma",
    ]);
  });

  it("treats LIKE wildcards in name filters literally", () => {
    const s = memoryStores();
    s.targets.create(newTarget({ name: "50%_off" }), actor);
    s.targets.create(newTarget({ name: "500" }), actor);
    const page = { offset: 0, limit: 10, asc: true };
    expect(s.targets.list({ filters: [{ by: "name", method: "contains", value: "%_" }], sort: "name", page }).items.map((t) => t.name)).toEqual(["50%_off"]);
  });
});

describe("target store key cache", () => {
  it("sees a rotation made through another connection to the same file", async () => {
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { openDatabase } = await import("../../src/store/db.js");
    const dir = mkdtempSync(join(tmpdir(), "tether-keycache-"));
    try {
      const a = memoryStores(openDatabase({ path: join(dir, "t.db") }));
      const b = memoryStores(openDatabase({ path: join(dir, "t.db") }));
      const { target, signingKey } = a.targets.create(newTarget(), actor);
      expect(a.targets.signingKeys(target.id, a.clock())).toEqual([signingKey]); // now cached in a
      const rotated = b.targets.update(target.id, { rotateSigningKey: { graceMs: 0 } }, actor);
      expect(a.targets.signingKeys(target.id, a.clock())).toEqual([rotated.signingKey]);
      a.db.close();
      b.db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
