// Prometheus metrics of one app instance: RPCs, target calls, and the delivery queue read on scrape.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Clock } from "../domain/clock.js";
import type { Delivery, DeliveryAttempt } from "../domain/delivery.js";
import type { DeliveryStore } from "../store/delivery-store.js";
import type { TargetCallReport } from "../execution/dispatch.js";
import type { DeliveryNext } from "../delivery/worker.js";

/** Dependencies of {@link createTetherMetrics}. */
export interface TetherMetricsDeps {
  /** Read on every scrape for the queue depth and lag gauges. */
  deliveries: Pick<DeliveryStore, "queueDepth" | "nextDueAt">;
  clock: Clock;
  /**
   * Adds Node's process metrics (CPU, memory, GC, event loop) on the first scrape (default true). They
   * describe the whole process and prom-client cannot stop them, so they start only for an app that is scraped.
   */
  processMetrics?: boolean;
}

/** Where a target call came from: a request/response execution run, or the outbox worker. */
export type TargetCallSource = "execution" | "delivery";

/** Records one finished RPC; the caller caches it per procedure and code (see rpc-telemetry.ts). */
export type RpcRecorder = (seconds: number) => void;

/** The metrics of one app instance and the hooks that feed them. */
export interface TetherMetrics {
  /** This instance's registry (never prom-client's global one, so servers in one process stay apart). */
  registry: Registry;
  /** A recorder for one procedure and code; labels are created on first use only. */
  rpcRecorder(procedure: string, code: string): RpcRecorder;
  /** Hook for {@link TargetCallReport}s of request/response executions. */
  onTargetCall(report: TargetCallReport): void;
  /** Hook for recorded outbox delivery attempts. */
  onDelivery(job: Delivery, attempt: DeliveryAttempt, next: DeliveryNext): void;
  /** Drops every series of a deleted target, so creating and deleting targets cannot grow the exposition for ever. */
  forgetTarget(targetId: string): void;
  /** Counts a job set aside as dead without an attempt (its stored row could not be read back). */
  onUnreadableJob(targetId: string): void;
  /** The exposition text and its content type, for `GET /metrics`. */
  scrape(): Promise<{ contentType: string; body: string }>;
}

// Target call outcomes are a closed set (CallOutcome kinds, classifyOutcome kinds, the dispatcher's and the
// worker's own); anything else is folded into "other" so a new string can never grow the label space.
const OUTCOMES = new Set([
  "ok",
  "http_error",
  "timeout",
  "unreachable",
  "too_large",
  "blocked",
  "canceled",
  "forwarded_error",
  "invalid_body",
  "prepare_failed",
  "internal",
]);
// Outcomes decided before any request was sent: counted, but they would skew the latency histogram towards 0.
const NOT_SENT = new Set(["prepare_failed", "internal"]);

// RPCs are mostly sub-millisecond to a few target calls long; target calls are bounded by their timeout (≤ 270 s).
const RPC_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const TARGET_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 270];

