import { describe, expect, it } from "vitest";
import { actor, memoryStores, newTarget } from "../helpers/store-fixtures.js";
import { DomainError } from "../../src/domain/errors.js";

describe("execution store", () => {
  it("sets, replaces and clears the ordered targets of an execution, with an event each time", () => {
    const s = memoryStores();
    const a = s.targets.create(newTarget({ name: "a" }), actor).target.id;
    const b = s.targets.create(newTarget({ name: "b" }), actor).target.id;
    s.executions.set("request/x.Y/Z", [b, a], actor);
    expect(s.executions.all()).toMatchObject([{ id: "request/x.Y/Z", targets: [b, a] }]);
    s.executions.set("request/x.Y/Z", [a], actor);
    expect(s.executions.all()).toMatchObject([{ targets: [a] }]);
    s.executions.set("request/x.Y/Z", [], actor);
    expect(s.executions.all()).toEqual([]);
    const types = s.events.readAfter(0, 100).map((e) => e.type);
    expect(types).toEqual(["target.added", "target.added", "execution.set", "execution.set", "execution.removed"]);
  });

  it("changes nothing for an identical list and returns the previous set date", () => {
    const s = memoryStores();
    const a = s.targets.create(newTarget({ name: "a" }), actor).target.id;
    const first = s.executions.set("event", [a], actor);
    s.clock.advance(5000);
    expect(s.executions.set("event", [a], actor)).toEqual(first);
    expect(s.events.readAfter(0, 100)).toHaveLength(2);
  });

  it("rejects unknown target ids with NOT_FOUND and leaves the execution as it was", () => {
    const s = memoryStores();
    const a = s.targets.create(newTarget({ name: "a" }), actor).target.id;
    s.executions.set("event", [a], actor);
    expect(() => s.executions.set("event", [a, "nope"], actor)).toThrow(DomainError);
    expect(s.executions.all()).toMatchObject([{ targets: [a] }]);
  });

  it("lists only executions with targets, filtered by kind, target and ids", () => {
    const s = memoryStores();
    const a = s.targets.create(newTarget({ name: "a" }), actor).target.id;
    const b = s.targets.create(newTarget({ name: "b" }), actor).target.id;
    s.executions.set("request", [a], actor);
    s.executions.set("requestx/odd", [a], actor); // not of kind "request": prefix needs the slash boundary
    s.executions.set("response/x.Y", [b], actor);
    s.executions.set("event/user.*", [a, b], actor);
    s.executions.set("event", [a], actor);
    s.executions.set("event", [], actor);
    const page = { offset: 0, limit: 100, asc: true };
    const ids = (filters: Parameters<typeof s.executions.list>[0]["filters"]) => s.executions.list({ filters, sort: "id", page }).items.map((e) => e.id);
    expect(ids([])).toEqual(["event/user.*", "request", "requestx/odd", "response/x.Y"]);
    expect(ids([{ by: "kind", kind: "request" }])).toEqual(["request"]);
    expect(ids([{ by: "target", targetId: b }])).toEqual(["event/user.*", "response/x.Y"]);
    expect(ids([{ by: "ids", ids: ["request", "event"] }])).toEqual(["request"]);
    expect(s.executions.list({ filters: [], sort: "id", page: { offset: 0, limit: 2, asc: false } })).toMatchObject({ total: 4, items: [{ id: "response/x.Y" }, { id: "requestx/odd" }] });
  });
});
