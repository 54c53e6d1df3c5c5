import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { ActionService } from "../../gen/zitadel/action/v2/action_service_pb.js";
import { startTestTether } from "../helpers/tether-server.js";
import { expectCode } from "../helpers/expect-code.js";
import { createWireClients, type WireClients } from "../helpers/fuzz-wire.js";

// Regressions (found by the fuzz suite) for requests answered before their body was read (oversized, unknown path).
// HTTP/2: the stream never finished; a raw client still sending hung, connect-node's clients left it half-open, and
// after a few such requests the session refused every new stream (ENHANCE_YOUR_CALM, INTERNAL). HTTP/1.1: the rest
// of a partly read body stayed in the keep-alive connection, and the next request on it hung.
const LIMIT = 16 * 1024;
let server: Awaited<ReturnType<typeof startTestTether>>;
let wire: WireClients;
beforeAll(async () => {
  server = await startTestTether({ TETHER_READ_MAX_BYTES: String(LIMIT) });
  wire = createWireClients(server.url);
});
afterAll(async () => {
  await wire.close();
  await server.stop();
});

const bearer = (token: string | undefined): Interceptor => (next) => (req) => {
  if (token !== undefined) req.header.set("authorization", `Bearer ${token}`);
  return next(req);
};

const transports: Record<string, () => Transport> = {
  gRPC: () => createGrpcTransport({ baseUrl: server.url, interceptors: [bearer(server.token)] }),
  "gRPC-Web over HTTP/1.1": () => createGrpcWebTransport({ baseUrl: server.url, httpVersion: "1.1", interceptors: [bearer(server.token)] }),
  "Connect over HTTP/1.1": () => createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", interceptors: [bearer(server.token)] }),
  "gRPC-Web over HTTP/2": () => createGrpcWebTransport({ baseUrl: server.url, httpVersion: "2", interceptors: [bearer(server.token)] }),
  "Connect over HTTP/2": () => createConnectTransport({ baseUrl: server.url, httpVersion: "2", interceptors: [bearer(server.token)] }),
};

describe("requests answered before their body was read", () => {
  it.each(Object.entries(transports))("keep the %s connection usable after hundreds of oversized requests", async (_name, makeTransport) => {
    const client = createClient(ActionService, makeTransport());
    for (let i = 0; i < 300; i++) {
      await expectCode(client.createTarget({ name: "x".repeat(3 * LIMIT) }, { timeoutMs: 10_000 }), Code.ResourceExhausted);
      if (i % 50 === 0) await expect(client.listExecutionFunctions({}, { timeoutMs: 10_000 })).resolves.toMatchObject({ functions: expect.any(Array) });
    }
    await expect(client.listExecutionFunctions({}, { timeoutMs: 10_000 })).resolves.toMatchObject({ functions: expect.any(Array) });
  });

  it.each([
    ["gRPC-Web", "application/grpc-web+proto", new Uint8Array([0, 0, 0, 0, 0])],
    ["Connect", "application/proto", new Uint8Array(0)],
    ["REST", "application/json", new TextEncoder().encode("{}")],
  ])("keep an HTTP/1.1 connection usable after an oversized %s request was answered", async (what, contentType, small) => {
    const one = createWireClients(server.url, { h1Connections: 1 });
    try {
      const path = what === "REST" ? "/v2/actions/targets/search" : "/zitadel.action.v2.ActionService/ListTargets";
      const headers = { "content-type": contentType, authorization: `Bearer ${server.token}` };
      for (let i = 0; i < 3; i++) {
        const big = await one.h1({ method: "POST", path, headers, body: new Uint8Array(50 * LIMIT) });
        expect(big.status).toBeLessThan(500);
        const next = await one.h1({ method: "POST", path, headers, body: small });
        expect(next.status).toBe(200);
      }
    } finally {
      await one.close();
    }
  });

  it.each([
    ["gRPC", "/zitadel.action.v2.ActionService/ListTargets", "application/grpc+proto", 200],
    ["Connect", "/zitadel.action.v2.ActionService/ListTargets", "application/json", 429],
    ["REST", "/v2/actions/targets/search", "application/json", 413],
    ["REST with a verb the path does not allow", "/v2/actions/executions/functions", "application/json", 405],
    ["an unknown path", "/nope", "application/json", 404],
  ])("finish the stream of an oversized %s request while the client is still sending", async (_what, path, contentType, status) => {
    const body = new Uint8Array(50 * LIMIT);
    const res = await wire.h2({ method: "POST", path, headers: { "content-type": contentType, authorization: `Bearer ${server.token}` }, body });
    expect(res.status).toBe(status);
  });
});
