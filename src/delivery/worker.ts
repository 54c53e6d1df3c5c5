import type { Clock } from "../domain/clock.js";
import type { Delivery, DeliveryAttempt, RetryPolicy } from "../domain/delivery.js";
import type { DeliveryStore } from "../store/delivery-store.js";
import type { DeliverySender, SendResult } from "./send.js";
import { DEFAULT_RETRY_POLICY } from "../domain/delivery.js";
import { nextState, type DeliveryNext } from "./next-state.js";
import { createTargetSlots } from "./target-slots.js";
import { createWakeableSleep } from "./wakeable-sleep.js";

export type { DeliveryNext } from "./next-state.js";

/** Dependencies and knobs of {@link createDeliveryWorker}. */
export interface DeliveryWorkerDeps {
  deliveries: Pick<DeliveryStore, "claim" | "finish" | "releaseInFlight" | "nextDueAt">;
  /**
   * Runs `fn` in one store transaction, e.g. `(fn) => db.transaction(fn)()`, so a round's finished attempts
   * commit together: one commit per round instead of one per attempt (default: no batching).
   */
  transaction?: <T>(fn: () => T) => T;
  /** Makes one attempt; {@link createDeliverySender} in production. */
  send: DeliverySender;
  clock: Clock;
  /** Retry schedule, attempt limit and maximum age (default {@link DEFAULT_RETRY_POLICY}). */
  policy?: RetryPolicy;
  /** Attempts in flight at once, over all targets (default 32). */
  concurrency?: number;
  /** Attempts in flight at once to one target, so a slow target cannot take every slot (default 8). */
  perTargetConcurrency?: number;
  /** The longest the loop sleeps when nothing is due, in ms (default 250). */
  pollIntervalMs?: number;
  /** Jitter source in [0, 1) (default Math.random). */
  random?: () => number;
  /** Called after each attempt was recorded. */
  onResult?: (job: Delivery, attempt: DeliveryAttempt, next: DeliveryNext) => void;
  /** Called with store errors and throwing callbacks; the loop backs off and carries on. */
  onError?: (error: unknown) => void;
}

/** The outbox worker: claims due jobs, sends them and records the outcome. */
export interface DeliveryWorker {
  /** Puts jobs a crash left in flight back to pending, then starts the loop; a second call does nothing. */
  start(): void;
  /** Wakes the loop now; call after a commit that enqueued jobs. */
  kick(): void;
  /**
   * Stops claiming, waits up to `drainMs` (default 5000) for attempts in flight, then puts the rest back to
   * pending so the next worker sends them again.
   */
  stop(opts?: { drainMs?: number }): Promise<void>;
}

const MAX_ERROR_BACKOFF_MS = 5_000;

