/**
 * A sleep that another party can cut short; a wake-up that arrives while awake is kept for the next sleep.
 * A wake-up ends the sleep on the next `setImmediate`, so the many wake-ups of one I/O phase (attempts
 * finishing together) cost the sleeper one round, not one each.
 */
export interface WakeableSleep {
  /** Resolves after `ms` with false, or with true when woken (at once if woken since the last sleep ended). */
  for(ms: number): Promise<boolean>;
  /** Ends the current sleep, or the next one if nobody is sleeping. */
  wake(): void;
}

/** Creates a {@link WakeableSleep}; its timer is unref'd so a sleeping worker never keeps a process alive. */
export function createWakeableSleep(): WakeableSleep {
  let pending = false;
  let current: { timer: NodeJS.Timeout; resolve: (woken: boolean) => void } | undefined;
  let ending: NodeJS.Immediate | undefined;

  function end(woken: boolean): void {
    if (ending) clearImmediate(ending);
    ending = undefined;
    if (!current) return;
    clearTimeout(current.timer);
    const { resolve } = current;
    current = undefined;
    resolve(woken);
  }

  return {
    for(ms) {
      if (pending) {
        pending = false;
        return Promise.resolve(true);
      }
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(end, Math.max(0, ms), false);
        timer.unref();
        current = { timer, resolve };
      });
    },
    wake() {
      if (!current) pending = true;
      else ending ??= setImmediate(end, true);
    },
  };
}
