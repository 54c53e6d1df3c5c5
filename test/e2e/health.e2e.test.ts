// grpc.health.v1.Health against the real server: public, per service, streaming, immune to executions,
// and NOT_SERVING once the server shuts down.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "node:net";
import { Code, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { ActionService } from "../../gen/zitadel/action/v2/action_service_pb.js";
import { ServerReflection } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { expectCode } from "../helpers/expect-code.js";
import { startTestTether } from "../helpers/tether-server.js";

type TestTether = Awaited<ReturnType<typeof startTestTether>>;
const PUBLIC = ["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"];
const API = ["zitadel.action.v2.ActionService", "tether.v1.DeliveryService"];

const sessions: Http2SessionManager[] = [];
const bearer = (token: string | undefined): Interceptor => (next) => (req) => {
  req.header.set("authorization", `Bearer ${token ?? ""}`);
  return next(req);
};
/** Transports to the server, sending a token only when given one. */
const transports: Record<string, (s: TestTether, token?: string) => Transport> = {
  "gRPC over h2c": (s, token) => {
    const sessionManager = new Http2SessionManager(s.url);
    sessions.push(sessionManager);
    return createGrpcTransport({ baseUrl: s.url, sessionManager, interceptors: token ? [bearer(token)] : [] });
  },
  "Connect over HTTP/1.1": (s, token) => createConnectTransport({ baseUrl: s.url, httpVersion: "1.1", interceptors: token ? [bearer(token)] : [] }),
};
afterEach(() => {
  for (const s of sessions.splice(0)) s.abort();
});

/** A loopback port nothing listens on: bound once by us, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe("health checks on a running server", () => {
  let server: TestTether;
  beforeAll(async () => {
    server = await startTestTether();
  });
  afterAll(async () => {
    await server.stop();
  });

  describe.each(Object.entries(transports))("over %s, without a token", (_protocol, transport) => {
    it("reports the whole server as SERVING", async () => {
      expect((await createClient(Health, transport(server)).check({})).status).toBe(Status.SERVING);
    });

    it.each([...API, ...PUBLIC])("reports %s as SERVING", async (service) => {
      expect((await createClient(Health, transport(server)).check({ service })).status).toBe(Status.SERVING);
    });

    it("answers an unknown service with NOT_FOUND", async () => {
      await expectCode(createClient(Health, transport(server)).check({ service: "no.such.Service" }), Code.NotFound, /no\.such\.Service/);
    });
  });

  it("lists every service's status", async () => {
    const { statuses } = await createClient(Health, transports["gRPC over h2c"]!(server)).list({});
    for (const name of ["", ...API, ...PUBLIC]) expect(statuses[name]?.status, name).toBe(Status.SERVING);
  });

  it("watches an unknown service as SERVICE_UNKNOWN until the client leaves", async () => {
    const client = createClient(Health, transports["gRPC over h2c"]!(server));
    const leave = new AbortController();
    const stream = client.watch({ service: "no.such.Service" }, { signal: leave.signal })[Symbol.asyncIterator]();
    expect((await stream.next()).value?.status).toBe(Status.SERVICE_UNKNOWN);
    const rest = stream.next();
    leave.abort();
    await expectCode(rest, Code.Canceled);
  });

  it("keeps GET /healthz and /readyz", async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });

  it("turns GET /readyz to 503 once shutdown begins, while /healthz still answers", async () => {
    const own = await startTestTether();
    try {
      expect((await fetch(`${own.url}/readyz`)).status).toBe(200);
      own.app.health.shutdown();
      const res = await fetch(`${own.url}/readyz`);
      expect([res.status, await res.text()]).toEqual([503, "shutting down\n"]);
      expect((await fetch(`${own.url}/healthz`)).status).toBe(200);
    } finally {
      await own.stop();
    }
  });

  it("is not an execution target: conditions cannot name it", async () => {
    const admin = createClient(ActionService, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", interceptors: [bearer(server.token)] }));
    const { services } = await admin.listExecutionServices({});
    const { methods } = await admin.listExecutionMethods({});
    expect(services).toEqual(expect.arrayContaining(API));
    for (const name of PUBLIC) {
      expect(services).not.toContain(name);
      expect(methods.some((m) => m.startsWith(`/${name}/`))).toBe(false);
    }
  });
});

describe("health checks while an interrupting execution on all requests points at a dead target", () => {
  let server: TestTether;
  beforeAll(async () => {
    server = await startTestTether({ TETHER_DEV: "true" });
    const admin = createClient(ActionService, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", interceptors: [bearer(server.token)] }));
    const { id } = await admin.createTarget({
      name: "dead",
      targetType: { case: "restWebhook", value: { interruptOnError: true } },
      timeout: { seconds: 1n },
      endpoint: `http://127.0.0.1:${await closedPort()}/hook`,
    });
    await admin.setExecution({ condition: { conditionType: { case: "request", value: { condition: { case: "all", value: true } } } }, targets: [id] });
    // The execution really fires: the API itself is now blocked by the dead target.
    await expectCode(admin.listTargets({}), Code.Unknown);
  });
  afterAll(async () => {
    await server.stop();
  });

  // With the admin token too, so that only the execution rule (not the missing token) is under test.
  it.each(Object.entries(transports))("still reports SERVING over %s, with or without a token", async (_protocol, transport) => {
    for (const token of [undefined, server.token]) {
      expect((await createClient(Health, transport(server, token)).check({})).status).toBe(Status.SERVING);
      expect((await createClient(Health, transport(server, token)).check({ service: API[0]! })).status).toBe(Status.SERVING);
    }
  });

  it("still answers reflection", async () => {
    const client = createClient(ServerReflection, transports["gRPC over h2c"]!(server, server.token));
    const answers = [];
    const requests = (async function* () {
      yield { messageRequest: { case: "listServices" as const, value: "" } };
    })();
    for await (const res of client.serverReflectionInfo(requests)) answers.push(res);
    expect(answers[0]?.messageResponse.case).toBe("listServicesResponse");
  });
});

describe("health on shutdown", () => {
  it("streams SERVING, then NOT_SERVING when the server closes, then ends the stream", async () => {
    const server = await startTestTether();
    let stopped: Promise<void> | undefined;
    try {
      const stream = createClient(Health, transports["gRPC over h2c"]!(server)).watch({})[Symbol.asyncIterator]();
      expect((await stream.next()).value?.status).toBe(Status.SERVING);
      stopped = server.stop();
      expect((await stream.next()).value?.status).toBe(Status.NOT_SERVING);
      expect((await stream.next()).done).toBe(true);
      await stopped;
    } finally {
      await (stopped ?? server.stop());
    }
  });
});
