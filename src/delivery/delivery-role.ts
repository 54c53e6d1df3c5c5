import type { WorkerLock } from "../store/worker-lock.js";

/** Dependencies of {@link createDeliveryRole}. */
export interface DeliveryRoleDeps {
  /** Takes the worker lock; undefined while another node holds it; throws when it cannot be tried at all. */
  lock: () => WorkerLock | undefined;
  /** Starts the worker and the sweeper (called with the lock held). */
  start: () => void;
  /** Stops them (called before the lock is released). */
  stop: () => Promise<void>;
  /** How often a node in standby tries the lock again, in ms. */
  retryMs: number;
  onNotice?: (message: string, fields: Record<string, unknown>) => void;
  /** Called when taking the lock or starting fails (once per run of failures; it is tried again). */
  onError?: (error: unknown) => void;
}

/** Who delivers: the node holding the worker lock; the others serve the API and stand by. */
export interface DeliveryRole {
  /** Delivers now if the lock is free, else stands by and takes over once it is. */
  start(): void;
  /** Stops delivering (or standing by); the lock stays held until {@link release}. Idempotent. */
  stop(): Promise<void>;
  /** Stops if need be, then releases the lock (after the caller has ended what the worker left open). */
  release(): Promise<void>;
}

/**
 * Runs delivery on one node per database: a second Tether on the same data directory (a rolling restart on
 * one host) would otherwise send every due job a second time.
 */
export function createDeliveryRole(deps: DeliveryRoleDeps): DeliveryRole {
  let held: WorkerLock | undefined;
  let timer: NodeJS.Timeout | undefined;
  let state: "idle" | "standby" | "failing" | "delivering" | "stopped" = "idle";
  let stopping: Promise<void> | undefined;

  function retryLater(next: "standby" | "failing"): void {
    state = next;
    timer = setTimeout(attempt, deps.retryMs);
    timer.unref();
  }

  function attempt(): void {
    timer = undefined;
    if (state === "stopped") return;
    let lock: WorkerLock | undefined;
    try {
      lock = deps.lock();
    } catch (e) {
      // Reported once, not every second: a read-only or full disk does not fix itself that fast.
      if (state !== "failing") deps.onError?.(e);
      return retryLater("failing");
    }
    if (!lock) {
      if (state !== "standby") deps.onNotice?.("another worker delivers from this database; this node serves the API and takes over when it stops", {});
      return retryLater("standby");
    }
    const was = state;
    try {
      deps.start();
    } catch (e) {
      lock.release();
      if (was !== "failing") deps.onError?.(e);
      return retryLater("failing");
    }
    held = lock;
    state = "delivering";
    if (was === "standby") deps.onNotice?.("took over delivery: the worker that held this database stopped", {});
  }

  async function stopDelivering(): Promise<void> {
    const was = state;
    state = "stopped";
    clearTimeout(timer);
    if (was === "delivering") await deps.stop();
  }

  const stop = (): Promise<void> => (stopping ??= stopDelivering());
  return {
    start() {
      if (state === "idle") attempt();
    },
    stop,
    async release() {
      try {
        await stop();
      } finally {
        held?.release();
        held = undefined;
      }
    },
  };
}
