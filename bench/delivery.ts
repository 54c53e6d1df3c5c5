// Durable delivery benchmark: deliveries per second to a loopback receiver (another process), draining a
// committed backlog and committing while delivering, and event commit -> first attempt latency.
// Run: npm run bench:delivery (BENCH_RUNS=n repeats each throughput phase, default 3; the median is reported).
import { fork } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir, cpus } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../src/config.js";
import { createLogger } from "../src/log.js";
import { startTether } from "../src/tether.js";

const THROUGHPUT_EVENTS = 20_000;
const BATCH = 500;
const LATENCY_RATE_PER_S = 500;
const LATENCY_SECONDS = 4;
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3) || 3);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const receiver = fork(new URL("./delivery-receiver.ts", import.meta.url).pathname, [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "pipe", "inherit", "ipc"] });
const [portLine] = (await once(receiver.stdout!, "data")) as [Buffer];
const port = Number(/port (\d+)/.exec(portLine.toString())?.[1]);
const received = async () => {
  receiver.send("count");
  const [m] = (await once(receiver, "message")) as [{ count: number }];
  return m.count;
};
const report = async () => {
  receiver.send("report");
  const [m] = (await once(receiver, "message")) as [{ count: number; latencies: number[]; cpuUs: number }];
  return m;
};

const delivery = { concurrency: 64, perTargetConcurrency: 64 };
const actor = { userId: "bench" };
type Running = Awaited<ReturnType<typeof startTether>>;
const dataDirs: string[] = [];

/** A node over `dataDir` (a fresh one unless given), with the benchmark's sink target and event execution on first start. */
async function start(worker: boolean, dataDir?: string): Promise<{ tether: Running; dataDir: string }> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), "tether-bench-delivery-"));
  if (!dataDir) dataDirs.push(dir);
  const config = loadConfig({ TETHER_PORT: "0", TETHER_HOST: "127.0.0.1", TETHER_DATA_DIR: dir, TETHER_DEV: "1", TETHER_LOG_LEVEL: "silent" });
  const tether = await startTether(config, createLogger({ level: "silent" }), { eventTypes: ["bench.tick"], delivery: { ...delivery, worker } });
  if (!dataDir) {
    const { target } = tether.app.stores.targets.create({ name: "sink", type: "webhook", interruptOnError: false, endpoint: `http://127.0.0.1:${port}/`, timeoutMs: 5000, payloadType: "json" }, actor);
    tether.app.stores.executions.set("event/bench.tick", [target.id], actor);
  }
  return { tether, dataDir: dir };
}

/**
 * Waits until the receiver has seen `receiverCount` calls (asked over IPC, so the wait costs the server nothing:
 * polling the outbox every 20 ms would be counted in its CPU figure), then until every attempt is recorded.
 */
