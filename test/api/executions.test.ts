import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { inProcess } from "../helpers/in-process.js";
import { expectCode } from "../helpers/expect-code.js";
import { ExecutionType } from "../../gen/zitadel/action/v2/query_pb.js";
import type { Condition } from "../../gen/zitadel/action/v2/execution_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ConditionSchema } from "../../gen/zitadel/action/v2/execution_pb.js";

type C = MessageInitShape<typeof ConditionSchema>;
const request = (condition: { case: "method" | "service"; value: string } | { case: "all"; value: boolean }): C => ({ conditionType: { case: "request", value: { condition } } });
const response = (condition: { case: "method" | "service"; value: string } | { case: "all"; value: boolean }): C => ({ conditionType: { case: "response", value: { condition } } });
const event = (condition: { case: "event" | "group"; value: string } | { case: "all"; value: boolean }): C => ({ conditionType: { case: "event", value: { condition } } });
const fn = (name: string): C => ({ conditionType: { case: "function", value: { name } } });

async function withTargets() {
  const ctx = inProcess();
  const mk = async (name: string) =>
    (await ctx.client.createTarget({ name, targetType: { case: "restCall", value: {} }, timeout: { seconds: 1n }, endpoint: "https://hooks.example.net/" })).id;
  return { ...ctx, a: await mk("a"), b: await mk("b") };
}

describe("SetExecution", () => {
  it.each<[string, C, Partial<Condition["conditionType"]>]>([
    ["a method", request({ case: "method", value: "/zitadel.action.v2.ActionService/GetTarget" }), { case: "request" }],
    ["a method without the leading slash", request({ case: "method", value: "zitadel.action.v2.ActionService/GetTarget" }), { case: "request" }],
    ["a service", response({ case: "service", value: "zitadel.action.v2.ActionService" }), { case: "response" }],
    ["all requests", request({ case: "all", value: true }), { case: "request" }],
    ["a function", fn("preuserinfo"), { case: "function" }],
    ["an event", event({ case: "event", value: "target.added" }), { case: "event" }],
    ["an event group", event({ case: "group", value: "target" }), { case: "event" }],
    ["all events", event({ case: "all", value: true }), { case: "event" }],
  ])("sets an execution on %s and lists it back", async (_what, condition, expected) => {
    const { client, a, b } = await withTargets();
    const { setDate } = await client.setExecution({ condition, targets: [b, a] });
    expect(setDate).toBeDefined();
    const { executions } = await client.listExecutions({});
    expect(executions).toHaveLength(1);
    expect(executions[0]!.targets).toEqual([b, a]);
    expect(executions[0]!.condition?.conditionType).toMatchObject(expected);
  });

  it("reads methods back with a leading slash and groups without .*", async () => {
    const { client, a } = await withTargets();
    await client.setExecution({ condition: request({ case: "method", value: "zitadel.action.v2.ActionService/GetTarget" }), targets: [a] });
    await client.setExecution({ condition: event({ case: "group", value: "target.*" }), targets: [a] });
    const { executions } = await client.listExecutions({ sortingColumn: 1, pagination: { asc: true } });
    expect(executions.map((e) => { const v = e.condition?.conditionType.value; return v && "condition" in v ? v.condition : undefined; })).toEqual([
      { case: "group", value: "target" },
      { case: "method", value: "/zitadel.action.v2.ActionService/GetTarget" },
    ]);
  });

  it.each<[string, C | undefined, RegExp]>([
    ["no condition", undefined, /^condition: one of request, response, function or event is required/],
    ["an empty request condition", { conditionType: { case: "request", value: {} } }, /^condition\.request: one of method, service or all/],
    ["all=false", request({ case: "all", value: false }), /^condition\.request\.all: must be true/],
    ["event all=false", event({ case: "all", value: false }), /^condition\.event\.all: must be true/],
    ["an empty method", request({ case: "method", value: "" }), /^condition\.request\.method: must not be empty/],
    ["an empty function name", fn(""), /^condition\.function\.name: must not be empty/],
    ["a 1001-character service", request({ case: "service", value: "s".repeat(1001) }), /at most 1000/],
  ])("rejects %s with INVALID_ARGUMENT", async (_what, condition, message) => {
    const { client, a } = await withTargets();
    await expectCode(client.setExecution({ condition, targets: [a] }), Code.InvalidArgument, message);
  });

  it.each<[string, C]>([
    ["an unknown method", request({ case: "method", value: "/zitadel.user.v2.UserService/AddHumanUser" })],
    ["an unknown service", response({ case: "service", value: "zitadel.user.v2.UserService" })],
    ["an unknown function", fn("postlogin")],
    ["an unknown event type", event({ case: "event", value: "user.human.added" })],
    ["a group cut mid-word", event({ case: "group", value: "targ" })],
  ])("rejects %s with NOT_FOUND", async (_what, condition) => {
    const { client, a } = await withTargets();
    await expectCode(client.setExecution({ condition, targets: [a] }), Code.NotFound);
  });

  it("rejects unknown, empty and duplicate target ids", async () => {
    const { client, a } = await withTargets();
    const condition = request({ case: "all", value: true });
    await expectCode(client.setExecution({ condition, targets: [a, "404"] }), Code.NotFound, /404/);
    await expectCode(client.setExecution({ condition, targets: [""] }), Code.InvalidArgument, /^targets\[0\]: must not be empty/);
    await expectCode(client.setExecution({ condition, targets: [a, a] }), Code.InvalidArgument, /^targets\[1\]: duplicate/);
  });

  it("replaces the list, clears it with an empty list and then hides the execution", async () => {
    const { client, a, b } = await withTargets();
    const condition = request({ case: "all", value: true });
    await client.setExecution({ condition, targets: [a, b] });
    await client.setExecution({ condition, targets: [b] });
    expect((await client.listExecutions({})).executions.map((e) => e.targets)).toEqual([[b]]);
    await client.setExecution({ condition, targets: [] });
    expect((await client.listExecutions({})).executions).toEqual([]);
  });
});

