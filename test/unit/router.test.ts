import { describe, expect, it } from "vitest";
import { createExecutionRouter } from "../../src/execution/router.js";

function routerOf(executions: Record<string, string[]>) {
  let version = 0;
  const data = { ...executions };
  const router = createExecutionRouter({ all: () => Object.entries(data).map(([id, targets]) => ({ id, targets })), version: () => version });
  return {
    router,
    set(id: string, targets: string[]) {
      data[id] = targets;
      version++;
    },
  };
}

describe("execution router", () => {
  it("prefers method over service over all, and never combines levels", () => {
    const { router } = routerOf({ request: ["all"], "request/a.B": ["svc"], "request/a.B/Get": ["method"] });
    expect(router.forMethod("request", "/a.B/Get")?.targets).toEqual(["method"]);
    expect(router.forMethod("request", "/a.B/List")?.targets).toEqual(["svc"]);
    expect(router.forMethod("request", "/c.D/Get")?.targets).toEqual(["all"]);
    expect(router.forMethod("response", "/a.B/Get")).toBeUndefined();
  });

  it("does not let DeleteUser fire for DeleteUserMetadata (method boundary)", () => {
    const { router } = routerOf({ "request/zitadel.user.v2.UserService/DeleteUser": ["t"] });
    expect(router.forMethod("request", "/zitadel.user.v2.UserService/DeleteUser")?.targets).toEqual(["t"]);
    expect(router.forMethod("request", "/zitadel.user.v2.UserService/DeleteUserMetadata")).toBeUndefined();
  });

  it("does not let a service match another service sharing its prefix", () => {
    const { router } = routerOf({ "request/a.User": ["t"] });
    expect(router.forMethod("request", "/a.UserService/Get")).toBeUndefined();
  });

  it("matches events: exact type > longest group > shorter group > all, on dot boundaries", () => {
    const { router } = routerOf({ event: ["all"], "event/user.*": ["user"], "event/user.human.*": ["human"], "event/user.human.added": ["exact"] });
    expect(router.forEvent("user.human.added")?.targets).toEqual(["exact"]);
    expect(router.forEvent("user.human.changed")?.targets).toEqual(["human"]);
    expect(router.forEvent("user.machine.added")?.targets).toEqual(["user"]);
    expect(router.forEvent("user_schema.created")?.targets).toEqual(["all"]);
    expect(router.forEvent("user")?.targets).toEqual(["user"]);
  });

  it("falls back to a less specific level when the specific execution has no targets", () => {
    const { router } = routerOf({ request: ["all"], "request/a.B/Get": [] });
    expect(router.forMethod("request", "/a.B/Get")?.targets).toEqual(["all"]);
  });

  it("returns both routes of a call at once, and nothing when no execution exists", () => {
    const { router } = routerOf({ "request/a.B": ["req"], response: ["resp"] });
    expect(router.forCall("/a.B/Get")).toEqual({ request: { executionId: "request/a.B", targets: ["req"] }, response: { executionId: "response", targets: ["resp"] } });
    expect(routerOf({}).router.forCall("/a.B/Get")).toEqual({});
  });

  it("sees a change on the very next lookup", () => {
    const { router, set } = routerOf({});
    expect(router.forFunction("preuserinfo")).toBeUndefined();
    set("function/preuserinfo", ["f"]);
    expect(router.forFunction("preuserinfo")?.targets).toEqual(["f"]);
  });
});
