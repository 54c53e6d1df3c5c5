import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { inProcess } from "../helpers/in-process.js";
import { expectCode } from "../helpers/expect-code.js";
import { PayloadType } from "../../gen/zitadel/action/v2/target_pb.js";
import { TargetFieldName } from "../../gen/zitadel/action/v2/query_pb.js";
import { TextFilterMethod } from "../../gen/zitadel/filter/v2/filter_pb.js";

const valid = {
  name: "audit",
  targetType: { case: "restWebhook" as const, value: { interruptOnError: true } },
  timeout: { seconds: 5n },
  endpoint: "https://hooks.example.net/audit",
};

describe("CreateTarget", () => {
  it("returns a numeric id, the creation date and a 36-character alphanumeric signing key", async () => {
    const { client } = inProcess();
    const res = await client.createTarget(valid);
    expect(res.id).toMatch(/^\d+$/);
    expect(res.creationDate).toBeDefined();
    expect(res.signingKey).toMatch(/^[a-zA-Z0-9]{36}$/);
  });

  it("never returns the signing key on Get or List and reads an unspecified payload type back as JSON", async () => {
    const { client } = inProcess();
    const { id } = await client.createTarget(valid);
    const { target } = await client.getTarget({ id });
    expect(target).toMatchObject({ id, name: "audit", endpoint: valid.endpoint, signingKey: "", payloadType: PayloadType.JSON });
    expect(target?.targetType).toMatchObject({ case: "restWebhook", value: { interruptOnError: true } });
    expect(target?.timeout?.seconds).toBe(5n);
    const list = await client.listTargets({});
    expect(list.targets.every((t) => t.signingKey === "")).toBe(true);
  });

  it.each([
    ["an empty name", { name: "" }, /^name: must not be empty/],
    ["a blank name", { name: "   " }, /^name: must not be blank/],
    ["a name over 1000 characters", { name: "x".repeat(1001) }, /^name: must be at most 1000/],
    ["no target type", { targetType: { case: undefined } }, /^target_type: /],
    ["no timeout", { timeout: undefined }, /^timeout: is required/],
    ["a zero timeout", { timeout: { seconds: 0n } }, /^timeout: must be greater than 0s/],
    ["a negative timeout", { timeout: { seconds: -1n } }, /^timeout: must be greater than 0s/],
    ["a timeout over 270s", { timeout: { seconds: 271n } }, /^timeout: must be at most 270s/],
    ["a sub-millisecond timeout", { timeout: { seconds: 1n, nanos: 1 } }, /^timeout: must be a whole number of milliseconds/],
    ["malformed duration nanos", { timeout: { seconds: 1n, nanos: 2_000_000_000 } }, /^timeout: has invalid nanos/],
    ["an empty endpoint", { endpoint: "" }, /^endpoint: must not be empty/],
    ["an endpoint over 2048 characters", { endpoint: `https://a.example.net/${"x".repeat(2048)}` }, /^endpoint: must be at most 2048/],
    ["an unparsable endpoint", { endpoint: "not a url" }, /^endpoint: /],
    ["an http endpoint outside development mode", { endpoint: "http://hooks.example.net/" }, /^endpoint: .*https/],
    ["a private address", { endpoint: "https://10.1.2.3/" }, /^endpoint: /],
    ["a loopback address", { endpoint: "https://127.0.0.1:8443/" }, /^endpoint: /],
    ["localhost", { endpoint: "https://localhost/" }, /^endpoint: /],
    ["the metadata address", { endpoint: "https://169.254.169.254/latest" }, /^endpoint: /],
    ["an unknown payload type", { payloadType: 99 as PayloadType }, /^payload_type: unknown enum value 99/],
  ])("rejects %s with INVALID_ARGUMENT naming the field", async (_what, patch, message) => {
    const { client } = inProcess();
    await expectCode(client.createTarget({ ...valid, ...patch }), Code.InvalidArgument, message);
  });

  it("counts name length in code points: 1000 emoji are accepted", async () => {
    const { client } = inProcess();
    await expect(client.createTarget({ ...valid, name: "😀".repeat(1000) })).resolves.toBeDefined();
  });

  it("accepts the 270s maximum and fractional seconds", async () => {
    const { client } = inProcess();
    await client.createTarget({ ...valid, name: "a", timeout: { seconds: 270n } });
    const { id } = await client.createTarget({ ...valid, name: "b", timeout: { seconds: 1n, nanos: 500_000_000 } });
    const { target } = await client.getTarget({ id });
    expect(target?.timeout).toMatchObject({ seconds: 1n, nanos: 500_000_000 });
  });

  it("allows http and loopback endpoints in development mode only", async () => {
    const { client } = inProcess({ dev: true });
    await client.createTarget({ ...valid, endpoint: "http://127.0.0.1:9000/hook" });
    await client.createTarget({ ...valid, name: "b", endpoint: "http://localhost:9000/hook" });
    await expectCode(client.createTarget({ ...valid, name: "c", endpoint: "http://10.0.0.1/hook" }), Code.InvalidArgument, /^endpoint: /);
  });

  it("rejects a duplicate name, compared case-insensitively, with ALREADY_EXISTS", async () => {
    const { client } = inProcess();
    await client.createTarget(valid);
    await expectCode(client.createTarget({ ...valid, name: "AUDIT" }), Code.AlreadyExists, /already exists/);
  });
});

