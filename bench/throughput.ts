// Phase 1: GetUser throughput on a server with the execution interceptor (no matching execution) and on
// the same server without it, in alternating rounds.
import type { Helpers } from "./procs.js";
import type { BenchServer } from "./servers.js";

export const CONCURRENCY = 48;
export const WARMUP_MS = 500;
export const DURATION_MS = 2500;
// A B B A A B B A: each side is measured early and late, so drift (JIT, the VM's neighbours) favours neither.
const ORDER = [true, false, false, true, true, false, false, true];

/** Per-round figures of both sides. */
export interface ThroughputFigures {
  with: number[];
  without: number[];
  /** Server CPU, % of one core. */
  cpuWith: number[];
  cpuWithout: number[];
  /** Server CPU µs per RPC. */
  usWith: number[];
  usWithout: number[];
  /** Load generator CPU, % of one core. */
  cpuClient: number[];
}

export async function measureThroughput(h: Helpers, withExec: BenchServer, without: BenchServer): Promise<ThroughputFigures> {
  const f: ThroughputFigures = { with: [], without: [], cpuWith: [], cpuWithout: [], usWith: [], usWithout: [], cpuClient: [] };
  // Warm-up only (nothing is counted): JIT and HTTP/2 sessions settle before the first measured round.
  for (const s of [withExec, without]) await h.ask({ type: "throughput", url: s.url, token: s.token, concurrency: CONCURRENCY, warmupMs: 1000, durationMs: 0 }, "throughput");
  for (const on of ORDER) {
    const s = on ? withExec : without;
    // Server CPU over the measured window, by timers since this event loop is the one under load.
    let from: NodeJS.CpuUsage | undefined;
    let used: NodeJS.CpuUsage | undefined;
    const t1 = setTimeout(() => (from = process.cpuUsage()), WARMUP_MS);
    const t2 = setTimeout(() => (used = process.cpuUsage(from)), WARMUP_MS + DURATION_MS);
    const r = await h.ask({ type: "throughput", url: s.url, token: s.token, concurrency: CONCURRENCY, warmupMs: WARMUP_MS, durationMs: DURATION_MS }, "throughput");
    // The client may answer a hair before our end timer fires (it started later); close the window now then.
    clearTimeout(t1);
    clearTimeout(t2);
    if (from) used ??= process.cpuUsage(from);
    if (r.errors > 0) throw new Error(`${r.errors} GetUser calls failed under load`);
    (on ? f.with : f.without).push(r.calls / r.seconds);
    if (used) {
      const cpuUs = used.user + used.system;
      (on ? f.cpuWith : f.cpuWithout).push(cpuUs / 10 / DURATION_MS);
      // CPU per RPC moves less than rps when a neighbour is busy (it stretches time more than our work).
      (on ? f.usWith : f.usWithout).push(cpuUs / r.calls);
    }
    f.cpuClient.push((r.cpuMs / DURATION_MS) * 100);
  }
  return f;
}
