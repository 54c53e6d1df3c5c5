// Row shapes of the outbox tables and their mapping to domain jobs and attempts (SQL stops here).
import type { Delivery, DeliveryAttempt, DeliveryState, TargetSnapshot } from "../domain/delivery.js";

/** A `deliveries` row as better-sqlite3 returns it. */
export interface DeliveryRow {
  n: number;
  id: string;
  kind: "event" | "async";
  execution_id: string;
  target_id: string;
  target: string;
  payload: string;
  event_type: string | null;
  event_position: number | null;
  ordering_key: string | null;
  state: DeliveryState;
  attempts: number;
  next_attempt_at: number;
  created_at: number;
  updated_at: number;
  last_status: number | null;
  last_error: string | null;
  success_started_at: number | null;
  success_latency_ms: number | null;
  success_response_body: string | null;
}

/** A `delivery_attempts` row. */
export interface AttemptRow {
  attempt: number;
  started_at: number;
  latency_ms: number;
  outcome: string;
  status: number | null;
  error: string | null;
  response_body: string | null;
}

const SNAPSHOT_CACHE_SIZE = 256;

/**
 * A parser of target snapshots that remembers them by their JSON text: the jobs of one target mostly share one
 * snapshot, so a claim parses it once rather than once per job. The objects are frozen, as every job holding
 * one shares it. Throws on text that is not JSON.
 */
export function createSnapshotParser(): (json: string) => TargetSnapshot {
  const snapshots = new Map<string, TargetSnapshot>();
  return (json) => {
    let snapshot = snapshots.get(json);
    if (snapshot !== undefined) return snapshot;
    snapshot = deepFreeze(JSON.parse(json) as TargetSnapshot);
    if (snapshots.size >= SNAPSHOT_CACHE_SIZE) snapshots.clear();
    snapshots.set(json, snapshot);
    return snapshot;
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** For reads only (get, list): a snapshot that cannot be parsed shows as its target id, never as an error. */
export function readableSnapshot(r: DeliveryRow, parse: (json: string) => TargetSnapshot): TargetSnapshot {
  try {
    return parse(r.target);
  } catch {
    return Object.freeze({ id: r.target_id, name: "", type: "webhook", endpoint: "", timeoutMs: 0, payloadType: "json", sealedSigningKeys: Object.freeze([]) as unknown as string[] });
  }
}

/** A row as a job, in `state` (the row's own unless the caller knows better), with the snapshot `target` gives. */
export function rowToDelivery(r: DeliveryRow, state: DeliveryState, target: TargetSnapshot): Delivery {
  const d: Delivery = {
    id: r.id,
    n: r.n,
    kind: r.kind,
    executionId: r.execution_id,
    target,
    payload: r.payload,
    state,
    attempts: r.attempts,
    nextAttemptAt: new Date(r.next_attempt_at),
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
  if (r.event_type !== null) d.eventType = r.event_type;
  if (r.event_position !== null) d.eventPosition = r.event_position;
  if (r.ordering_key !== null) d.orderingKey = r.ordering_key;
  if (r.last_status !== null) d.lastStatus = r.last_status;
  if (r.last_error !== null) d.lastError = r.last_error;
  return d;
}

/** The successful attempt a delivered job carries on its row (migration 3), if any. */
export function successAttempt(r: DeliveryRow): DeliveryAttempt | undefined {
  if (r.success_started_at === null) return undefined;
  const a: DeliveryAttempt = { attempt: r.attempts, startedAt: new Date(r.success_started_at), latencyMs: r.success_latency_ms ?? 0, outcome: "ok" };
  if (r.last_status !== null) a.status = r.last_status;
  if (r.success_response_body !== null) a.responseBody = r.success_response_body;
  return a;
}

/** An attempt row as the domain's attempt record. */
export function rowToAttempt(r: AttemptRow): DeliveryAttempt {
  const a: DeliveryAttempt = { attempt: r.attempt, startedAt: new Date(r.started_at), latencyMs: r.latency_ms, outcome: r.outcome };
  if (r.status !== null) a.status = r.status;
  if (r.error !== null) a.error = r.error;
  if (r.response_body !== null) a.responseBody = r.response_body;
  return a;
}