/** Creates the registry and metrics of one app; nothing is global, so many apps can share a process. */
export function createTetherMetrics(deps: TetherMetricsDeps): TetherMetrics {
  const registry = new Registry();
  const calls = targetCallMetrics(registry);
  registerQueueGauges(registry, deps);
  let processMetrics = deps.processMetrics ?? true;
  return {
    registry,
    rpcRecorder: rpcMetrics(registry),
    onTargetCall(report) {
      // Async targets are only handed to the outbox here; the worker's attempt is the call, counted as "delivery".
      if (report.outcome === "enqueued") return;
      calls.observe(report.targetId, "execution", report.outcome, report.latencyMs);
    },
    onDelivery(job, attempt, next) {
      calls.observe(job.target.id, "delivery", attempt.outcome, attempt.latencyMs);
      if (next.state === "pending") calls.retries.labels(job.target.id).inc();
      else if (next.state === "dead") calls.deadLetters.labels(job.target.id).inc();
    },
    forgetTarget: (targetId) => calls.forget(targetId),
    onUnreadableJob: (targetId) => calls.deadLetters.labels(targetId).inc(),
    async scrape() {
      if (processMetrics) {
        processMetrics = false;
        collectDefaultMetrics({ register: registry });
      }
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

/** The RPC counter and duration histogram; returns the factory of per-procedure-and-code recorders. */
function rpcMetrics(registry: Registry): TetherMetrics["rpcRecorder"] {
  // Plain numbers on the RPC hot path (prom-client hashes the label set on every inc), copied into the counter on scrape.
  const counts: Array<{ labels: { method: string; code: string }; n: number }> = [];
  new Counter({
    name: "tether_rpc_requests_total",
    help: "RPCs served, by full procedure and Connect code.",
    labelNames: ["method", "code"],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of counts) this.inc(c.labels, c.n);
    },
  });
  const seconds = new Histogram({
    name: "tether_rpc_duration_seconds",
    help: "RPC duration in seconds (interceptors, executions and handler), by full procedure and Connect code.",
    labelNames: ["method", "code"],
    buckets: RPC_BUCKETS,
    registers: [registry],
  });
  return (procedure, code) => {
    const count = { labels: { method: procedure, code }, n: 0 };
    counts.push(count);
    const histogram = seconds.labels(procedure, code);
    return (s) => {
      count.n++;
      histogram.observe(s);
    };
  };
}

/** Target-call counter and latency histogram (both sources), plus the delivery retry and dead-letter counters. */
function targetCallMetrics(registry: Registry) {
  const registers = [registry];
  const total = new Counter({
    name: "tether_target_calls_total",
    help: "Target calls by target id, source (execution or delivery) and outcome.",
    labelNames: ["target_id", "source", "outcome"],
    registers,
  });
  // No outcome label: one series per target and source keeps the bucket count proportional to the targets.
  const seconds = new Histogram({
    name: "tether_target_call_duration_seconds",
    help: "Target call latency in seconds (connect to end of body), by target id and source.",
    labelNames: ["target_id", "source"],
    buckets: TARGET_BUCKETS,
    registers,
  });
  // The label children per target, source and outcome, looked up once: labels() hashes the label set on every call.
  // Nothing resets these metrics, so a child stays the one the registry exports.
  const series = new Map<string, { count: { inc(): void }; seconds: { observe(value: number): void } | undefined }>();
  const retries = new Counter({ name: "tether_delivery_retries_total", help: "Failed delivery attempts that were scheduled again.", labelNames: ["target_id"], registers });
  const deadLetters = new Counter({ name: "tether_delivery_dead_letters_total", help: "Deliveries that gave up (dead letters).", labelNames: ["target_id"], registers });
  return {
    observe(targetId: string, source: TargetCallSource, outcome: string, latencyMs: number) {
      const bounded = OUTCOMES.has(outcome) ? outcome : "other";
      const key = `${source}\u0000${bounded}\u0000${targetId}`;
      let s = series.get(key);
      if (s === undefined) {
        s = { count: total.labels(targetId, source, bounded), seconds: NOT_SENT.has(bounded) ? undefined : seconds.labels(targetId, source) };
        series.set(key, s);
      }
      s.count.inc();
      s.seconds?.observe(latencyMs / 1000);
    },
    forget(targetId: string) {
      for (const key of [...series.keys()]) {
        const [source, outcome, id] = key.split("\u0000") as [TargetCallSource, string, string];
        if (id !== targetId) continue;
        series.delete(key);
        total.remove(targetId, source, outcome);
        seconds.remove(targetId, source);
      }
      retries.remove(targetId);
      deadLetters.remove(targetId);
    },
    retries,
    deadLetters,
  };
}

/** Queue depth by state and the lag of the oldest due job, both read from the store when scraped. */
function registerQueueGauges(registry: Registry, deps: TetherMetricsDeps): void {
  new Gauge({
    name: "tether_delivery_queue_depth",
    help: "Outbox jobs by state (pending, in_flight, dead), read from the database on scrape.",
    labelNames: ["state"],
    registers: [registry],
    collect() {
      const depth = deps.deliveries.queueDepth();
      this.set({ state: "pending" }, depth.pending);
      this.set({ state: "in_flight" }, depth.inFlight);
      this.set({ state: "dead" }, depth.dead);
    },
  });
  new Gauge({
    name: "tether_delivery_lag_seconds",
    help: "How long the oldest due pending delivery has been waiting (0 when none is due), read on scrape.",
    registers: [registry],
    collect() {
      const due = deps.deliveries.nextDueAt();
      const waited = due ? deps.clock().getTime() - due.getTime() : 0;
      this.set(Math.max(0, waited) / 1000);
    },
  });
}
