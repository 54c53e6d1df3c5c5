import { afterEach, describe, expect, it } from "vitest";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { createRpcTelemetryInterceptor } from "../../src/observability/rpc-telemetry.js";
import { createTetherMetrics } from "../../src/observability/metrics.js";

const SERVING = HealthCheckResponse_ServingStatus.SERVING;

// The tracer is passed in, so these tests register nothing globally.
const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
afterEach(() => exporter.reset());

function setup(impl: Parameters<typeof createRouterTransport>[0]) {
  const metrics = createTetherMetrics({ deliveries: { queueDepth: () => ({ pending: 0, inFlight: 0, dead: 0 }), nextDueAt: () => undefined }, clock: () => new Date(), processMetrics: false });
  const interceptor = createRpcTelemetryInterceptor({ metrics, tracer: provider.getTracer("test") });
  const client = createClient(Health, createRouterTransport(impl, { router: { interceptors: [interceptor] } }));
  const count = async (method: string, code: string) => {
    const metric = await metrics.registry.getSingleMetric("tether_rpc_requests_total")!.get();
    return metric.values.find((v) => v.labels.method === `/grpc.health.v1.Health/${method}` && v.labels.code === code)?.value;
  };
  return { client, count };
}

describe("createRpcTelemetryInterceptor", () => {
  it("records a unary call once with code ok in a server span named after the procedure", async () => {
    const { client, count } = setup((router) => router.service(Health, { check: () => ({ status: SERVING }) }));
    await client.check({});
    await client.check({});
    expect(await count("Check", "ok")).toBe(2);
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => [s.name, s.kind])).toEqual([
      ["grpc.health.v1.Health/Check", SpanKind.SERVER],
      ["grpc.health.v1.Health/Check", SpanKind.SERVER],
    ]);
    expect(spans[0]!.attributes).toMatchObject({ "rpc.service": "grpc.health.v1.Health", "rpc.method": "Check" });
  });

  it("records a server fault with its code and an error span status; a client fault leaves the status unset", async () => {
    const { client, count } = setup((router) =>
      router.service(Health, {
        check: (req) => {
          throw new ConnectError("nope", req.service === "bad" ? Code.InvalidArgument : Code.Internal);
        },
      }),
    );
    await expect(client.check({ service: "x" })).rejects.toThrow(/nope/);
    await expect(client.check({ service: "bad" })).rejects.toThrow(/nope/);
    expect(await count("Check", "internal")).toBe(1);
    expect(await count("Check", "invalid_argument")).toBe(1);
    const [internal, invalid] = exporter.getFinishedSpans();
    expect(internal!.status).toEqual({ code: SpanStatusCode.ERROR, message: "nope" });
    expect(internal!.attributes["rpc.connect_rpc.error_code"]).toBe("internal");
    expect(invalid!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("measures a stream until its end and takes the code from the error that ends it", async () => {
    const { client, count } = setup((router) =>
      router.service(Health, {
        async *watch() {
          yield { status: SERVING };
          // Nothing may be recorded while the stream is still open.
          expect(exporter.getFinishedSpans()).toHaveLength(0);
          throw new ConnectError("gone", Code.Unavailable);
        },
      }),
    );
    const received: HealthCheckResponse_ServingStatus[] = [];
    await expect(
      (async () => {
        for await (const res of client.watch({})) received.push(res.status);
      })(),
    ).rejects.toThrow(/gone/);
    expect(received).toEqual([SERVING]);
    expect(await count("Watch", "unavailable")).toBe(1);
    expect(await count("Watch", "ok")).toBeUndefined();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(["grpc.health.v1.Health/Watch"]);
  });
});