/** An attempt that is over but not yet recorded in the store. */
interface Finished {
  job: Delivery;
  attempt: DeliveryAttempt;
  next: DeliveryNext;
}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** Creates the delivery worker; nothing runs until {@link DeliveryWorker.start}. */
export function createDeliveryWorker(deps: DeliveryWorkerDeps): DeliveryWorker {
  const store = deps.deliveries;
  const policy = deps.policy ?? DEFAULT_RETRY_POLICY;
  const concurrency = positiveInt("concurrency", deps.concurrency ?? 32);
  const slots = createTargetSlots(positiveInt("perTargetConcurrency", deps.perTargetConcurrency ?? 8));
  const pollMs = deps.pollIntervalMs ?? 250;
  const random = deps.random ?? Math.random;
  const tx = deps.transaction ?? (<T>(fn: () => T): T => fn());
  const sleep = createWakeableSleep();
  /** Attempts being sent, by job id. */
  const sending = new Map<string, Promise<void>>();
  const finished: Finished[] = [];
  /** Jobs the store may still hold in flight although we are done with them (a finish failed, or stop gave up). */
  const toRelease = new Set<string>();
  let state: "idle" | "running" | "stopping" | "stopped" = "idle";
  let recovered = false;
  /** Whether a claim may find something: cleared when one comes back short, set by anything that may change that. */
  let mayClaim = true;
  let loopDone: Promise<void> = Promise.resolve();
  let stopping: Promise<void> | undefined;

  function report(e: unknown): void {
    try {
      deps.onError?.(e);
    } catch {
      // A failing reporter must not take the loop down with it.
    }
  }

  function begin(job: Delivery): void {
    let sent: Promise<SendResult>;
    try {
      sent = deps.send(job);
    } catch (e) {
      // A sender's synchronous throw is a failed attempt too.
      sent = Promise.reject(e);
    }
    const done = sent
      .then(
        (result) => complete(job, result),
        (e: unknown) => complete(job, { attempt: internalFailure(job, e, deps.clock()) }),
      )
      .catch((e: unknown) => {
        // A bug past the send must neither crash the process nor strand the job in flight.
        toRelease.add(job.id);
        report(e);
      });
    sending.set(job.id, done);
  }

  function complete(job: Delivery, result: SendResult): void {
    sending.delete(job.id);
    const parked = slots.release(job.target.id);
    // stop() already released this job (drain timed out): another worker may own it now.
    if (state === "stopped") return;
    const attempt = { ...result.attempt, attempt: job.attempts + 1 };
    const next = nextState(policy, job, attempt, { retryAfterMs: result.retryAfterMs, now: deps.clock(), random: random() });
    finished.push({ job, attempt, next });
    if (state !== "running") return settle(finished.splice(0));
    if (parked) begin(parked);
    // A parked job took the slot over: its target stays busy, so only the record is due, not a claim.
    else mayClaim = true;
    sleep.wake();
  }

  /** Records attempts one by one, so a row that cannot be written does not block the others. */
  function settle(batch: Finished[]): void {
    for (const f of batch) {
      try {
        store.finish(f.job, f.attempt, f.next);
      } catch (e) {
        // The attempt is lost from the log, but the job is not: released, it is sent again (at least once).
        toRelease.add(f.job.id);
        report(e);
        continue;
      }
      notify(f);
    }
  }

  function notify(f: Finished): void {
    try {
      deps.onResult?.(f.job, f.attempt, f.next);
    } catch (e) {
      report(e);
    }
  }

  /**
   * One round: recover if still needed, release leftovers and record attempts in one transaction, then claim
   * (a read, outside it: a claim only registers the jobs once it has returned them, so nothing is stranded).
   */
  function round(): void {
    const batch = finished.splice(0);
    const releasing = [...toRelease];
    const limit = mayClaim ? concurrency - sending.size : 0;
    if (!recovered || releasing.length > 0 || batch.length > 0) {
      try {
        tx(() => {
          // Whatever a crashed process left in flight may or may not have reached its target: send it again.
          if (!recovered) store.releaseInFlight();
          if (releasing.length > 0) store.releaseInFlight(releasing);
          for (const f of batch) store.finish(f.job, f.attempt, f.next);
        });
      } catch (e) {
        settle(batch);
        throw e;
      }
    }
    recovered = true;
    for (const id of releasing) toRelease.delete(id);
    for (const f of batch) notify(f);
    const jobs = limit > 0 ? store.claim(limit, slots.busy()) : [];
    for (const job of jobs) if (slots.acquire(job)) begin(job);
    // A full batch may have parked jobs behind a target that just became busy: claim again for others.
    mayClaim = limit > 0 && jobs.length === limit;
  }

  /** How long to sleep after a round: until the next job is due, at most the poll interval. */
  function idleDelay(): number {
    if (mayClaim) return 0;
    if (sending.size >= concurrency) return pollMs;
    const due = store.nextDueAt();
    if (!due) return pollMs;
    const ms = due.getTime() - deps.clock().getTime();
    // Due but not claimed means held back (ordering, busy target); a finishing attempt wakes us sooner.
    return ms <= 0 ? pollMs : Math.min(ms, pollMs);
  }

  async function loop(): Promise<void> {
    let errors = 0;
    while (state === "running") {
      let delay: number;
      try {
        round();
        delay = idleDelay();
        errors = 0;
      } catch (e) {
        report(e);
        errors++;
        delay = Math.min(MAX_ERROR_BACKOFF_MS, pollMs * 2 ** Math.min(errors - 1, 5));
      }
      if (state !== "running") break;
      if (!(await sleep.for(delay))) mayClaim = true;
    }
  }

  async function drainAndRelease(drainMs: number): Promise<void> {
    state = "stopping";
    sleep.wake();
    // Parked jobs were never sent: hand them back at once rather than after the drain.
    for (const job of slots.takeParked()) toRelease.add(job.id);
    await loopDone;
    settle(finished.splice(0));
    await waitForSends(drainMs);
    state = "stopped";
    for (const id of sending.keys()) toRelease.add(id);
    try {
      store.releaseInFlight([...toRelease]);
      toRelease.clear();
    } catch (e) {
      // The next start() releases every in-flight job anyway; nothing is lost, only delayed.
      report(e);
    }
  }

  async function waitForSends(drainMs: number): Promise<void> {
    if (sending.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, drainMs);
    });
    await Promise.race([Promise.allSettled([...sending.values()]), timeout]);
    clearTimeout(timer);
  }

  return {
    start() {
      if (state !== "idle") return;
      state = "running";
      try {
        store.releaseInFlight();
        recovered = true;
      } catch (e) {
        // The first round retries recovery before it claims anything.
        report(e);
      }
      loopDone = loop();
    },
    kick() {
      if (state !== "running") return;
      mayClaim = true;
      sleep.wake();
    },
    stop(opts) {
      if (stopping) return stopping;
      if (state === "idle") {
        state = "stopped";
        stopping = Promise.resolve();
      } else stopping = drainAndRelease(opts?.drainMs ?? 5_000);
      return stopping;
    },
  };
}

/** An attempt record for a sender that threw, which is a bug; the job is retried like any failure. */
function internalFailure(job: Delivery, e: unknown, now: Date): DeliveryAttempt {
  const message = e instanceof Error ? e.message : String(e);
  return { attempt: job.attempts + 1, startedAt: now, latencyMs: 0, outcome: "internal", error: `sending failed: ${message}` };
}
