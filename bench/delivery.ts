// Durable delivery benchmark: deliveries per second to a loopback receiver (another process), draining a
// committed backlog and committing while delivering, and event commit -> first attempt latency. Run: npx tsx bench/delivery.ts
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

const dataDir = mkdtempSync(join(tmpdir(), "tether-bench-delivery-"));
const config = loadConfig({ TETHER_PORT: "0", TETHER_HOST: "127.0.0.1", TETHER_DATA_DIR: dataDir, TETHER_DEV: "1", TETHER_LOG_LEVEL: "silent" });
const delivery = { concurrency: 64, perTargetConcurrency: 64 };
const start = (worker: boolean) => startTether(config, createLogger({ level: "silent" }), { eventTypes: ["bench.tick"], delivery: { ...delivery, worker } });
const actor = { userId: "bench" };

/**
 * Waits until the receiver has seen `total` calls (asked over IPC, so the wait costs the server nothing: polling
 * the outbox every 20 ms would be counted in its CPU figure), then until the worker has recorded every attempt.
 */
async function waitDelivered(stores: Awaited<ReturnType<typeof start>>["app"]["stores"], total: number, receiverCount: number) {
  while ((await received()) < receiverCount) await new Promise((r) => setTimeout(r, 20));
  for (;;) {
    const depth = stores.deliveries.queueDepth();
    if (depth.pending + depth.inFlight === 0) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const delivered = stores.deliveries.stats().delivered;
  if (delivered < total) throw new Error(`only ${delivered} of ${total} jobs were delivered`);
}

/** Commits `count` events (one aggregate each, so ordering does not serialise them) in batches. */
async function produce(push: Awaited<ReturnType<typeof start>>["app"]["pushEvents"], prefix: string, count: number) {
  for (let i = 0; i < count; i += BATCH) {
    push(Array.from({ length: BATCH }, (_, j) => ({ type: "bench.tick", aggregateType: "bench", aggregateId: `${prefix}${i + j}`, payload: { i: i + j } })));
    await new Promise((r) => setImmediate(r));
  }
}

// 1a. Drain: a backlog committed by a node without a worker, then delivered by a restarted one.
let tether = await start(false);
const { target } = tether.app.stores.targets.create({ name: "sink", type: "webhook", interruptOnError: false, endpoint: `http://127.0.0.1:${port}/`, timeoutMs: 5000, payloadType: "json" }, actor);
tether.app.stores.executions.set("event/bench.tick", [target.id], actor);
await produce(tether.app.pushEvents, "d", THROUGHPUT_EVENTS);
await tether.close();
let receiverCpu = (await report()).cpuUs;
tether = await start(true);
let started = performance.now();
let cpuStart = process.cpuUsage();
await waitDelivered(tether.app.stores, THROUGHPUT_EVENTS, THROUGHPUT_EVENTS);
const drainSeconds = (performance.now() - started) / 1000;
let cpu = process.cpuUsage(cpuStart);
const drainCpuUs = (cpu.user + cpu.system) / THROUGHPUT_EVENTS;
// The receiver's CPU per call shows how much of the second core is left for the server.
const drainReceiverCpuUs = ((await report()).cpuUs - receiverCpu) / THROUGHPUT_EVENTS;
receiverCpu = (await report()).cpuUs;

// 1b. End to end: events committed while the worker delivers them (producer and worker share the process).
const { stores, pushEvents } = tether.app;
started = performance.now();
cpuStart = process.cpuUsage();
await produce(pushEvents, "e", THROUGHPUT_EVENTS);
await waitDelivered(stores, 2 * THROUGHPUT_EVENTS, 2 * THROUGHPUT_EVENTS);
const seconds = (performance.now() - started) / 1000;
cpu = process.cpuUsage(cpuStart);
// CPU per delivery is steadier than wall time on a shared box (it excludes time spent waiting for fsync).
const cpuUsPerDelivery = (cpu.user + cpu.system) / THROUGHPUT_EVENTS;
const receiverCpuUsPerDelivery = ((await report()).cpuUs - receiverCpu) / THROUGHPUT_EVENTS;
const throughput = THROUGHPUT_EVENTS / seconds;

// 2. Latency: one event per transaction at a steady rate; receiver measures arrival - created_at.
receiver.send("reset");
const latencyEvents = LATENCY_RATE_PER_S * LATENCY_SECONDS;
for (let i = 0; i < latencyEvents; i++) {
  pushEvents([{ type: "bench.tick", aggregateType: "bench", aggregateId: `l${i}`, payload: { i } }]);
  await new Promise((r) => setTimeout(r, 1000 / LATENCY_RATE_PER_S));
}
await waitDelivered(stores, 2 * THROUGHPUT_EVENTS + latencyEvents, latencyEvents);
const { latencies } = await report();
latencies.sort((a, b) => a - b);

const result = {
  machine: { cpus: cpus().length, node: process.version },
  drain: { events: THROUGHPUT_EVENTS, seconds: Number(drainSeconds.toFixed(2)), deliveriesPerSecond: Math.round(THROUGHPUT_EVENTS / drainSeconds), serverCpuUsPerDelivery: Math.round(drainCpuUs), receiverCpuUsPerDelivery: Math.round(drainReceiverCpuUs), target: 5000 },
  endToEnd: { events: THROUGHPUT_EVENTS, seconds: Number(seconds.toFixed(2)), deliveriesPerSecond: Math.round(throughput), serverCpuUsPerDelivery: Math.round(cpuUsPerDelivery), receiverCpuUsPerDelivery: Math.round(receiverCpuUsPerDelivery) },
  commitToFirstAttemptMs: { samples: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1), targetP99: 50 },
};
process.stdout.write(
  `durable deliveries/s, draining a committed backlog: ${result.drain.deliveriesPerSecond} (target >= 5000); server CPU ${result.drain.serverCpuUsPerDelivery} µs per delivery (receiver ${result.drain.receiverCpuUsPerDelivery} µs)\n` +
    `durable deliveries/s, committing and delivering at once: ${result.endToEnd.deliveriesPerSecond}; server CPU ${result.endToEnd.serverCpuUsPerDelivery} µs per event (commit + outbox + attempt; receiver ${result.endToEnd.receiverCpuUsPerDelivery} µs)\n` +
    `commit -> first attempt: p50 ${result.commitToFirstAttemptMs.p50} ms, p99 ${result.commitToFirstAttemptMs.p99} ms (target p99 <= 50 ms)\n` +
    `${JSON.stringify(result)}\n`,
);
await tether.close();
receiver.kill("SIGTERM");
rmSync(dataDir, { recursive: true, force: true });
