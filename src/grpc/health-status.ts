// Whether the server is serving: the database answers and no shutdown has begun. Read fresh on every
// check; watchers are told about changes by a poll that runs only while someone watches.

/** Options of {@link createHealthStatus}. */
export interface HealthStatusOptions {
  /** True when the server can do its work (default: always); see {@link databaseProbe}. */
  probe?: () => boolean;
  /** How often the probe runs while at least one watcher waits for a change (default 5 s). */
  pollIntervalMs?: number;
}

/** The serving state behind the health service and its watchers. */
export interface HealthStatus {
  /** True while the probe succeeds and {@link HealthStatus.shutdown} has not been called. */
  serving(): boolean;
  /** True once {@link HealthStatus.shutdown} has been called. */
  readonly shuttingDown: boolean;
  /**
   * Yields the current state, then every change, until shutdown (after yielding false) or until
   * `signal` aborts (a client that went away).
   */
  watch(signal: AbortSignal): AsyncGenerator<boolean, void>;
  /** Waits for shutdown or for `signal` to abort, whichever comes first. */
  untilShutdown(signal: AbortSignal): Promise<void>;
  /** Turns not serving for good, tells every watcher, then ends their streams so a drain need not wait. */
  shutdown(): void;
}

/** Creates the serving state; nothing runs in the background until someone watches. */
export function createHealthStatus(options: HealthStatusOptions = {}): HealthStatus {
  const probe = options.probe ?? (() => true);
  const pollIntervalMs = options.pollIntervalMs ?? 5_000;
  const wakers = new Set<() => void>();
  let closed = false;
  let watchers = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  let polled: boolean | undefined;

  const serving = () => !closed && probe();
  const wakeAll = () => {
    for (const wake of [...wakers]) wake();
  };
  const poll = () => {
    const now = serving();
    if (now !== polled) wakeAll();
    polled = now;
  };

  /** Resolves on the next possible change, on shutdown, or when the signal aborts. */
  function nextChange(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        wakers.delete(done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      wakers.add(done);
      signal.addEventListener("abort", done, { once: true });
      if (closed || signal.aborted) done();
    });
  }

  function startWatching(): void {
    if (watchers++ > 0) return;
    polled = serving();
    timer = setInterval(poll, pollIntervalMs);
    timer.unref(); // a watcher never keeps the process alive on its own
  }
  function stopWatching(): void {
    if (--watchers > 0) return;
    clearInterval(timer);
    timer = undefined;
  }

  return {
    serving,
    get shuttingDown() {
      return closed;
    },
    async *watch(signal) {
      startWatching();
      try {
        let last = serving();
        yield last;
        while (!closed && !signal.aborted) {
          await nextChange(signal);
          if (signal.aborted) return;
          const now = serving();
          if (now !== last) yield (last = now);
        }
      } finally {
        stopWatching();
      }
    },
    untilShutdown: (signal) => nextShutdown(signal),
    shutdown() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      wakeAll();
    },
  };

  async function nextShutdown(signal: AbortSignal): Promise<void> {
    while (!closed && !signal.aborted) await nextChange(signal);
  }
}
