// The published SDK (@zitadel/proto and @zitadel/client 1.3.1, which know only zitadel.action.v2beta) used
// unchanged against the real server: its own descriptors, its own client factory and its own gRPC transport.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, createClient as createTetherClient, type Client, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { createClientFor, NewAuthorizationBearerInterceptor } from "@zitadel/client";
import { createServerTransport } from "@zitadel/client/node";
import { ActionService } from "@zitadel/proto/zitadel/action/v2beta/action_service_pb.js";
import { TargetFieldName } from "@zitadel/proto/zitadel/action/v2beta/query_pb.js";
import { TextFilterMethod } from "@zitadel/proto/zitadel/filter/v2beta/filter_pb.js";
import { ActionService as ActionServiceV2 } from "../../gen/zitadel/action/v2/action_service_pb.js";
import { PayloadType } from "../../gen/zitadel/action/v2/target_pb.js";
import { restClient, startTestTether } from "../helpers/tether-server.js";
import { startRecordingTarget, type RecordingTarget } from "../helpers/recording-target.js";
import { expectCode } from "../helpers/expect-code.js";

const V2BETA = "zitadel.action.v2beta.ActionService";

let server: Awaited<ReturnType<typeof startTestTether>>;
let receiver: RecordingTarget;
beforeAll(async () => {
  server = await startTestTether({ TETHER_DEV: "true" });
  receiver = await startRecordingTarget();
});
afterAll(async () => {
  await server.stop();
  await receiver.close();
});

const createActionServiceClient = createClientFor(ActionService);

const transports: Record<string, (token: string) => Transport> = {
  // What @zitadel/client offers for servers: gRPC with its bearer interceptor.
  "gRPC (createServerTransport)": (token) => createServerTransport(token, { baseUrl: server.url }),
  "Connect JSON": (token) => createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", interceptors: [NewAuthorizationBearerInterceptor(token)] }),
};

const webhook = (interruptOnError = false) => ({ case: "restWebhook" as const, value: { interruptOnError } });

