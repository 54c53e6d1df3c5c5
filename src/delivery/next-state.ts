import type { Delivery, DeliveryAttempt, RetryPolicy } from "../domain/delivery.js";
import type { DeliveryStore } from "../store/delivery-store.js";
import { nextRetry } from "../domain/delivery.js";

/** A job's state after an attempt, as handed to {@link DeliveryStore.finish}. */
export type DeliveryNext = Parameters<DeliveryStore["finish"]>[2];

/**
 * The state after `attempt`: delivered on success, otherwise pending at the retry time the policy (and a
 * `Retry-After`) gives, or dead with the policy's reason and the last error.
 */
export function nextState(
  policy: RetryPolicy,
  job: Pick<Delivery, "createdAt">,
  attempt: DeliveryAttempt,
  input: { retryAfterMs?: number; now: Date; random: number },
): DeliveryNext {
  if (attempt.outcome === "ok") return { state: "delivered" };
  const now = input.now.getTime();
  const decision = nextRetry(policy, {
    attempt: attempt.attempt,
    ageMs: now - job.createdAt.getTime(),
    ...(attempt.status !== undefined ? { status: attempt.status } : {}),
    ...(input.retryAfterMs !== undefined ? { retryAfterMs: input.retryAfterMs } : {}),
    random: input.random,
  });
  if (decision.retry) return { state: "pending", at: new Date(now + decision.delayMs) };
  return { state: "dead", reason: `${decision.reason} (last: ${attempt.error ?? attempt.outcome})` };
}
