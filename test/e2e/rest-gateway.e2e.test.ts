import * as http from "node:http";
import * as http2 from "node:http2";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { ActionService } from "../../gen/zitadel/action/v2/action_service_pb.js";
import { PayloadType } from "../../gen/zitadel/action/v2/target_pb.js";
import type { RunningServer } from "../../src/server.js";
import { BIG_TOTAL, type createFakeActionService, type createHeaderRecorder } from "../helpers/fake-action-service.js";
import { FAKE_LIMIT as LIMIT, restCall, startFakeServer } from "../helpers/fake-server.js";

let fake: ReturnType<typeof createFakeActionService>;
let recorder: ReturnType<typeof createHeaderRecorder>;
let server: RunningServer;
beforeAll(async () => {
  ({ fake, recorder, server } = await startFakeServer());
});
afterAll(async () => {
  await server.close();
});

const rest = (method: string, path: string, body?: string | Uint8Array, headers: Record<string, string> = {}) => restCall(server.url, method, path, body, headers);

const SEED = '{"name":"ip_allow_list","rest_webhook":{"interrupt_on_error":true},"timeout":"10s","endpoint":"https://example.com/hooks/ip_check","payload_type":"PAYLOAD_TYPE_JSON"}';
const seedRequest = {
  name: "ip_allow_list",
  targetType: { case: "restWebhook", value: { interruptOnError: true } },
  timeout: { seconds: 10n },
  endpoint: "https://example.com/hooks/ip_check",
  payloadType: PayloadType.JSON,
};
const stamp = "2025-01-23T10:34:18.051Z";

// Every google.api.http rule of ActionService: verb, path, body, the RPC, the typed request, the JSON response.
const restCases: [string, string, string | undefined, string, object, object][] = [
  ["POST", "/v2/actions/targets", SEED, "CreateTarget", seedRequest, { id: "ip_allow_list", creationDate: stamp, signingKey: "s".repeat(36) }],
  ["POST", "/v2/actions/targets/t1", '{"name":"x","id":"from-body"}', "UpdateTarget", { id: "t1", name: "x" }, { changeDate: stamp, signingKey: "rotated-x" }],
  ["DELETE", "/v2/actions/targets/t1", undefined, "DeleteTarget", { id: "t1" }, { deletionDate: stamp }],
  ["GET", "/v2/actions/targets/t1", undefined, "GetTarget", { id: "t1" }, { target: { id: "t1", name: "name-t1", creationDate: stamp, payloadType: "PAYLOAD_TYPE_JSON" } }],
  ["POST", "/v2/actions/targets/search", '{"pagination":{"limit":5,"offset":"7"}}', "ListTargets", { pagination: { limit: 5, offset: 7n } }, { pagination: { totalResult: BIG_TOTAL.toString(), appliedLimit: "100" }, targets: [{ id: "t1", restWebhook: { interruptOnError: true } }] }],
  ["POST", "/v2/actions/targets/t1/publickeys", '{"publicKey":"UEVN"}', "AddPublicKey", { targetId: "t1", publicKey: new TextEncoder().encode("PEM") }, { keyId: "t1-key" }],
  ["POST", "/v2/actions/targets/t1/publickeys/k1/activate", undefined, "ActivatePublicKey", { targetId: "t1", keyId: "k1" }, { changeDate: stamp }],
  ["POST", "/v2/actions/targets/t1/publickeys/k1/deactivate", '{"ignored":true}', "DeactivatePublicKey", { targetId: "t1", keyId: "k1" }, { changeDate: stamp }],
  ["DELETE", "/v2/actions/targets/t1/publickeys/k1", undefined, "RemovePublicKey", { targetId: "t1", keyId: "k1" }, { deletionDate: stamp }],
  ["POST", "/v2/actions/targets/t1/publickeys/search", "{}", "ListPublicKeys", { targetId: "t1" }, { publicKeys: [{ keyId: "k1", active: true, publicKey: "UEVN" }] }],
  ["PUT", "/v2/actions/executions", '{"condition":{"request":{"method":"/zitadel.action.v2.ActionService/GetTarget"}},"targets":["t1"]}', "SetExecution", { condition: { conditionType: { case: "request", value: { condition: { case: "method", value: "/zitadel.action.v2.ActionService/GetTarget" } } } }, targets: ["t1"] }, { setDate: stamp }],
  ["POST", "/v2/actions/executions/search", "", "ListExecutions", {}, { pagination: { totalResult: BIG_TOTAL.toString() } }],
  ["GET", "/v2/actions/executions/functions", undefined, "ListExecutionFunctions", {}, { functions: ["preuserinfo"] }],
  ["GET", "/v2/actions/executions/methods", undefined, "ListExecutionMethods", {}, { methods: expect.arrayContaining(["/zitadel.action.v2.ActionService/CreateTarget"]) }],
  ["GET", "/v2/actions/executions/services?ignored=1", undefined, "ListExecutionServices", {}, { services: ["zitadel.action.v2.ActionService"] }],
];

