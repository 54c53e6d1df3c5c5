// The client span around one target call, and the W3C trace context it adds to the outbound HTTP headers.
import { context, isSpanContextValid, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { Attributes, Tracer } from "@opentelemetry/api";

/** The tracer Tether uses unless it is given one: the global provider's, a no-op until an SDK is registered. */
export function defaultTracer(): Tracer {
  return trace.getTracer("tether");
}

/** What a target-call span says about the call. */
export interface TargetSpanInfo {
  /** A request/response execution run (child of the RPC's span) or an outbox attempt (a trace of its own). */
  source: "execution" | "delivery";
  target: { id: string; name: string; type: string; endpoint: string };
  executionId: string;
  /** Outbox job id and attempt number, for deliveries. */
  deliveryId?: string;
  attempt?: number;
}

/**
 * Runs `call` inside a client span named `POST <target name>`, passing it `headers` plus `traceparent` and
 * `tracestate` from the global propagator; the span ends with the outcome's kind and HTTP status. Without an
 * SDK and propagator the headers pass through unchanged and nothing is recorded.
 */
export async function traceTargetCall<T extends { kind: string; status?: number }>(
  tracer: Tracer,
  info: TargetSpanInfo,
  headers: Record<string, string>,
  call: (headers: Record<string, string>) => Promise<T>,
): Promise<T> {
  // Deliveries run long after, and apart from, whatever enqueued them: each attempt starts its own trace.
  const parent = info.source === "delivery" ? ROOT_CONTEXT : context.active();
  const span = tracer.startSpan(`POST ${info.target.name}`, { kind: SpanKind.CLIENT }, parent);
  if (!isSpanContextValid(span.spanContext())) {
    span.end();
    return call(headers);
  }
  if (span.isRecording()) span.setAttributes(startAttributes(info));
  const traced = { ...headers };
  propagation.inject(trace.setSpan(parent, span), traced);
  try {
    const outcome = await call(traced);
    if (span.isRecording()) {
      span.setAttribute("tether.call.outcome", outcome.kind);
      if (outcome.status !== undefined) span.setAttribute("http.response.status_code", outcome.status);
      if (outcome.kind !== "ok") {
        span.setAttribute("error.type", outcome.kind);
        span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.kind });
      }
    }
    return outcome;
  } catch (e) {
    span.recordException(e instanceof Error ? e : String(e));
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw e;
  } finally {
    span.end();
  }
}

function startAttributes(info: TargetSpanInfo): Attributes {
  const attributes: Attributes = {
    "http.request.method": "POST",
    "tether.call.source": info.source,
    "tether.target.id": info.target.id,
    "tether.target.type": info.target.type,
    "tether.execution.id": info.executionId,
  };
  try {
    // Only scheme and host: user info, query strings and paths may carry credentials (Slack, Teams and
    // Discord webhook URLs keep their secret in the path), and traces leave for another system.
    const url = new URL(info.target.endpoint);
    attributes["url.full"] = url.origin;
    attributes["server.address"] = url.hostname;
    attributes["server.port"] = Number(url.port) || (url.protocol === "https:" ? 443 : 80);
  } catch {
    // An unparseable endpoint is reported by the call itself (outcome "blocked").
  }
  if (info.deliveryId !== undefined) attributes["tether.delivery.id"] = info.deliveryId;
  if (info.attempt !== undefined) attributes["tether.delivery.attempt"] = info.attempt;
  return attributes;
}
