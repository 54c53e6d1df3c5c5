import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { ActionService } from "../../gen/zitadel/action/v2/action_service_pb.js";
import { startTestTether } from "../helpers/tether-server.js";
import { expectCode } from "../helpers/expect-code.js";

let server: Awaited<ReturnType<typeof startTestTether>>;
beforeAll(async () => {
  server = await startTestTether();
});
afterAll(async () => {
  await server.stop();
});

const bearer = (token: string | undefined): Interceptor => (next) => (req) => {
  if (token !== undefined) req.header.set("authorization", `Bearer ${token}`);
  return next(req);
};

const transports: Record<string, (token?: string) => Transport> = {
  "gRPC over h2c": (token) => createGrpcTransport({ baseUrl: server.url, interceptors: [bearer(token)] }),
  "gRPC-Web over HTTP/1.1": (token) => createGrpcWebTransport({ baseUrl: server.url, httpVersion: "1.1", interceptors: [bearer(token)] }),
  "gRPC-Web over HTTP/2": (token) => createGrpcWebTransport({ baseUrl: server.url, httpVersion: "2", interceptors: [bearer(token)] }),
  "Connect JSON over HTTP/1.1": (token) => createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", interceptors: [bearer(token)] }),
  "Connect binary over HTTP/1.1": (token) => createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", useBinaryFormat: true, interceptors: [bearer(token)] }),
  "Connect JSON over HTTP/2": (token) => createConnectTransport({ baseUrl: server.url, httpVersion: "2", interceptors: [bearer(token)] }),
};

describe.each(Object.entries(transports))("%s", (protocol, makeTransport) => {
  it("creates, reads, lists, updates and deletes a target", async () => {
    const client = createClient(ActionService, makeTransport(server.token));
    const name = `t-${protocol}`;
    const created = await client.createTarget({ name, targetType: { case: "restCall", value: { interruptOnError: true } }, timeout: { seconds: 3n }, endpoint: "https://hooks.example.net/x" });
    expect(created.signingKey).toMatch(/^[a-zA-Z0-9]{36}$/);
    const { target } = await client.getTarget({ id: created.id });
    expect(target).toMatchObject({ id: created.id, name, signingKey: "" });
    await client.updateTarget({ id: created.id, timeout: { seconds: 4n } });
    const listed = await client.listTargets({ filters: [{ filter: { case: "inTargetIdsFilter", value: { targetIds: [created.id] } } }] });
    expect(listed.targets[0]?.timeout?.seconds).toBe(4n);
    expect((await client.deleteTarget({ id: created.id })).deletionDate).toBeDefined();
    await expectCode(client.getTarget({ id: created.id }), Code.NotFound);
  });

  it("answers UNAUTHENTICATED without a token and with an unknown one", async () => {
    await expectCode(createClient(ActionService, makeTransport()).listExecutionFunctions({}), Code.Unauthenticated);
    await expectCode(createClient(ActionService, makeTransport("tether_pat_wrong")).listTargets({}), Code.Unauthenticated);
  });

  it("answers INVALID_ARGUMENT naming the field for bad input", async () => {
    const client = createClient(ActionService, makeTransport(server.token));
    const err = await expectCode(client.createTarget({ name: "", endpoint: "https://x.example.net" }), Code.InvalidArgument);
    expect(err.rawMessage).toMatch(/^name: /);
  });
});

describe("bad bytes on the wire", () => {
  const post = (path: string, body: string | Buffer, contentType: string, token = server.token) =>
    fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": contentType, authorization: `Bearer ${token}` }, body });

  it.each([
    ["malformed JSON", "{\"name\":", "application/json"],
    ["a JSON array", "[]", "application/json"],
    ["a number where a string belongs", "{\"name\":5}", "application/json"],
    ["a string where a message belongs", "{\"timeout\":\"soon\"}", "application/json"],
    ["an unknown field", "{\"nope\":1}", "application/json"],
    ["an unknown enum name", "{\"payloadType\":\"PAYLOAD_TYPE_XML\"}", "application/json"],
    ["invalid UTF-8 in JSON", Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), "application/json"],
    ["truncated protobuf", Buffer.from([0x0a, 0x10, 0x61]), "application/proto"],
    ["protobuf with invalid UTF-8 in a string", Buffer.from([0x0a, 0x02, 0xff, 0xfe]), "application/proto"],
  ])("answers %s on Connect with INVALID_ARGUMENT, never INTERNAL", async (_what, body, contentType) => {
    const res = await post("/zitadel.action.v2.ActionService/CreateTarget", body, contentType);
    const text = await res.text();
    expect(res.status, text).toBe(400);
    expect(JSON.parse(text)).toMatchObject({ code: "invalid_argument" });
  });

  it("answers an unknown enum number with INVALID_ARGUMENT naming the field", async () => {
    const res = await post(
      "/zitadel.action.v2.ActionService/CreateTarget",
      JSON.stringify({ name: "enum", restWebhook: {}, timeout: "1s", endpoint: "https://x.example.net", payloadType: 77 }),
      "application/json",
    );
    expect(await res.json()).toMatchObject({ code: "invalid_argument", message: expect.stringMatching(/^payload_type: /) });
  });

  it("answers a huge name within the size limit with INVALID_ARGUMENT", async () => {
    const res = await post(
      "/zitadel.action.v2.ActionService/CreateTarget",
      JSON.stringify({ name: "x".repeat(1_000_000), restWebhook: {}, timeout: "1s", endpoint: "https://x.example.net" }),
      "application/json",
    );
    expect(await res.json()).toMatchObject({ code: "invalid_argument", message: expect.stringMatching(/^name: must be at most 1000/) });
  });

  it("refuses a body over the size limit with a clear error", async () => {
    const res = await post("/zitadel.action.v2.ActionService/CreateTarget", JSON.stringify({ name: "x".repeat(5 * 1024 * 1024) }), "application/json");
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    const body = (await res.json()) as { code: string; message: string };
    expect(body.code).toBe("resource_exhausted");
    expect(body.message).toMatch(/limit|max|large/i);
  });

  it("keeps serving after all of the above", async () => {
    const client = createClient(ActionService, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", interceptors: [bearer(server.token)] }));
    await expect(client.listExecutionFunctions({})).resolves.toBeDefined();
  });
});

describe("ConnectError details", () => {
  it("never leaks internals: error messages carry no stack traces", async () => {
    const client = createClient(ActionService, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", interceptors: [bearer(server.token)] }));
    try {
      await client.getTarget({ id: "x".repeat(300) });
    } catch (e) {
      expect(e).toBeInstanceOf(ConnectError);
      expect((e as ConnectError).rawMessage).not.toMatch(/at .*\.ts:\d+/);
      expect((e as ConnectError).code).toBe(Code.InvalidArgument);
    }
  });
});
