import type { Clock } from "../domain/clock.js";
import type { DeliveryStore } from "../store/delivery-store.js";

/** How long final outbox jobs are kept; 0 keeps them for ever. */
export interface RetentionPolicy {
  /** Delivered jobs, in ms after they were delivered (default 7 days). */
  deliveredMs: number;
  /** Dead jobs, in ms after they died (default 30 days: time to notice and replay them). */
  deadMs: number;
}

/** Delivered jobs kept 7 days, dead ones 30 days. */
export const DEFAULT_RETENTION: RetentionPolicy = { deliveredMs: 7 * 24 * 3600_000, deadMs: 30 * 24 * 3600_000 };

/** Dependencies and knobs of {@link createRetentionSweeper}. */
export interface RetentionSweeperDeps {
  deliveries: Pick<DeliveryStore, "purge">;
  clock: Clock;
  policy?: RetentionPolicy;
  /** Time between sweeps, in ms (default 60 s). */
  intervalMs?: number;
  /** Jobs deleted per transaction; the sweep yields to the event loop between batches (default 500, ~10 ms each). */
  batch?: number;
  /** Called after a sweep that deleted something. */
  onPurged?: (counts: { delivered: number; dead: number }) => void;
  /** Called with store errors; the next sweep tries again. */
  onError?: (error: unknown) => void;
}

/** Deletes final outbox jobs past their retention, so the outbox does not grow with every event for ever. */
export interface RetentionSweeper {
  /** Sweeps now, then every interval; a second call does nothing. */
  start(): void;
  /** One sweep: batches until nothing is left past retention. Resolves with what it deleted. */
  sweep(): Promise<{ delivered: number; dead: number }>;
  /** Stops the timer and waits for a sweep in progress to finish its current batch. */
  stop(): Promise<void>;
}

/** Creates the sweeper; nothing runs until {@link RetentionSweeper.start}. */
export function createRetentionSweeper(deps: RetentionSweeperDeps): RetentionSweeper {
  const policy = deps.policy ?? DEFAULT_RETENTION;
  const batch = deps.batch ?? 500;
  const intervalMs = deps.intervalMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<{ delivered: number; dead: number }> | undefined;

  async function purgeAll(state: "delivered" | "dead", keepMs: number): Promise<number> {
    if (keepMs <= 0) return 0;
    // One cut-off for the whole sweep, so jobs finishing meanwhile do not keep it going.
    const before = new Date(deps.clock().getTime() - keepMs);
    let total = 0;
    while (!stopped) {
      const n = deps.deliveries.purge(state, before, batch);
      total += n;
      if (n < batch) break;
      // A long backlog is deleted in short transactions, with RPCs and deliveries served in between.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return total;
  }

  async function sweepOnce(): Promise<{ delivered: number; dead: number }> {
    const counts = { delivered: await purgeAll("delivered", policy.deliveredMs), dead: await purgeAll("dead", policy.deadMs) };
    if (counts.delivered + counts.dead > 0) deps.onPurged?.(counts);
    return counts;
  }

  function sweep(): Promise<{ delivered: number; dead: number }> {
    running ??= sweepOnce().finally(() => (running = undefined));
    return running;
  }

  function tick(): void {
    sweep().catch((e: unknown) => deps.onError?.(e));
  }

  return {
    start() {
      if (timer || stopped || (policy.deliveredMs <= 0 && policy.deadMs <= 0)) return;
      timer = setInterval(tick, intervalMs);
      timer.unref();
      tick();
    },
    sweep,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
