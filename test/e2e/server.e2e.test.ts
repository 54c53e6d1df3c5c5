import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { ActionService } from "../../gen/zitadel/action/v2/action_service_pb.js";
import type { RunningServer } from "../../src/server.js";
import { BIG_TOTAL, type createHeaderRecorder } from "../helpers/fake-action-service.js";
import { FAKE_LIMIT, restCall, startFakeServer } from "../helpers/fake-server.js";
import { expectCode } from "../helpers/expect-code.js";

const LIMIT = FAKE_LIMIT;
const rest = (method: string, path: string) => restCall(server.url, method, path);

let recorder: ReturnType<typeof createHeaderRecorder>;
let server: RunningServer;
const sessionManagers: Http2SessionManager[] = [];
beforeAll(async () => {
  ({ recorder, server } = await startFakeServer({ firstBytesTimeoutMs: 200 }));
});
afterAll(async () => {
  for (const manager of sessionManagers) manager.abort();
  await server.close();
});

const bearer = (token: string): Interceptor => (next) => (req) => {
  req.header.set("authorization", `Bearer ${token}`);
  return next(req);
};
const h2 = () => {
  const sessionManager = new Http2SessionManager(server.url);
  sessionManagers.push(sessionManager);
  return { httpVersion: "2" as const, sessionManager };
};
const transports: Record<string, (token: string) => Transport> = {
  "gRPC over h2c": (t) => createGrpcTransport({ baseUrl: server.url, ...h2(), interceptors: [bearer(t)] }),
  "gRPC-Web over HTTP/1.1": (t) => createGrpcWebTransport({ baseUrl: server.url, httpVersion: "1.1", interceptors: [bearer(t)] }),
  "gRPC-Web over HTTP/2": (t) => createGrpcWebTransport({ baseUrl: server.url, ...h2(), interceptors: [bearer(t)] }),
  "Connect JSON over HTTP/1.1": (t) => createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", interceptors: [bearer(t)] }),
  "Connect binary over HTTP/1.1": (t) => createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", useBinaryFormat: true, interceptors: [bearer(t)] }),
  "Connect JSON over HTTP/2": (t) => createConnectTransport({ baseUrl: server.url, ...h2(), interceptors: [bearer(t)] }),
  "Connect binary over HTTP/2": (t) => createConnectTransport({ baseUrl: server.url, ...h2(), useBinaryFormat: true, interceptors: [bearer(t)] }),
};

describe.each(Object.entries(transports))("%s", (protocol, makeTransport) => {
  it("calls the service with the caller's Authorization and keeps uint64 exact", async () => {
    const client = createClient(ActionService, makeTransport(`tok ${protocol}`));
    const created = await client.createTarget({ name: `n-${protocol}`, targetType: { case: "restCall", value: { interruptOnError: true } } });
    expect(created.id).toBe(`n-${protocol}`);
    expect(recorder.seen.at(-1)).toMatchObject({ procedure: "CreateTarget", authorization: `Bearer tok ${protocol}` });
    expect((await client.listTargets({})).pagination?.totalResult).toBe(BIG_TOTAL);
  });

  it("reports the handler's NOT_FOUND", async () => {
    await expectCode(createClient(ActionService, makeTransport("t")).getTarget({ id: "missing" }), Code.NotFound, /^target not found$/);
  });

  it("refuses a message over the size limit with RESOURCE_EXHAUSTED", async () => {
    await expectCode(createClient(ActionService, makeTransport("t")).createTarget({ name: "x".repeat(LIMIT + 1) }), Code.ResourceExhausted);
  });
});

const TRUNCATED = Buffer.from([0x0a, 0x10, 0x61]);
const envelope = (message: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, 0, message.length]), message]);
const CREATE_PATH = "/zitadel.action.v2.ActionService/CreateTarget";

describe("undecodable protobuf is INVALID_ARGUMENT, not INTERNAL", () => {
  it("on Connect", async () => {
    const res = await fetch(`${server.url}${CREATE_PATH}`, { method: "POST", headers: { "content-type": "application/proto" }, body: TRUNCATED });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: "invalid_argument", message: expect.stringMatching(/^parse binary: /) });
  });

  it("on gRPC-Web", async () => {
    const res = await fetch(`${server.url}${CREATE_PATH}`, { method: "POST", headers: { "content-type": "application/grpc-web+proto" }, body: envelope(TRUNCATED) });
    const body = Buffer.from(await res.arrayBuffer());
    expect(body[0], "a trailer frame").toBe(0x80);
    expect(body.subarray(5).toString()).toMatch(/grpc-status: 3\r\n/);
  });

  it("on gRPC", async () => {
    const session = http2.connect(server.url);
    try {
      const trailers = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
        const stream = session.request({ ":method": "POST", ":path": CREATE_PATH, "content-type": "application/grpc+proto", te: "trailers" });
        stream.on("trailers", resolve);
        stream.on("error", reject);
        stream.resume();
        stream.end(envelope(TRUNCATED));
      });
      expect(trailers["grpc-status"]).toBe("3");
    } finally {
      session.close();
    }
  });
});