describe("UpdateTarget", () => {
  it("reports a missing target as NOT_FOUND and an empty id as INVALID_ARGUMENT", async () => {
    const { client } = inProcess();
    await expectCode(client.updateTarget({ id: "123", name: "x" }), Code.NotFound);
    await expectCode(client.updateTarget({ id: "" }), Code.InvalidArgument, /^id: must not be empty/);
  });

  it("changes only the given fields and returns no signing key without rotation", async () => {
    const { client, clock } = inProcess();
    const { id } = await client.createTarget(valid);
    clock.advance(1000);
    const res = await client.updateTarget({ id, endpoint: "https://other.example.net/x", payloadType: PayloadType.JWT });
    expect(res.signingKey).toBeUndefined();
    const { target } = await client.getTarget({ id });
    expect(target).toMatchObject({ name: "audit", endpoint: "https://other.example.net/x", payloadType: PayloadType.JWT });
    expect(target?.changeDate).toEqual(res.changeDate);
  });

  it("returns the last change date when nothing changed", async () => {
    const { client, clock } = inProcess();
    const { id, creationDate } = await client.createTarget(valid);
    clock.advance(5000);
    const res = await client.updateTarget({ id, name: "audit" });
    expect(res.changeDate).toEqual(creationDate);
  });

  it("rotates the signing key with 0s and with a grace period, and rejects more than 30 days", async () => {
    const { client, app } = inProcess();
    const { id, signingKey } = await client.createTarget(valid);
    const now = await client.updateTarget({ id, expirationSigningKey: { seconds: 0n } });
    expect(now.signingKey).toMatch(/^[a-zA-Z0-9]{36}$/);
    expect(now.signingKey).not.toBe(signingKey);
    expect(app.stores.targets.signingKeys(id, new Date(Date.parse("2026-01-01T00:00:00Z")))).toEqual([now.signingKey]);
    const graced = await client.updateTarget({ id, expirationSigningKey: { seconds: 3600n } });
    expect(app.stores.targets.signingKeys(id, new Date(Date.parse("2026-01-01T00:00:00Z")))).toEqual([graced.signingKey, now.signingKey]);
    await expectCode(client.updateTarget({ id, expirationSigningKey: { seconds: 30n * 86400n + 1n } }), Code.InvalidArgument, /^expiration_signing_key: /);
    await expectCode(client.updateTarget({ id, expirationSigningKey: { seconds: -1n } }), Code.InvalidArgument, /^expiration_signing_key: /);
  });

  it("switches type, turns interrupt off, and forces interrupt off for async", async () => {
    const { client } = inProcess();
    const { id } = await client.createTarget(valid);
    await client.updateTarget({ id, targetType: { case: "restWebhook", value: { interruptOnError: false } } });
    expect((await client.getTarget({ id })).target?.targetType).toMatchObject({ case: "restWebhook", value: { interruptOnError: false } });
    await client.updateTarget({ id, targetType: { case: "restCall", value: { interruptOnError: true } } });
    await client.updateTarget({ id, targetType: { case: "restAsync", value: {} } });
    const { targets } = await client.listTargets({ sortingColumn: TargetFieldName.INTERRUPT_ON_ERROR, filters: [{ filter: { case: "inTargetIdsFilter", value: { targetIds: [id] } } }] });
    expect(targets[0]?.targetType.case).toBe("restAsync");
  });

  it("validates changed fields like create does", async () => {
    const { client } = inProcess();
    const { id } = await client.createTarget(valid);
    await expectCode(client.updateTarget({ id, name: "" }), Code.InvalidArgument, /^name: /);
    await expectCode(client.updateTarget({ id, timeout: { seconds: 0n } }), Code.InvalidArgument, /^timeout: /);
    await expectCode(client.updateTarget({ id, endpoint: "ftp://x.example.net" }), Code.InvalidArgument, /^endpoint: /);
    await expectCode(client.updateTarget({ id, payloadType: 7 as PayloadType }), Code.InvalidArgument, /^payload_type: /);
  });
});

