import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Code, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { context, propagation, SpanKind, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from "@opentelemetry/sdk-trace";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ConditionSchema } from "../../gen/zitadel/action/v2/execution_pb.js";
import { UserService } from "../../gen/tether/example/v1/user_service_pb.js";
import { engineFixture, onMethod } from "../helpers/engine-fixture.js";
import { expectCode } from "../helpers/expect-code.js";

type Condition = MessageInitShape<typeof ConditionSchema>;
const onEvent = (event: string): Condition => ({ conditionType: { case: "event", value: { condition: { case: "event", value: event } } } });

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN_ID = "00f067aa0ba902b7";
const ann = { username: "ann", email: "ann@example.com", givenName: "Ann" };

/** Sends the caller's W3C trace context with every call, as an instrumented client would. */
const callerTrace: Interceptor = (next) => (req) => {
  req.header.set("traceparent", `00-${TRACE_ID}-${CALLER_SPAN_ID}-01`);
  req.header.set("tracestate", "caller=1");
  return next(req);
};

/** The parts of a `traceparent` header. */
function parseTraceparent(value: string | string[] | undefined): { traceId: string; parentId: string; flags: string } {
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(String(value));
  if (!m) throw new Error(`not a traceparent: ${String(value)}`);
  return { traceId: m[1]!, parentId: m[2]!, flags: m[3]! };
}

let f: Awaited<ReturnType<typeof engineFixture>> | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