/** Opens a raw TCP connection, writes `parts` with a pause between them and returns the first reply bytes. */
async function rawExchange(parts: (string | Buffer)[]): Promise<Buffer> {
  const socket = net.connect(server.port, "127.0.0.1");
  try {
    await new Promise((resolve) => socket.once("connect", resolve));
    for (const part of parts) {
      socket.write(part);
      await new Promise((resolve) => setImmediate(resolve));
    }
    return await new Promise<Buffer>((resolve, reject) => {
      socket.once("data", resolve);
      socket.once("error", reject);
    });
  } finally {
    socket.destroy();
  }
}

describe("one port for HTTP/1.1 and h2c", () => {
  it("answers garbage with 400 and keeps serving", async () => {
    const reply = await rawExchange([Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0d, 0x0a, 0x0d, 0x0a])]);
    expect(reply.toString("latin1")).toMatch(/^HTTP\/1\.1 400/);
    expect((await rest("GET", "/v2/actions/targets/t1")).status).toBe(200);
  });

  it("recognises an HTTP/2 preface split over several writes", async () => {
    const reply = await rawExchange(["PRI * HT", "TP/2.0\r\n", "\r\nSM\r\n\r\n"]);
    expect(reply[3], "the first frame is SETTINGS").toBe(0x4);
  });

  it("closes a connection that sends nothing", async () => {
    const socket = net.connect(server.port, "127.0.0.1");
    const closed = await new Promise<boolean>((resolve) => {
      socket.once("close", () => resolve(true));
      socket.once("error", () => resolve(true));
    });
    expect(closed).toBe(true);
  });

  it("answers an HTTP/1.0 request without Host with 400 instead of crashing", async () => {
    const reply = await rawExchange(["POST /zitadel.action.v2.ActionService/GetTarget HTTP/1.0\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"]);
    expect(reply.toString("latin1")).toMatch(/^HTTP\/1\.[01] 400/);
  });
});

/** Sends one request on an HTTP/2 session and collects the status and body. */
function h2Request(session: http2.ClientHttp2Session, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":path": path });
    let status = 0;
    let body = "";
    stream.on("response", (h) => (status = Number(h[":status"])));
    stream.on("data", (c: Buffer) => (body += c.toString()));
    stream.on("end", () => resolve({ status, body }));
    stream.on("error", reject);
  });
}

/** Polls until `condition` holds, for at most `ms`. */
async function until(condition: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("graceful close", () => {
  it("ends idle keep-alive connections and HTTP/2 sessions promptly", async () => {
    const { server: s } = await startFakeServer();
    const agent = new http.Agent({ keepAlive: true });
    // Wrapped in an object: resolving with a bare promise would wait for the socket to close.
    const { socketClosed } = await new Promise<{ socketClosed: Promise<void> }>((resolve, reject) => {
      const req = http.get(`${s.url}/v2/actions/targets/t1`, { agent }, (res) => {
        res.resume();
        res.on("end", () => resolve({ socketClosed: new Promise((closed) => req.socket?.once("close", () => closed())) }));
      });
      req.on("error", reject);
    });
    const session = http2.connect(s.url);
    expect((await h2Request(session, "/v2/actions/targets/t1")).status).toBe(200);
    const goaway = new Promise((resolve) => session.once("goaway", resolve));
    const sessionClosed = new Promise((resolve) => session.once("close", resolve));
    const started = Date.now();
    await s.close();
    expect(Date.now() - started).toBeLessThan(1000);
    await Promise.all([socketClosed, goaway, sessionClosed]);
    agent.destroy();
  });

  it("lets in-flight HTTP/1.1 and HTTP/2 requests finish and refuses new connections", async () => {
    const { server: s, fake: f } = await startFakeServer();
    const viaH1 = fetch(`${s.url}/v2/actions/targets/slow`);
    const session = http2.connect(s.url);
    const viaH2 = h2Request(session, "/v2/actions/targets/slow");
    await until(() => f.calls.filter((c) => c.method === "GetTarget").length === 2);
    let closed = false;
    const closing = s.close().then(() => (closed = true));
    const refused = await new Promise<string>((resolve) => net.connect(s.port, "127.0.0.1").once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "")).once("connect", () => resolve("connected")));
    expect(refused).toBe("ECONNREFUSED");
    expect(closed).toBe(false);
    f.releaseSlow();
    const h1 = await viaH1;
    expect(h1.status).toBe(200);
    expect(await h1.json()).toMatchObject({ target: { id: "slow" } });
    expect(await viaH2).toMatchObject({ status: 200, body: expect.stringContaining('"id":"slow"') });
    await closing;
    session.close();
  });

  it("cuts requests that outlive the drain timeout", async () => {
    const { server: s, fake: f } = await startFakeServer({ drainTimeoutMs: 100 });
    const viaH1 = fetch(`${s.url}/v2/actions/targets/slow`).then(
      (r) => r.status,
      (e: unknown) => (e instanceof Error ? e.name : "error"),
    );
    await f.slowStarted;
    const started = Date.now();
    await s.close();
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(await viaH1).toBe("TypeError");
    f.releaseSlow();
  });
});
