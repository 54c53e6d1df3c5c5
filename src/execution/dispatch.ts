import { Code, ConnectError } from "@connectrpc/connect";
import type { Tracer } from "@opentelemetry/api";
import type { Clock } from "../domain/clock.js";
import type { TargetHttpClient } from "./http-client.js";
import type { CallableTarget, TargetLoader } from "./target-loader.js";
import { classifyOutcome } from "./outcome.js";
import { goJson } from "./payload.js";
import { signatureHeaders } from "./signing.js";
import { defaultTracer, traceTargetCall } from "../observability/target-span.js";

/** Encodes a JSON payload for a target (JSON, signed JWT or JWE). */
export interface PayloadEncoder {
  encode(json: string, target: { payloadType: "json" | "jwt" | "jwe"; publicKey?: { id: string; pem: string; keyType: "rsa" | "ec" } }): Promise<
    { ok: true; body: string } | { ok: false; reason: string; message: string }
  >;
}

/** One finished target call, for logs and metrics. */
export interface TargetCallReport {
  executionId: string;
  targetId: string;
  targetType: CallableTarget["type"];
  outcome: string;
  status?: number;
  latencyMs: number;
  interrupted: boolean;
}

/** Dependencies of {@link createDispatcher}. */
export interface DispatcherDeps {
  loadTarget: TargetLoader;
  http: TargetHttpClient;
  encoder: PayloadEncoder;
  clock: Clock;
  /** Called after every target call (and for targets that could not be prepared). */
  onReport?: (report: TargetCallReport) => void;
  /** Hands rest_async calls to the durable outbox (retried, never awaited by the caller). */
  enqueueAsync: (targetId: string, executionId: string, payloadJson: string) => void;
  /** Tracer of the target-call spans (default: the global provider's, a no-op until an SDK is registered). */
  tracer?: Tracer;
}

/** How a run applies rest_call answers to its state and renders the payload from it. */
export interface RunSpec<S> {
  executionId: string;
  targetIds: readonly string[];
  state: S;
  /** The JSON payload for the next target, from the current state. */
  render(state: S): unknown;
  /** Applies a rest_call's non-empty 2xx body; throws (any error) when the body does not fit. */
  apply?(state: S, body: Uint8Array): S;
  /** The caller's cancellation (client gone, deadline passed). */
  signal?: AbortSignal;
}

/** Runs the targets of one execution strictly in order; see {@link Dispatcher.run}. */
export interface Dispatcher {
  /**
   * Calls each target in list order. A failing target with `interrupt_on_error` stops the run and throws
   * the caller's error; other failures are reported and skipped (their bodies are not applied). Async
   * targets are handed to the durable outbox and never interrupt. Returns the final state.
   */
  run<S>(spec: RunSpec<S>): Promise<S>;
}

/** Creates the run loop shared by request, response and function executions. */
export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const report = (r: TargetCallReport) => deps.onReport?.(r);
  const tracer = deps.tracer ?? defaultTracer();

  async function prepare(target: CallableTarget, payload: unknown) {
    const json = goJson(payload);
    const encoded = await deps.encoder.encode(json, target);
    if (!encoded.ok) return { ok: false as const, error: new ConnectError(`target ${JSON.stringify(target.name)} (${target.id}): ${encoded.message}`, Code.Internal) };
    const nowSec = Math.floor(deps.clock().getTime() / 1000);
    const headers = { "content-type": "application/json", ...signatureHeaders(encoded.body, target.signingKeys, nowSec) };
    return { ok: true as const, body: encoded.body, headers };
  }

  return {
    async run<S>(spec: RunSpec<S>): Promise<S> {
      let state = spec.state;
      for (const id of spec.targetIds) {
        if (spec.signal?.aborted) throw new ConnectError("request canceled", Code.Canceled);
        const target = deps.loadTarget(id, deps.clock());
        if (!target) continue; // deleted after the route was resolved
        const base = { executionId: spec.executionId, targetId: id, targetType: target.type };
        if (target.type === "async") {
          // Durable: the outbox encodes, signs and retries it; the caller never waits for it.
          deps.enqueueAsync(id, spec.executionId, goJson(spec.render(state)));
          report({ ...base, outcome: "enqueued", latencyMs: 0, interrupted: false });
          continue;
        }
        const prepared = await prepare(target, spec.render(state));
        if (!prepared.ok) {
          const interrupted = target.interruptOnError;
          report({ ...base, outcome: "prepare_failed", latencyMs: 0, interrupted });
          if (interrupted) throw prepared.error;
          continue;
        }
        const outcome = await traceTargetCall(tracer, { source: "execution", target, executionId: spec.executionId }, prepared.headers, (headers) => {
          const request = { url: target.endpoint, headers, body: prepared.body, timeoutMs: target.timeoutMs };
          return deps.http.post(spec.signal ? { ...request, signal: spec.signal } : request);
        });
        let result = classifyOutcome(target, outcome);
        if (result.ok && target.type === "call" && spec.apply && result.body.length > 0) {
          try {
            state = spec.apply(state, result.body);
          } catch (e) {
            // A ConnectError from apply carries its own code (functions: FAILED_PRECONDITION for non-JSON).
            const error =
              e instanceof ConnectError
                ? e
                : new ConnectError(`target ${JSON.stringify(target.name)} (${target.id}) answered a body that does not fit: ${e instanceof Error ? e.message : String(e)}`, Code.Unknown);
            result = { ok: false, kind: "invalid_body", error };
          }
        }
        const interrupted = !result.ok && target.interruptOnError;
        report({ ...base, outcome: result.ok ? "ok" : result.kind, ...("status" in outcome ? { status: outcome.status } : {}), latencyMs: outcome.latencyMs, interrupted });
        if (!result.ok && interrupted) throw result.error;
      }
      return state;
    },
  };
}
