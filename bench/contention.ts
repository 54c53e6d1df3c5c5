// How much of the box other processes used while we measured. The box is shared (other sessions run
// tests and benches on it), and a busy neighbour halves our numbers, so the report has to say so.
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { performance } from "node:perf_hooks";

const TICK_MS = 10; // USER_HZ is 100 on Linux, whatever the kernel's HZ

function boxBusyMs(): number {
  return cpus().reduce((sum, c) => sum + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0);
}

/** CPU ms used by a process so far, from /proc (Linux); 0 where that is unavailable. */
function processMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime, stime (fields 14, 15 of the full line)
  } catch {
    return 0;
  }
}

/** Starts a window; `end()` returns the percentage of all cores that processes other than `pids` used. */
export function watchOthers(pids: () => number[]): { end(): number } {
  const own = () => pids().reduce((s, p) => s + processMs(p), 0);
  const box0 = boxBusyMs();
  const own0 = own();
  const t0 = performance.now();
  return {
    end() {
      const wallMs = (performance.now() - t0) * cpus().length;
      const others = boxBusyMs() - box0 - (own() - own0);
      return Math.max(0, (100 * others) / wallMs);
    },
  };
}

/**
 * Milliseconds for a fixed CPU-bound workload (best of 5). Host-level neighbours (other VMs, SMT siblings)
 * are invisible to {@link watchOthers} but slow this down, so comparing it across runs tells which ran slow.
 */
export function speedProbe(): number {
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const t0 = performance.now();
    let acc = 0;
    for (let i = 0; i < 2_000_000; i++) acc += Math.sqrt(i) % 7;
    const text = JSON.stringify(Array.from({ length: 2000 }, (_, i) => ({ i, s: `x${i}` })));
    acc += (JSON.parse(text) as unknown[]).length;
    best = Math.min(best, performance.now() - t0);
    if (acc < 0) throw new Error("unreachable: keeps the loop from being optimised away");
  }
  return best;
}
