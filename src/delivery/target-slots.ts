import type { Delivery } from "../domain/delivery.js";

/**
 * Per-target attempt slots. Jobs claimed beyond their target's cap are parked here: they stay in_flight in
 * the store (so later jobs of their aggregate stay held back) and start as the target's slots free up,
 * without another claim.
 */
export interface TargetSlots {
  /** Takes a slot for the job's target, or parks the job; true when the job may start now. */
  acquire(job: Delivery): boolean;
  /** Frees the target's slot; returns its next parked job, which has taken the slot over. */
  release(targetId: string): Delivery | undefined;
  /** Targets at their cap, for {@link DeliveryStore.claim}'s `busyTargets`. */
  busy(): Set<string>;
  /** Removes and returns every parked job. */
  takeParked(): Delivery[];
}

/** Creates the slots with `perTarget` attempts allowed at once to one target. */
export function createTargetSlots(perTarget: number): TargetSlots {
  const running = new Map<string, number>();
  const parked = new Map<string, Delivery[]>();

  return {
    acquire(job) {
      const id = job.target.id;
      const n = running.get(id) ?? 0;
      if (n < perTarget) {
        running.set(id, n + 1);
        return true;
      }
      const queue = parked.get(id);
      if (queue) queue.push(job);
      else parked.set(id, [job]);
      return false;
    },
    release(targetId) {
      const queue = parked.get(targetId);
      const next = queue?.shift();
      if (queue?.length === 0) parked.delete(targetId);
      // The parked job inherits the slot, so the count stays as it is.
      if (next) return next;
      const left = (running.get(targetId) ?? 1) - 1;
      if (left > 0) running.set(targetId, left);
      else running.delete(targetId);
      return undefined;
    },
    busy() {
      const out = new Set<string>();
      for (const [id, n] of running) if (n >= perTarget) out.add(id);
      return out;
    },
    takeParked() {
      const all = [...parked.values()].flat();
      parked.clear();
      return all;
    },
  };
}
