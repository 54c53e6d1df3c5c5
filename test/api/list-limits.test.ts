import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { inProcess } from "../helpers/in-process.js";
import { expectCode } from "../helpers/expect-code.js";

// Regression (found by the fuzz suite): every listed id is one bound SQL parameter, and SQLite refuses more than
// 32766 in one statement; 40,000 ids (about 300 KB of JSON) made these RPCs fail with INTERNAL.
const ids = (n: number, prefix = "") => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
const allRequests = { conditionType: { case: "request", value: { condition: { case: "all", value: true } } } } as const;

describe("list sizes", () => {
  it("refuses more than 1000 target ids in an execution with INVALID_ARGUMENT naming the field", async () => {
    const { client, errors } = inProcess();
    await expectCode(client.setExecution({ condition: allRequests, targets: ids(40_000) }), Code.InvalidArgument, /^targets: must hold at most 1000 values, got 40000$/);
    await expectCode(client.setExecution({ condition: allRequests, targets: ids(1000) }), Code.NotFound);
    expect(errors).toEqual([]);
  });

  it("refuses more than 1000 ids or conditions in one filter", async () => {
    const { client, errors } = inProcess();
    await expectCode(client.listTargets({ filters: [{ filter: { case: "inTargetIdsFilter", value: { targetIds: ids(40_000) } } }] }), Code.InvalidArgument, /^filters\[0\]\.in_target_ids_filter\.target_ids: must hold at most 1000/);
    await expect(client.listTargets({ filters: [{ filter: { case: "inTargetIdsFilter", value: { targetIds: ids(1000) } } }] })).resolves.toMatchObject({ targets: [] });
    const conditions = ids(1001, "f").map((name) => ({ conditionType: { case: "function" as const, value: { name } } }));
    await expectCode(client.listExecutions({ filters: [{ filter: { case: "inConditionsFilter", value: { conditions } } }] }), Code.InvalidArgument, /in_conditions_filter\.conditions: must hold at most 1000/);
    const { id: targetId } = await client.createTarget({ name: "t", targetType: { case: "restAsync", value: {} }, timeout: { seconds: 1n }, endpoint: "https://hooks.example.net/" });
    await expectCode(client.listPublicKeys({ targetId, filters: [{ filter: { case: "keyIdsFilter", value: { ids: ids(1001) } } }] }), Code.InvalidArgument, /key_ids_filter\.ids: must hold at most 1000/);
    expect(errors).toEqual([]);
  });

  it("refuses more than 20 filters, which together could still exceed SQLite's parameter limit", async () => {
    const { client, errors } = inProcess();
    const nameFilters = ids(20_000).map((targetName) => ({ filter: { case: "targetNameFilter" as const, value: { targetName } } }));
    await expectCode(client.listTargets({ filters: nameFilters }), Code.InvalidArgument, /^filters: must hold at most 20 filters, got 20000$/);
    const idFilters = Array.from({ length: 20 }, () => ({ filter: { case: "inTargetIdsFilter" as const, value: { targetIds: ids(1000) } } }));
    await expect(client.listTargets({ filters: idFilters })).resolves.toMatchObject({ targets: [] });
    await expectCode(client.listExecutions({ filters: Array.from({ length: 21 }, () => ({ filter: { case: "targetFilter" as const, value: { targetId: "1" } } })) }), Code.InvalidArgument, /^filters: /);
    expect(errors).toEqual([]);
  });
});
