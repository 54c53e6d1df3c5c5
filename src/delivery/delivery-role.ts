import type { WorkerLock } from "../store/worker-lock.js";

/** Dependencies of {@link createDeliveryRole}. */
export interface DeliveryRoleDeps {
  /** Takes the worker lock; undefined while another node holds it. */
  lock: () => WorkerLock | undefined;
  /** Starts the worker and the sweeper (called once, with the lock held). */
  start: () => void;
  /** Stops them (called before the lock is released). */
  stop: () => Promise<void>;
  /** How often a node in standby tries the lock again, in ms. */
  retryMs: number;
  onNotice?: (message: string, fields: Record<string, unknown>) => void;
  /** Called when taking the lock fails for another reason than "held" (it is tried again). */
  onError?: (error: unknown) => void;
}

/** Who delivers: the node holding the worker lock; the others serve the API and stand by. */
export interface DeliveryRole {
  /** Delivers now if the lock is free, else stands by and takes over once it is. */
  start(): void;
  /** Stops delivering (or standing by) and releases the lock; idempotent. */
  stop(): Promise<void>;
}

/**
 * Runs delivery on one node per database: a second node on the same data directory (a rolling deploy, a
 * second replica on a shared volume) would otherwise send every due job a second time.
 */
export function createDeliveryRole(deps: DeliveryRoleDeps): DeliveryRole {
  let held: WorkerLock | undefined;
  let timer: NodeJS.Timeout | undefined;
  let state: "idle" | "standby" | "delivering" | "stopped" = "idle";
  let stopping: Promise<void> | undefined;

  function attempt(): void {
    timer = undefined;
    if (state === "stopped") return;
    try {
      held = deps.lock();
    } catch (e) {
      deps.onError?.(e);
    }
    if (held) {
      if (state === "standby") deps.onNotice?.("took over delivery: the worker that held this database stopped", {});
      state = "delivering";
      deps.start();
      return;
    }
    if (state === "idle") deps.onNotice?.("another worker delivers from this database; this node serves the API and takes over when it stops", {});
    state = "standby";
    timer = setTimeout(attempt, deps.retryMs);
    timer.unref();
  }

  async function release(): Promise<void> {
    const was = state;
    state = "stopped";
    clearTimeout(timer);
    try {
      if (was === "delivering") await deps.stop();
    } finally {
      held?.release();
      held = undefined;
    }
  }

  return {
    start() {
      if (state === "idle") attempt();
    },
    stop() {
      stopping ??= release();
      return stopping;
    },
  };
}