describe.each(Object.entries(transports))("SDK ActionService client over %s", (protocol, makeTransport) => {
  let client: Client<typeof ActionService>;
  beforeAll(() => {
    client = createActionServiceClient(makeTransport(server.token!));
  });

  it("creates, gets, lists, updates and deletes a target", async () => {
    const name = `sdk-${protocol}`;
    const created = await client.createTarget({ name, targetType: webhook(true), timeout: { seconds: 5n }, endpoint: receiver.url("/sdk") });
    expect(created.signingKey).toMatch(/^[a-zA-Z0-9]{36}$/);
    expect(created.creationDate).toBeDefined();

    const { target } = await client.getTarget({ id: created.id });
    expect(target).toMatchObject({ id: created.id, name, endpoint: receiver.url("/sdk"), signingKey: "", targetType: { case: "restWebhook", value: { interruptOnError: true } } });
    expect(target?.timeout?.seconds).toBe(5n);

    const listed = await client.listTargets({
      pagination: { limit: 10, asc: true },
      sortingColumn: TargetFieldName.NAME,
      filters: [{ filter: { case: "targetNameFilter", value: { targetName: name, method: TextFilterMethod.EQUALS_IGNORE_CASE } } }],
    });
    expect(listed.pagination).toMatchObject({ totalResult: 1n, appliedLimit: 10n });
    expect(listed.targets.map((t) => t.id)).toEqual([created.id]);

    const updated = await client.updateTarget({ id: created.id, name: `${name}-renamed`, targetType: { case: "restAsync", value: {} }, expirationSigningKey: { seconds: 0n } });
    expect(updated.signingKey).toMatch(/^[a-zA-Z0-9]{36}$/);
    expect(updated.signingKey).not.toBe(created.signingKey);
    const after = (await client.getTarget({ id: created.id })).target;
    expect(after).toMatchObject({ name: `${name}-renamed`, targetType: { case: "restAsync" } });

    expect((await client.deleteTarget({ id: created.id })).deletionDate).toBeDefined();
    await expectCode(client.getTarget({ id: created.id }), Code.NotFound);
  });

  it("sets an execution on a v2beta method, lists it and clears it", async () => {
    const { id } = await client.createTarget({ name: `exec-${protocol}`, targetType: webhook(), timeout: { seconds: 5n }, endpoint: receiver.url("/exec") });
    const method = `/${V2BETA}/ListExecutionServices`;
    const condition = { conditionType: { case: "response" as const, value: { condition: { case: "method" as const, value: method } } } };
    expect((await client.setExecution({ condition, targets: [id] })).setDate).toBeDefined();

    const { executions, pagination } = await client.listExecutions({ filters: [{ filter: { case: "targetFilter", value: { targetId: id } } }] });
    expect(pagination?.totalResult).toBe(1n);
    expect(executions[0]?.targets).toEqual([id]);
    expect(executions[0]?.condition?.conditionType).toMatchObject({ case: "response", value: { condition: { case: "method", value: method } } });

    await client.setExecution({ condition, targets: [] });
    expect((await client.listExecutions({ filters: [{ filter: { case: "targetFilter", value: { targetId: id } } }] })).executions).toEqual([]);
    await client.deleteTarget({ id });
  });

  it("lists functions, and methods and services that include v2beta's own", async () => {
    expect((await client.listExecutionFunctions({})).functions).toEqual(["preuserinfo", "preaccesstoken", "presamlresponse"]);
    const { methods } = await client.listExecutionMethods({});
    expect(methods).toEqual(expect.arrayContaining([`/${V2BETA}/CreateTarget`, "/zitadel.action.v2.ActionService/CreateTarget"]));
    expect((await client.listExecutionServices({})).services).toContain(V2BETA);
  });

  it("answers NOT_FOUND, INVALID_ARGUMENT naming the field and ALREADY_EXISTS with those codes", async () => {
    await expectCode(client.getTarget({ id: "404" }), Code.NotFound);
    await expectCode(client.updateTarget({ id: "404", name: "x" }), Code.NotFound);
    await expectCode(client.createTarget({ name: "", targetType: webhook(), timeout: { seconds: 1n }, endpoint: receiver.url("/") }), Code.InvalidArgument, /^name: /);
    await expectCode(client.createTarget({ name: "no-type", timeout: { seconds: 1n }, endpoint: receiver.url("/") }), Code.InvalidArgument, /^target_type: /);
    await expectCode(
      client.setExecution({ condition: { conditionType: { case: "request", value: { condition: { case: "all", value: false } } } }, targets: [] }),
      Code.InvalidArgument,
      /^condition\.request\.all: /,
    );
    const name = `dup-${protocol}`;
    const { id } = await client.createTarget({ name, targetType: webhook(), timeout: { seconds: 1n }, endpoint: receiver.url("/") });
    await expectCode(client.createTarget({ name: name.toUpperCase(), targetType: webhook(), timeout: { seconds: 1n }, endpoint: receiver.url("/") }), Code.AlreadyExists);
    await client.deleteTarget({ id });
  });

  it("keeps v2beta's 1000-character endpoint limit (v2 allows 2048)", async () => {
    const endpoint = receiver.url(`/${"a".repeat(1000)}`);
    await expectCode(client.createTarget({ name: `long-${protocol}`, targetType: webhook(), timeout: { seconds: 1n }, endpoint }), Code.InvalidArgument, /^endpoint: must be at most 1000 characters/);
    await expectCode(client.updateTarget({ id: "any", endpoint }), Code.InvalidArgument, /^endpoint: /);
  });

  it("answers UNAUTHENTICATED for an unknown token", async () => {
    await expectCode(createActionServiceClient(makeTransport("tether_pat_wrong")).listTargets({}), Code.Unauthenticated);
  });
});

