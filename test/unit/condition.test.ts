import { describe, expect, it } from "vitest";
import { checkCondition, conditionFromExecutionId, eventInGroup, executionId, type Condition, type ConditionCatalog } from "../../src/domain/condition.js";
import { DomainError } from "../../src/domain/errors.js";

const catalog: ConditionCatalog = {
  methods: () => ["/zitadel.action.v2.ActionService/GetTarget", "/zitadel.user.v2.UserService/DeleteUser"],
  services: () => ["zitadel.action.v2.ActionService"],
  eventTypes: () => ["target.added", "target.public_key.added", "user.human.added", "user_schema.created"],
};

function kindOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return `${e.kind}:${e.message}`;
    throw e;
  }
  return "ok";
}

describe("execution ids", () => {
  it.each<[Condition, string]>([
    [{ kind: "request", level: "method", method: "/zitadel.session.v2.SessionService/SetSession" }, "request/zitadel.session.v2.SessionService/SetSession"],
    [{ kind: "request", level: "service", service: "zitadel.session.v2.SessionService" }, "request/zitadel.session.v2.SessionService"],
    [{ kind: "request", level: "all" }, "request"],
    [{ kind: "response", level: "method", method: "/a.B/C" }, "response/a.B/C"],
    [{ kind: "response", level: "all" }, "response"],
    [{ kind: "function", level: "function", name: "preuserinfo" }, "function/preuserinfo"],
    [{ kind: "event", level: "event", event: "user.human.added" }, "event/user.human.added"],
    [{ kind: "event", level: "group", group: "user.human" }, "event/user.human.*"],
    [{ kind: "event", level: "all" }, "event"],
  ])("maps %j to %s and back", (condition, id) => {
    expect(executionId(condition)).toBe(id);
    expect(conditionFromExecutionId(id)).toEqual(condition);
  });
});

describe("checkCondition", () => {
  it("accepts a known method with or without the leading slash and returns it with the slash", () => {
    const c = checkCondition("condition", { kind: "request", level: "method", method: "zitadel.action.v2.ActionService/GetTarget" }, catalog);
    expect(c).toEqual({ kind: "request", level: "method", method: "/zitadel.action.v2.ActionService/GetTarget" });
  });

  it("rejects an unknown method with NOT_FOUND naming the field", () => {
    expect(kindOf(() => checkCondition("condition", { kind: "request", level: "method", method: "/x.Y/Z" }, catalog))).toMatch(
      /^not_found:condition\.request\.method: unknown method/,
    );
  });

  it("rejects an unknown service, function and event type with NOT_FOUND", () => {
    expect(kindOf(() => checkCondition("c", { kind: "response", level: "service", service: "x.Y" }, catalog))).toMatch(/^not_found:/);
    expect(kindOf(() => checkCondition("c", { kind: "function", level: "function", name: "nope" }, catalog))).toMatch(/^not_found:/);
    expect(kindOf(() => checkCondition("c", { kind: "event", level: "event", event: "user.human" }, catalog))).toMatch(/^not_found:/);
  });

  it("rejects empty and over-long condition strings with INVALID_ARGUMENT", () => {
    expect(kindOf(() => checkCondition("c", { kind: "request", level: "service", service: "" }, catalog))).toMatch(/^invalid_argument:c\.request\.service/);
    expect(kindOf(() => checkCondition("c", { kind: "event", level: "event", event: "x".repeat(1001) }, catalog))).toMatch(/^invalid_argument:.*at most 1000/);
  });

  it("accepts a group only on a dot boundary", () => {
    expect(kindOf(() => checkCondition("c", { kind: "event", level: "group", group: "user" }, catalog))).toBe("ok");
    expect(kindOf(() => checkCondition("c", { kind: "event", level: "group", group: "use" }, catalog))).toMatch(/^not_found:/);
    expect(checkCondition("c", { kind: "event", level: "group", group: "target.*" }, catalog)).toEqual({ kind: "event", level: "group", group: "target" });
  });

  it("treats user_schema events as outside the user group", () => {
    expect(eventInGroup("user_schema.created", "user")).toBe(false);
    expect(eventInGroup("user.human.added", "user")).toBe(true);
    expect(eventInGroup("user", "user")).toBe(true);
  });
});
