// One interceptor for both signals of an RPC: the duration/code metrics and the OpenTelemetry server span.
import { performance } from "node:perf_hooks";
import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor, type StreamResponse } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { context, isSpanContextValid, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { Attributes, Context, Span, TextMapGetter, Tracer } from "@opentelemetry/api";
import type { RpcRecorder, TetherMetrics } from "./metrics.js";

/** Options of {@link createRpcTelemetryInterceptor}. */
export interface RpcTelemetryOptions {
  metrics: Pick<TetherMetrics, "rpcRecorder">;
  /** Tracer of the server spans; a no-op unless an OpenTelemetry SDK is registered. */
  tracer: Tracer;
}

/** What is fixed per procedure, built on its first call: the span name and attributes, the metric children by code. */
interface Procedure {
  spanName: string;
  attributes: { grpc: Attributes; connect: Attributes };
  recorders: Array<RpcRecorder | undefined>;
  procedure: string;
}

const headerGetter: TextMapGetter<Headers> = {
  get: (carrier, key) => carrier.get(key) ?? undefined,
  keys: (carrier) => [...carrier.keys()],
};

// OpenTelemetry's RPC conventions: on the server side only these codes are the server's fault (span status ERROR).
const SERVER_FAULTS = new Set([Code.Unknown, Code.DeadlineExceeded, Code.Unimplemented, Code.Internal, Code.Unavailable, Code.DataLoss]);

/**
 * Measures every RPC that reached a registered procedure (so label values are bounded by the mounted services)
 * and runs it inside a server span that continues an incoming `traceparent`. Mount it outermost: it then sees
 * the final code, authentication failures included. Streams are measured until their last message.
 */
export function createRpcTelemetryInterceptor(options: RpcTelemetryOptions): Interceptor {
  const procedures = new Map<DescMethod, Procedure>();
  const procedureOf = (method: DescMethod): Procedure => {
    let p = procedures.get(method);
    if (!p) {
      const service = method.parent.typeName;
      const base = { "rpc.service": service, "rpc.method": method.name };
      p = {
        procedure: `/${service}/${method.name}`,
        spanName: `${service}/${method.name}`,
        attributes: { grpc: { "rpc.system": "grpc", ...base }, connect: { "rpc.system": "connect_rpc", ...base } },
        recorders: [],
      };
      procedures.set(method, p);
    }
    return p;
  };

  return (next) => async (req) => {
    const started = performance.now();
    const p = procedureOf(req.method);
    const grpc = req.header.get("content-type")?.startsWith("application/grpc") ?? false;
    const parent = propagation.extract(ROOT_CONTEXT, req.header, headerGetter);
    // Attributes at start, so samplers can decide on them (e.g. drop grpc.health.v1 checks).
    const span = options.tracer.startSpan(p.spanName, { kind: SpanKind.SERVER, attributes: grpc ? p.attributes.grpc : p.attributes.connect }, parent);
    // Without an SDK (and no incoming trace) the span is invalid and there is no context worth entering.
    const active = isSpanContextValid(span.spanContext()) ? trace.setSpan(parent, span) : undefined;
    const finish = (error: unknown) => {
      const code = error === undefined ? 0 : ConnectError.from(error).code;
      let record = p.recorders[code];
      if (!record) record = p.recorders[code] = options.metrics.rpcRecorder(p.procedure, code === 0 ? "ok" : codeToString(code));
      record((performance.now() - started) / 1000);
      endServerSpan(span, grpc, code, error);
    };
    let res;
    try {
      res = active ? await context.with(active, () => next(req)) : await next(req);
    } catch (e) {
      finish(e);
      throw e;
    }
    if (!res.stream) {
      finish(undefined);
      return res;
    }
    return { ...res, message: observeStream(res, active, req.signal, finish) };
  };
}

function endServerSpan(span: Span, grpc: boolean, code: Code | 0, error: unknown): void {
  if (!span.isRecording()) return span.end();
  if (grpc) span.setAttribute("rpc.grpc.status_code", code);
  else if (code !== 0) span.setAttribute("rpc.connect_rpc.error_code", codeToString(code));
  if (code !== 0 && SERVER_FAULTS.has(code)) span.setStatus({ code: SpanStatusCode.ERROR, message: ConnectError.from(error).rawMessage });
  span.end();
}

/** The response messages, each pulled inside the span's context; `finish` runs once, when the stream ends. */
function observeStream<T>(res: StreamResponse, active: Context | undefined, signal: AbortSignal, finish: (error: unknown) => void): AsyncIterable<T> {
  const source = res.message as AsyncIterable<T>;
  return {
    [Symbol.asyncIterator]() {
      const it = source[Symbol.asyncIterator]();
      let settled = false;
      const settle = (error: unknown) => {
        if (settled) return;
        settled = true;
        finish(error);
      };
      return {
        async next() {
          try {
            const r = active ? await context.with(active, () => it.next()) : await it.next();
            if (r.done) settle(undefined);
            return r;
          } catch (e) {
            settle(e);
            throw e;
          }
        },
        async return(value?: unknown) {
          // The writer stops early only when the client went away.
          settle(signal.aborted ? new ConnectError("stream canceled", Code.Canceled) : undefined);
          return it.return ? it.return(value) : { done: true as const, value: undefined };
        },
      };
    },
  };
}