describe("ListExecutions", () => {
  it("filters by type, target and conditions", async () => {
    const { client, clock, a, b } = await withTargets();
    await client.setExecution({ condition: request({ case: "all", value: true }), targets: [a] });
    clock.advance(1000);
    await client.setExecution({ condition: response({ case: "all", value: true }), targets: [b] });
    clock.advance(1000);
    await client.setExecution({ condition: event({ case: "all", value: true }), targets: [a, b] });
    const byType = await client.listExecutions({ filters: [{ filter: { case: "executionTypeFilter", value: { executionType: ExecutionType.RESPONSE } } }] });
    expect(byType.executions.map((e) => e.targets)).toEqual([[b]]);
    const byTarget = await client.listExecutions({ filters: [{ filter: { case: "targetFilter", value: { targetId: a } } }], pagination: { asc: true } });
    expect(byTarget.executions.map((e) => e.condition?.conditionType.case)).toEqual(["request", "event"]);
    const byCondition = await client.listExecutions({ filters: [{ filter: { case: "inConditionsFilter", value: { conditions: [event({ case: "all", value: true })] } } }] });
    expect(byCondition.executions).toHaveLength(1);
    expect(byCondition.pagination?.totalResult).toBe(1n);
    await expectCode(client.listExecutions({ filters: [{ filter: { case: "executionTypeFilter", value: { executionType: 9 as ExecutionType } } }] }), Code.InvalidArgument);
    await expectCode(client.listExecutions({ pagination: { limit: 5000 } }), Code.InvalidArgument, /pagination\.limit/);
  });
});

describe("ListExecutionFunctions / Methods / Services", () => {
  it("lists the three functions, every mounted method with a leading slash and every mounted service", async () => {
    const { client } = inProcess();
    expect((await client.listExecutionFunctions({})).functions).toEqual(["preuserinfo", "preaccesstoken", "presamlresponse"]);
    const { methods } = await client.listExecutionMethods({});
    expect(methods).toHaveLength(29); // 15 of the Action Service, 10 of its v2beta, 4 of tether.v1.DeliveryService
    expect(methods).toContain("/zitadel.action.v2.ActionService/SetExecution");
    expect((await client.listExecutionServices({})).services).toEqual(["zitadel.action.v2.ActionService", "zitadel.action.v2beta.ActionService", "tether.v1.DeliveryService"]);
  });
});