async function waitDelivered(tether: Running, total: number, receiverCount: number) {
  while ((await received()) < receiverCount) await new Promise((r) => setTimeout(r, 20));
  for (;;) {
    const depth = tether.app.stores.deliveries.queueDepth();
    if (depth.pending + depth.inFlight === 0) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const delivered = tether.app.stores.deliveries.stats().delivered;
  if (delivered < total) throw new Error(`only ${delivered} of ${total} jobs were delivered`);
}

/** Commits `count` events (one aggregate each, so ordering does not serialise them) in batches. */
async function produce(tether: Running, prefix: string, count: number) {
  for (let i = 0; i < count; i += BATCH) {
    tether.app.pushEvents(Array.from({ length: BATCH }, (_, j) => ({ type: "bench.tick", aggregateType: "bench", aggregateId: `${prefix}${i + j}`, payload: { i: i + j } })));
    await new Promise((r) => setImmediate(r));
  }
}

interface Run {
  deliveriesPerSecond: number;
  /** CPU of the Tether process per delivery (steadier than wall time on a shared box: it excludes waiting). */
  serverCpuUs: number;
  /** CPU of the receiver per call: the machine's speed at the time, and how much of the second core it takes. */
  receiverCpuUs: number;
}

/** Measures `work` (which ends with THROUGHPUT_EVENTS more deliveries) on the server and the receiver. */
async function measure(work: () => Promise<void>): Promise<Run> {
  await received(); // the receiver has handled everything sent so far
  const receiverBefore = (await report()).cpuUs;
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const receiverCpu = (await report()).cpuUs - receiverBefore;
  return {
    deliveriesPerSecond: Math.round(THROUGHPUT_EVENTS / seconds),
    serverCpuUs: Math.round((cpu.user + cpu.system) / THROUGHPUT_EVENTS),
    receiverCpuUs: Math.round(receiverCpu / THROUGHPUT_EVENTS),
  };
}

/** Drain: a backlog committed by a node without a worker, then delivered by a node restarted over it. */
async function drainRun(): Promise<Run> {
  receiver.send("reset");
  const producer = await start(false);
  await produce(producer.tether, "d", THROUGHPUT_EVENTS);
  await producer.tether.close();
  let node: Running | undefined;
  const run = await measure(async () => {
    node = (await start(true, producer.dataDir)).tether;
    await waitDelivered(node, THROUGHPUT_EVENTS, THROUGHPUT_EVENTS);
  });
  await node!.close();
  return run;
}

/** End to end: events committed while the worker delivers them (producer and worker share the process). */
async function endToEndRun(): Promise<{ run: Run; node: Running }> {
  receiver.send("reset");
  const { tether: node } = await start(true);
  const run = await measure(async () => {
    await produce(node, "e", THROUGHPUT_EVENTS);
    await waitDelivered(node, THROUGHPUT_EVENTS, THROUGHPUT_EVENTS);
  });
  return { run, node };
}

function summary(runs: Run[]) {
  const median = (pick: (r: Run) => number) => percentile(runs.map(pick).sort((a, b) => a - b), 50);
  return {
    runs,
    median: { deliveriesPerSecond: median((r) => r.deliveriesPerSecond), serverCpuUs: median((r) => r.serverCpuUs), receiverCpuUs: median((r) => r.receiverCpuUs) },
    min: Math.min(...runs.map((r) => r.deliveriesPerSecond)),
    max: Math.max(...runs.map((r) => r.deliveriesPerSecond)),
  };
}

const drains: Run[] = [];
const ends: Run[] = [];
let last: Running | undefined;
for (let i = 0; i < RUNS; i++) {
  await last?.close();
  drains.push(await drainRun());
  const e = await endToEndRun();
  ends.push(e.run);
  last = e.node;
}

// Latency: one event per transaction at a steady rate; the receiver measures arrival - created_at.
receiver.send("reset");
const latencyEvents = LATENCY_RATE_PER_S * LATENCY_SECONDS;
for (let i = 0; i < latencyEvents; i++) {
  last!.app.pushEvents([{ type: "bench.tick", aggregateType: "bench", aggregateId: `l${i}`, payload: { i } }]);
  await new Promise((r) => setTimeout(r, 1000 / LATENCY_RATE_PER_S));
}
await waitDelivered(last!, THROUGHPUT_EVENTS + latencyEvents, latencyEvents);
const { latencies } = await report();
latencies.sort((a, b) => a - b);
await last!.close();

const drain = summary(drains);
const endToEnd = summary(ends);
const result = {
  machine: { cpus: cpus().length, node: process.version },
  events: THROUGHPUT_EVENTS,
  drain: { ...drain, target: 5000 },
  endToEnd,
  commitToFirstAttemptMs: { samples: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1), targetP99: 50 },
};
const line = (s: ReturnType<typeof summary>) =>
  `${s.median.deliveriesPerSecond} median of ${RUNS} (${s.min}-${s.max}); server CPU ${s.median.serverCpuUs} µs per delivery, receiver ${s.median.receiverCpuUs} µs per call`;
process.stdout.write(
  `durable deliveries/s, draining a committed backlog: ${line(drain)} (target >= 5000)\n` +
    `durable deliveries/s, committing and delivering at once: ${line(endToEnd)}\n` +
    `commit -> first attempt: p50 ${result.commitToFirstAttemptMs.p50} ms, p99 ${result.commitToFirstAttemptMs.p99} ms (target p99 <= 50 ms)\n` +
    `${JSON.stringify(result)}\n`,
);
receiver.kill("SIGTERM");
for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
