// Turns the raw measurements into the printed table and the one-line JSON a closing note can quote.
import { cpus, totalmem } from "node:os";
import { median, percentile, round } from "./stats.js";
import type { ThroughputFigures } from "./throughput.js";

/** Issue 3's targets: throughput ratio, and p99 added latency per payload type in ms. */
export const TARGETS = { ratio: 0.97, json: 1, jwt: 1.5, jwe: 2 } as const;

/** Everything measured in one run. */
export interface Figures {
  concurrency: number;
  durationMs: number;
  throughput: ThroughputFigures;
  /** Round trips in ms per series: none, json, jwt, jwe, bare. */
  latency: Record<string, number[]>;
  /** Server-process CPU µs per call per series (bare: one POST from the server process). */
  cpuUs: Record<string, number>;
  /** Share of all cores other processes on the box used during each phase (noise indicator). */
  othersPct: { throughput: number; latency: number };
  /** {@link speedProbe} before and after the run: comparable across runs, higher = slower box. */
  speedProbeMs: { start: number; end: number };
  /** Body size per series as the receiver saw it. */
  bodyBytes: Record<string, number>;
}

const NAMES: Record<string, string> = { none: "RPC, no execution", json: "RPC + JSON webhook", jwt: "RPC + JWT webhook", jwe: "RPC + JWE webhook", bare: "bare POST (undici)" };
const ints = (xs: number[]) => xs.map(Math.round);
const pad = (s: string | number, n: number) => String(s).padStart(n);

export function printReport(f: Figures): void {
  const withMed = median(f.throughput.with);
  const withoutMed = median(f.throughput.without);
  const ratio = withMed / withoutMed;
  const p = (k: string, q: number) => percentile(f.latency[k] ?? [], q);
  const latency = Object.fromEntries(
    Object.entries(f.latency).map(([k, xs]) => [k, { p50: round(p(k, 0.5)), p99: round(p(k, 0.99)), n: xs.length, bodyBytes: f.bodyBytes[k] ?? 0 }]),
  );
  // Added = difference of percentiles (RPC with webhook minus RPC without); own = added minus the bare POST.
  // ownCpuUs: server CPU a webhook adds beyond what the bare POST itself costs.
  const cpu = (k: string) => f.cpuUs[k] ?? NaN;
  const added = Object.fromEntries(
    (["json", "jwt", "jwe"] as const).map((k) => {
      const a50 = p(k, 0.5) - p("none", 0.5);
      const a99 = p(k, 0.99) - p("none", 0.99);
      const ownCpuUs = round(cpu(k) - cpu("none") - cpu("bare"), 0);
      return [k, { p50: round(a50), p99: round(a99), ownP50: round(a50 - p("bare", 0.5)), ownP99: round(a99 - p("bare", 0.99)), ownCpuUs, targetP99: TARGETS[k], met: a99 <= TARGETS[k] }];
    }),
  );
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "?", memGiB: round(totalmem() / 2 ** 30, 1), node: process.version };
  const t = f.throughput;

  console.log(`machine: ${machine.cpus} cpus (${machine.cpuModel}), ${machine.memGiB} GiB, node ${machine.node}`);
  const busy = Math.max(f.othersPct.throughput, f.othersPct.latency) > 5;
  const others = `${f.othersPct.throughput.toFixed(1)}% (throughput phase) and ${f.othersPct.latency.toFixed(1)}% (latency phase)`;
  console.log(`other processes in this VM used ${others} of the cores${busy ? " -- THE BOX WAS BUSY, figures are pessimistic" : ""}`);
  console.log(`speed probe: ${f.speedProbeMs.start.toFixed(1)} ms before, ${f.speedProbeMs.end.toFixed(1)} ms after (higher = slower host; compare runs)`);
  console.log(`\nthroughput: GetUser, Connect binary over HTTP/2, ${f.concurrency} in flight, ${t.with.length} x ${f.durationMs / 1000} s per side, interleaved`);
  console.log(`  with interceptor (no match): ${ints(t.with).join(", ")} rps -> median ${Math.round(withMed)}`);
  console.log(`  without interceptor:         ${ints(t.without).join(", ")} rps -> median ${Math.round(withoutMed)}`);
  console.log(`  CPU % of one core: server with ${ints(t.cpuWith).join("/")}, without ${ints(t.cpuWithout).join("/")}; load generator ${ints(t.cpuClient).join("/")}`);
  const usWith = median(t.usWith);
  const usWithout = median(t.usWithout);
  console.log(`  server CPU per RPC (median): with ${usWith.toFixed(0)} us, without ${usWithout.toFixed(0)} us (${((usWith / usWithout - 1) * 100).toFixed(1)}%)`);
  console.log(`  ratio with/without: ${ratio.toFixed(3)}  (target >= ${TARGETS.ratio}: ${ratio >= TARGETS.ratio ? "met" : "MISSED"})`);

  console.log(`\nlatency (ms), sequential, series interleaved call by call, ${latency["none"]?.n ?? 0} samples each:`);
  console.log(`  ${"series".padEnd(22)}${pad("p50", 8)}${pad("p99", 8)}${pad("body B", 8)}${pad("srv CPU us", 12)}`);
  for (const [k, v] of Object.entries(latency)) {
    console.log(`  ${(NAMES[k] ?? k).padEnd(22)}${pad(v.p50.toFixed(3), 8)}${pad(v.p99.toFixed(3), 8)}${pad(v.bodyBytes, 8)}${pad((f.cpuUs[k] ?? NaN).toFixed(0), 12)}`);
  }
  console.log(`\nadded = RPC with webhook - RPC without; own = added - bare POST (Tether's share beyond the HTTP call);\n  own CPU = server CPU per call with webhook - without - one bare POST's CPU:`);
  console.log(`  ${"payload".padEnd(9)}${pad("add p50", 9)}${pad("add p99", 9)}${pad("own p50", 9)}${pad("own p99", 9)}${pad("own CPU us", 12)}   target (p99 added)`);
  for (const [k, v] of Object.entries(added)) {
    const cols = `${pad(v.p50.toFixed(3), 9)}${pad(v.p99.toFixed(3), 9)}${pad(v.ownP50.toFixed(3), 9)}${pad(v.ownP99.toFixed(3), 9)}${pad(v.ownCpuUs, 12)}`;
    console.log(`  ${k.padEnd(9)}${cols}   <= ${v.targetP99} ms: ${v.met ? "met" : "MISSED"}`);
  }
  const json = {
    machine,
    othersPct: { throughput: round(f.othersPct.throughput, 1), latency: round(f.othersPct.latency, 1) },
    speedProbeMs: { start: round(f.speedProbeMs.start, 1), end: round(f.speedProbeMs.end, 1) },
    throughput: {
      concurrency: f.concurrency,
      durationMs: f.durationMs,
      withRps: ints(t.with),
      withoutRps: ints(t.without),
      withMedian: Math.round(withMed),
      withoutMedian: Math.round(withoutMed),
      ratio: round(ratio),
      met: ratio >= TARGETS.ratio,
      serverCpuUsPerRpc: { with: round(usWith, 1), without: round(usWithout, 1) },
      cpuPct: { serverWith: ints(t.cpuWith), serverWithout: ints(t.cpuWithout), client: ints(t.cpuClient) },
    },
    latencyMs: latency,
    serverCpuUsPerCall: Object.fromEntries(Object.entries(f.cpuUs).map(([k, v]) => [k, Math.round(v)])),
    addedMs: added,
  };
  console.log(`\nBENCH_JSON ${JSON.stringify(json)}`);
}