describe("DeleteTarget", () => {
  it("deletes, then succeeds again without a deletion date", async () => {
    const { client } = inProcess();
    const { id } = await client.createTarget(valid);
    expect((await client.deleteTarget({ id })).deletionDate).toBeDefined();
    expect((await client.deleteTarget({ id })).deletionDate).toBeUndefined();
    await expectCode(client.getTarget({ id }), Code.NotFound);
  });

  it("removes the target from every execution", async () => {
    const { client } = inProcess();
    const a = (await client.createTarget({ ...valid, name: "a" })).id;
    const b = (await client.createTarget({ ...valid, name: "b" })).id;
    // A function condition: a request/response one would call these (unreachable, interrupting) targets.
    await client.setExecution({ condition: { conditionType: { case: "function", value: { name: "preuserinfo" } } }, targets: [a, b] });
    await client.setExecution({ condition: { conditionType: { case: "event", value: { condition: { case: "all", value: true } } } }, targets: [a] });
    await client.deleteTarget({ id: a });
    const { executions } = await client.listExecutions({});
    expect(executions.map((e) => e.targets)).toEqual([[b]]);
  });
});

describe("ListTargets", () => {
  async function seeded() {
    const ctx = inProcess();
    for (const name of ["alpha", "Beta", "gamma"]) {
      await ctx.client.createTarget({ ...valid, name });
      ctx.clock.advance(1000);
    }
    return ctx;
  }

  it("sorts by creation date descending by default and reports totals", async () => {
    const { client } = await seeded();
    const res = await client.listTargets({ pagination: { limit: 2 } });
    expect(res.targets.map((t) => t.name)).toEqual(["gamma", "Beta"]);
    expect(res.pagination).toMatchObject({ totalResult: 3n, appliedLimit: 2n });
    expect((await client.listTargets({})).pagination?.appliedLimit).toBe(100n);
  });

  it("filters by name with a text method and sorts by name ascending", async () => {
    const { client } = await seeded();
    const res = await client.listTargets({
      pagination: { asc: true },
      sortingColumn: TargetFieldName.NAME,
      filters: [{ filter: { case: "targetNameFilter", value: { targetName: "A", method: TextFilterMethod.CONTAINS_IGNORE_CASE } } }],
    });
    expect(res.targets.map((t) => t.name)).toEqual(["Beta", "alpha", "gamma"]);
  });

  it("rejects a limit above 1000, an unknown sort column and an empty filter with INVALID_ARGUMENT", async () => {
    const { client } = await seeded();
    await expectCode(client.listTargets({ pagination: { limit: 1001 } }), Code.InvalidArgument, /^pagination\.limit/);
    await expectCode(client.listTargets({ sortingColumn: 42 as TargetFieldName }), Code.InvalidArgument, /^sorting_column/);
    await expectCode(client.listTargets({ filters: [{}] }), Code.InvalidArgument, /^filters\[0\]/);
    await expectCode(
      client.listTargets({ filters: [{ filter: { case: "targetNameFilter", value: { targetName: "x".repeat(201) } } }] }),
      Code.InvalidArgument,
      /target_name/,
    );
  });
});