/** A UserService client that authenticates as admin and sends the caller's trace context (Connect, or gRPC over h2c). */
function userClientWithTrace(fixture: Awaited<ReturnType<typeof engineFixture>>, protocol: "connect" | "grpc" = "connect") {
  const auth: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${fixture.server.token}`);
    return next(req);
  };
  const options = { baseUrl: fixture.server.url, interceptors: [auth, callerTrace] };
  return createClient(UserService, protocol === "grpc" ? createGrpcTransport(options) : createConnectTransport({ ...options, httpVersion: "1.1" }));
}

describe("without an OpenTelemetry SDK", () => {
  it("sends no traceparent to targets, even when the caller sent one", async () => {
    f = await engineFixture();
    const { id } = await f.mkTarget("/hook", "webhook");
    await f.setExecution(onMethod("request", "AddHumanUser"), [id]);
    await userClientWithTrace(f).addHumanUser(ann);
    const [call] = f.target.on("/hook");
    expect(call).toBeDefined();
    expect(call!.headers.traceparent).toBeUndefined();
    expect(call!.headers.tracestate).toBeUndefined();
  });
});

describe("with an OpenTelemetry SDK registered", () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });

  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
  });
  afterEach(() => exporter.reset());
  afterAll(async () => {
    // Other test files in this worker must find the no-op API again.
    trace.disable();
    context.disable();
    propagation.disable();
    await provider.shutdown();
  });

  /** The finished spans, after every processor has handed its spans to the exporter. */
  async function spans(): Promise<ReadableSpan[]> {
    await provider.forceFlush();
    return exporter.getFinishedSpans();
  }

  it("continues the caller's trace in the RPC span and passes it to the request target as the call span's child", async () => {
    f = await engineFixture();
    const { id } = await f.mkTarget("/hook", "webhook");
    await f.setExecution(onMethod("request", "AddHumanUser"), [id]);
    exporter.reset();
    await userClientWithTrace(f).addHumanUser(ann);

    const all = await spans();
    const rpc = all.find((s) => s.name === "tether.example.v1.UserService/AddHumanUser");
    const call = all.find((s) => s.kind === SpanKind.CLIENT && s.attributes["tether.target.id"] === id);
    expect(rpc, all.map((s) => s.name).join(", ")).toBeDefined();
    expect(call).toBeDefined();
    expect(rpc!.kind).toBe(SpanKind.SERVER);
    expect(rpc!.spanContext().traceId).toBe(TRACE_ID);
    expect(rpc!.parentSpanContext).toMatchObject({ traceId: TRACE_ID, spanId: CALLER_SPAN_ID, isRemote: true });
    expect(rpc!.attributes).toMatchObject({ "rpc.system": "connect_rpc", "rpc.service": "tether.example.v1.UserService", "rpc.method": "AddHumanUser" });
    expect(call!.parentSpanContext?.spanId).toBe(rpc!.spanContext().spanId);
    expect(call!.spanContext().traceId).toBe(TRACE_ID);
    expect(call!.attributes).toMatchObject({ "tether.call.source": "execution", "tether.call.outcome": "ok", "http.response.status_code": 200, "http.request.method": "POST" });

    const [received] = f.target.on("/hook");
    const sent = parseTraceparent(received!.headers.traceparent);
    expect(sent).toEqual({ traceId: TRACE_ID, parentId: call!.spanContext().spanId, flags: "01" });
    expect(received!.headers.tracestate).toBe("caller=1");
    // The payload's forwarded headers keep their allow-list: trace context travels as HTTP headers only.
    expect(JSON.parse(received!.body.toString()).headers).not.toHaveProperty("Traceparent");
  });

  it("marks a failed target call as an error and records the RPC's code", async () => {
    f = await engineFixture();
    f.target.respond("/fail", { status: 500 });
    const { id } = await f.mkTarget("/fail", "webhook", { interrupt: true });
    await f.setExecution(onMethod("request", "AddHumanUser"), [id]);
    exporter.reset();
    await expectCode(userClientWithTrace(f).addHumanUser(ann), Code.FailedPrecondition);

    const all = await spans();
    const rpc = all.find((s) => s.name === "tether.example.v1.UserService/AddHumanUser");
    const call = all.find((s) => s.kind === SpanKind.CLIENT);
    expect(rpc!.attributes["rpc.connect_rpc.error_code"]).toBe("failed_precondition");
    expect(call!.attributes).toMatchObject({ "tether.call.outcome": "http_error", "error.type": "http_error", "http.response.status_code": 500 });
    expect(call!.status.code).toBe(2); // SpanStatusCode.ERROR
  });

  it("names the gRPC protocol and status code on the RPC span of a gRPC call", async () => {
    f = await engineFixture();
    exporter.reset();
    await userClientWithTrace(f, "grpc").addHumanUser(ann);
    const rpc = (await spans()).find((s) => s.name === "tether.example.v1.UserService/AddHumanUser");
    expect(rpc!.parentSpanContext?.spanId).toBe(CALLER_SPAN_ID);
    expect(rpc!.attributes).toMatchObject({ "rpc.system": "grpc", "rpc.grpc.status_code": 0 });
  });

  it("traces each outbox delivery attempt in a trace of its own and sends its traceparent", async () => {
    f = await engineFixture();
    const { id } = await f.mkTarget("/events", "webhook");
    await f.setExecution(onEvent("target.added"), [id]);
    await f.mkTarget("/other", "webhook");
    await f.target.waitFor((r) => r.some((c) => c.path === "/events"));

    const deadline = Date.now() + 5000;
    let delivery: ReadableSpan | undefined;
    while (!delivery && Date.now() < deadline) {
      delivery = (await spans()).find((s) => s.attributes["tether.call.source"] === "delivery");
      if (!delivery) await new Promise((r) => setTimeout(r, 20));
    }
    expect(delivery).toBeDefined();
    expect(delivery!.parentSpanContext).toBeUndefined();
    expect(delivery!.attributes).toMatchObject({ "tether.target.id": id, "tether.delivery.attempt": 1, "tether.call.outcome": "ok" });
    const sent = parseTraceparent(f.target.on("/events")[0]!.headers.traceparent);
    expect(sent.traceId).toBe(delivery!.spanContext().traceId);
    expect(sent.parentId).toBe(delivery!.spanContext().spanId);
  });
});