describe("REST gateway", () => {
  it.each(restCases)("%s %s reaches its RPC with the typed request", async (verb, path, body, rpc, request, response) => {
    const res = await rest(verb, path, body, { authorization: "Bearer rest-token", "x-forwarded-for": "203.0.113.7" });
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(fake.lastCall(rpc)).toMatchObject(request);
    expect(res.json).toMatchObject(response);
    expect(recorder.seen.at(-1)).toEqual({ procedure: rpc, authorization: "Bearer rest-token", forwardedFor: "203.0.113.7", contentType: "application/json" });
  });

  it("covers every google.api.http rule of ActionService", () => {
    expect(new Set(restCases.map((c) => c[3]))).toEqual(new Set(ActionService.methods.map((m) => m.name)));
  });

  it("accepts lowerCamelCase bodies and a curl-style form content type", async () => {
    const camel = '{"name":"camel","restWebhook":{"interruptOnError":true},"timeout":"10s","endpoint":"https://example.com/hooks/ip_check","payloadType":"PAYLOAD_TYPE_JSON"}';
    expect((await rest("POST", "/v2/actions/targets", camel)).json).toMatchObject({ id: "camel" });
    expect(fake.lastCall("CreateTarget")).toMatchObject({ ...seedRequest, name: "camel" });
    const curl = await rest("POST", "/v2/actions/targets", SEED, { "content-type": "application/x-www-form-urlencoded" });
    expect(curl.status, curl.text).toBe(200);
    expect(fake.lastCall("CreateTarget")).toMatchObject(seedRequest);
  });

  it("accepts a gzip-encoded body", async () => {
    const res = await rest("POST", "/v2/actions/targets", gzipSync(SEED), { "content-encoding": "gzip" });
    expect(res.status, res.text).toBe(200);
    expect(fake.lastCall("CreateTarget")).toMatchObject(seedRequest);
  });

  it("answers a handler error as google.rpc.Status with the HTTP status of its code", async () => {
    expect(await rest("GET", "/v2/actions/targets/missing")).toMatchObject({ status: 404, json: { code: 5, message: "target not found", details: [] } });
  });

  it.each([
    [Code.InvalidArgument, 400], [Code.FailedPrecondition, 400], [Code.OutOfRange, 400], [Code.Unauthenticated, 401],
    [Code.PermissionDenied, 403], [Code.NotFound, 404], [Code.AlreadyExists, 409], [Code.Aborted, 409],
    [Code.ResourceExhausted, 429], [Code.Canceled, 499], [Code.Unimplemented, 501], [Code.Unavailable, 503],
    [Code.DeadlineExceeded, 504], [Code.Internal, 500], [Code.Unknown, 500], [Code.DataLoss, 500],
  ])("maps code %i to HTTP %i", async (code, status) => {
    const res = await rest("POST", "/v2/actions/targets", JSON.stringify({ name: `fail:${codeToString(code)}` }));
    expect(res).toMatchObject({ status, json: { code, message: `asked to fail with ${codeToString(code)}`, details: [] } });
  });

  it.each([
    ["malformed JSON", '{"name":', /not valid JSON/],
    ["a JSON array", "[]", /must be a JSON object/],
    ["invalid UTF-8", Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), /UTF-8/],
    ["an unknown field", '{"nope":1}', /nope/],
    ["a wrongly typed field", '{"timeout":"soon"}', /Duration from JSON: "soon"/],
  ])("answers %s with 400 INVALID_ARGUMENT and a message", async (_what, body, message) => {
    const res = await rest("POST", "/v2/actions/targets", body);
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ code: 3, message: expect.stringMatching(message), details: [] });
  });

  it("answers an unknown path with 404 NOT_FOUND and a known path with another verb with 405", async () => {
    expect(await rest("GET", "/v2/nothing/here")).toMatchObject({ status: 404, json: { code: 5 } });
    const wrong = await rest("PATCH", "/v2/actions/targets/t1", "{}");
    expect(wrong).toMatchObject({ status: 405, json: { code: 12, message: expect.stringMatching(/PATCH/) } });
    expect(wrong.headers.get("allow")).toBe("DELETE, GET, POST");
  });

  it("refuses an oversized body with 413 RESOURCE_EXHAUSTED, declared or chunked, and keeps serving", async () => {
    const big = JSON.stringify({ name: "x".repeat(LIMIT) });
    expect(await rest("POST", "/v2/actions/targets", big)).toMatchObject({ status: 413, json: { code: 8, message: expect.stringMatching(/limit of 65536 bytes/) } });
    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${server.url}/v2/actions/targets`, { method: "POST" }, (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.write(big.slice(0, 40_000));
      req.end(big.slice(40_000));
    });
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body)).toMatchObject({ code: 8 });
    expect((await rest("GET", "/v2/actions/targets/t1")).status).toBe(200);
  });

  it("refuses an oversized body on Connect with resource_exhausted", async () => {
    const res = await rest("POST", "/zitadel.action.v2.ActionService/CreateTarget", JSON.stringify({ name: "x".repeat(LIMIT) }), { "content-type": "application/json" });
    expect(res.json).toMatchObject({ code: "resource_exhausted" });
  });

  it("serves REST over HTTP/2 too", async () => {
    const session = http2.connect(server.url);
    try {
      const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const stream = session.request({ ":method": "POST", ":path": "/v2/actions/targets/t2", authorization: "Bearer h2" });
        let status = 0;
        let body = "";
        stream.on("response", (h) => (status = Number(h[":status"])));
        stream.on("data", (c: Buffer) => (body += c.toString()));
        stream.on("end", () => resolve({ status, body }));
        stream.on("error", reject);
        stream.end('{"name":"via-h2"}');
      });
      expect(res.status, res.body).toBe(200);
      expect(fake.lastCall("UpdateTarget")).toMatchObject({ id: "t2", name: "via-h2" });
      expect(recorder.seen.at(-1)?.authorization).toBe("Bearer h2");
    } finally {
      session.close();
    }
  });

  it("serves extra routes before the gateway", async () => {
    expect(await rest("GET", "/healthz")).toMatchObject({ status: 200, text: "ok\n" });
  });
});