describe("v2beta and v2 share one store", () => {
  let sdkClient: Client<typeof ActionService>;
  let v2Client: Client<typeof ActionServiceV2>;
  beforeAll(() => {
    sdkClient = createActionServiceClient(createServerTransport(server.token!, { baseUrl: server.url }));
    v2Client = createTetherClient(ActionServiceV2, createGrpcTransport({ baseUrl: server.url, interceptors: [NewAuthorizationBearerInterceptor(server.token!)] }));
  });

  it("shows a v2beta target to v2 as a JSON target, and a v2 JWT target to v2beta without a payload type", async () => {
    const beta = await sdkClient.createTarget({ name: "made-by-v2beta", targetType: webhook(), timeout: { seconds: 1n }, endpoint: receiver.url("/") });
    expect((await v2Client.getTarget({ id: beta.id })).target?.payloadType).toBe(PayloadType.JSON);

    const jwt = await v2Client.createTarget({ name: "made-by-v2", targetType: webhook(), timeout: { seconds: 1n }, endpoint: receiver.url("/"), payloadType: PayloadType.JWT });
    const { target } = await sdkClient.getTarget({ id: jwt.id });
    expect(target).toMatchObject({ id: jwt.id, name: "made-by-v2" });
    expect(target?.$unknown).toBeUndefined();
    // A v2beta update never touches the payload type it cannot see.
    await sdkClient.updateTarget({ id: jwt.id, timeout: { seconds: 2n } });
    expect((await v2Client.getTarget({ id: jwt.id })).target?.payloadType).toBe(PayloadType.JWT);
  });

  it("calls the targets of an execution set on a v2beta method, with the v2beta request in the payload", async () => {
    const { id } = await sdkClient.createTarget({ name: "hooked-v2beta", targetType: webhook(true), timeout: { seconds: 5n }, endpoint: receiver.url("/v2beta-hook") });
    const method = `/${V2BETA}/GetTarget`;
    await sdkClient.setExecution({ condition: { conditionType: { case: "request", value: { condition: { case: "method", value: method } } } }, targets: [id] });
    await sdkClient.getTarget({ id });
    const [call] = receiver.on("/v2beta-hook");
    expect(JSON.parse(call!.body.toString())).toMatchObject({ fullMethod: method, request: { id } });
    // The v2 method is a different condition: calling it does not fire the v2beta execution.
    await v2Client.getTarget({ id });
    expect(receiver.on("/v2beta-hook")).toHaveLength(1);
  });
});

describe("v2beta REST paths", () => {
  const rest = () => restClient(server.url, server.token);

  it("creates, gets, searches and deletes a target and sets an execution under /v2beta/actions", async () => {
    const created = await rest()("POST", "/v2beta/actions/targets", JSON.stringify({ name: "rest-v2beta", rest_webhook: {}, timeout: "3s", endpoint: receiver.url("/rest") }));
    expect(created.status, created.text).toBe(200);
    const id: string = created.json.id;
    expect(created.json.signingKey).toMatch(/^[a-zA-Z0-9]{36}$/);

    const got = await rest()("GET", `/v2beta/actions/targets/${id}`);
    expect(got.json.target).toMatchObject({ id, name: "rest-v2beta", timeout: "3s", restWebhook: {} });
    expect(got.json.target).not.toHaveProperty("payloadType");

    const searched = await rest()("POST", "/v2beta/actions/targets/search", JSON.stringify({ filters: [{ inTargetIdsFilter: { targetIds: [id] } }] }));
    expect(searched.json).toMatchObject({ pagination: { totalResult: "1" }, targets: [{ id }] });

    const set = await rest()("PUT", "/v2beta/actions/executions", JSON.stringify({ condition: { event: { group: "target" } }, targets: [id] }));
    expect(set.status, set.text).toBe(200);
    const executions = await rest()("POST", "/v2beta/actions/executions/search", JSON.stringify({ filters: [{ targetFilter: { targetId: id } }] }));
    expect(executions.json.executions).toEqual([expect.objectContaining({ condition: { event: { group: "target" } }, targets: [id] })]);

    expect((await rest()("DELETE", `/v2beta/actions/targets/${id}`)).json.deletionDate).toBeDefined();
    expect((await rest()("GET", `/v2beta/actions/targets/${id}`)).status).toBe(404);
  });

  it("rejects v2-only input with 400 and has no public-key paths", async () => {
    const withPayloadType = await rest()("POST", "/v2beta/actions/targets", JSON.stringify({ name: "x", restAsync: {}, timeout: "1s", endpoint: receiver.url("/"), payloadType: "PAYLOAD_TYPE_JWT" }));
    expect(withPayloadType.status).toBe(400);
    expect(withPayloadType.json).toMatchObject({ code: Code.InvalidArgument, message: expect.stringContaining("payloadType") });
    expect((await rest()("POST", "/v2beta/actions/targets/1/publickeys/search", "{}")).status).toBe(404);
    expect((await rest()("GET", "/v2beta/actions/executions/services")).json.services).toContain(V2BETA);
  });
});
