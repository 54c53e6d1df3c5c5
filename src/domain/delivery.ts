import type { PayloadType, TargetType } from "./target.js";

/** Where a delivery job is in its life. `delivered` and `dead` are final (a dead job can be replayed). */
export type DeliveryState = "pending" | "in_flight" | "delivered" | "dead";

/** What a job knows about its target, frozen when it was enqueued; signing keys stay sealed. */
export interface TargetSnapshot {
  id: string;
  name: string;
  type: TargetType;
  endpoint: string;
  timeoutMs: number;
  payloadType: PayloadType;
  /** The target's sealed signing keys (newest first), opened only to sign an attempt. */
  sealedSigningKeys: string[];
  /** The active public key's id at enqueue time (JWE); the key itself is read when sending. */
  publicKeyId?: string;
}

/** A job to enqueue. */
export interface NewDelivery {
  kind: "event" | "async";
  executionId: string;
  target: TargetSnapshot;
  /** The JSON body before encoding. */
  payload: string;
  eventType?: string;
  eventPosition?: number;
  /** Jobs with the same key and target are delivered one after another, in enqueue order. */
  orderingKey?: string;
}

/** A stored job. */
export interface Delivery extends NewDelivery {
  id: string;
  n: number;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: Date;
  createdAt: Date;
  updatedAt: Date;
  lastStatus?: number;
  lastError?: string;
}

/** One recorded attempt. */
export interface DeliveryAttempt {
  attempt: number;
  startedAt: Date;
  latencyMs: number;
  /** `ok` or the failure kind: http_error, timeout, unreachable, too_large, blocked, prepare_failed, forwarded_error. */
  outcome: string;
  status?: number;
  error?: string;
  /** The first bytes of the response body. */
  responseBody?: string;
}

/** How failed deliveries are retried. */
export interface RetryPolicy {
  /** Delays before attempt 2, 3, …; the last one repeats. */
  scheduleMs: readonly number[];
  /** Attempts in all, after which the job is dead. */
  maxAttempts: number;
  /** A job older than this is dead instead of retried. */
  maxAgeMs: number;
  /** ± fraction of random jitter applied to each delay (0.2 = ±20 %). */
  jitter: number;
}

/** Retries after 1 s, 5 s, 30 s, 2 min, 10 min, 30 min, 1 h…, 12 attempts, within 24 h. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  scheduleMs: [1_000, 5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000],
  maxAttempts: 12,
  maxAgeMs: 24 * 3600_000,
  jitter: 0.2,
};

/** What to do after a failed attempt: retry at a time, or give up (dead) with a reason. */
export type RetryDecision = { retry: true; delayMs: number } | { retry: false; reason: string };

/**
 * Decides the next step after failed attempt number `attempt` (1-based). A 410 Gone is permanent;
 * `Retry-After` (seconds) is honoured when longer than the schedule, capped by the job's remaining age.
 */
export function nextRetry(policy: RetryPolicy, input: { attempt: number; ageMs: number; status?: number; retryAfterMs?: number; random: number }): RetryDecision {
  if (input.status === 410) return { retry: false, reason: "target answered 410 Gone" };
  if (input.attempt >= policy.maxAttempts) return { retry: false, reason: `gave up after ${input.attempt} attempts` };
  const base = policy.scheduleMs[Math.min(input.attempt - 1, policy.scheduleMs.length - 1)] ?? 1000;
  const jittered = Math.round(base * (1 + policy.jitter * (2 * input.random - 1)));
  const delayMs = Math.max(jittered, input.retryAfterMs ?? 0);
  if (input.ageMs + delayMs > policy.maxAgeMs) return { retry: false, reason: "older than the maximum age" };
  return { retry: true, delayMs };
}

/** Parses a Retry-After header (delta seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}
