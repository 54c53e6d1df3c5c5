// Durable delivery benchmark: deliveries per second to a loopback receiver (another process) and
// event commit -> first attempt latency. Run: npx tsx bench/delivery.ts
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
const report = async () => {
  receiver.send("report");
  const [m] = (await once(receiver, "message")) as [{ count: number; latencies: number[] }];
  return m;
};

const dataDir = mkdtempSync(join(tmpdir(), "tether-bench-delivery-"));
const config = loadConfig({ TETHER_PORT: "0", TETHER_HOST: "127.0.0.1", TETHER_DATA_DIR: dataDir, TETHER_DEV: "1", TETHER_LOG_LEVEL: "silent" });
const tether = await startTether(config, createLogger({ level: "silent" }), { eventTypes: ["bench.tick"], delivery: { concurrency: 64, perTargetConcurrency: 64 } });
const { stores, pushEvents } = tether.app;
const actor = { userId: "bench" };
const { target } = stores.targets.create({ name: "sink", type: "webhook", interruptOnError: false, endpoint: `http://127.0.0.1:${port}/`, timeoutMs: 5000, payloadType: "json" }, actor);
stores.executions.set("event/bench.tick", [target.id], actor);

async function waitDelivered(total: number) {
  // stats() counts the whole table; poll it sparingly so the bench measures delivery, not polling.
  while (stores.deliveries.stats().delivered < total) await new Promise((r) => setTimeout(r, 100));
}

// 1. Throughput: a backlog committed in batches (one aggregate per event, so ordering does not serialise it).
const started = performance.now();
const cpuStart = process.cpuUsage();
for (let i = 0; i < THROUGHPUT_EVENTS; i += BATCH) {
  pushEvents(Array.from({ length: BATCH }, (_, j) => ({ type: "bench.tick", aggregateType: "bench", aggregateId: `a${i + j}`, payload: { i: i + j } })));
  await new Promise((r) => setImmediate(r));
}
await waitDelivered(THROUGHPUT_EVENTS);
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuStart);
// CPU per delivery is steadier than wall time on a shared box (it excludes time spent waiting for fsync).
const cpuUsPerDelivery = (cpu.user + cpu.system) / THROUGHPUT_EVENTS;
const throughput = THROUGHPUT_EVENTS / seconds;

// 2. Latency: one event per transaction at a steady rate; receiver measures arrival - created_at.
receiver.send("reset");
const latencyEvents = LATENCY_RATE_PER_S * LATENCY_SECONDS;
for (let i = 0; i < latencyEvents; i++) {
  pushEvents([{ type: "bench.tick", aggregateType: "bench", aggregateId: `l${i}`, payload: { i } }]);
  await new Promise((r) => setTimeout(r, 1000 / LATENCY_RATE_PER_S));
}
await waitDelivered(THROUGHPUT_EVENTS + latencyEvents);
const { latencies } = await report();
latencies.sort((a, b) => a - b);

const result = {
  machine: { cpus: cpus().length, node: process.version },
  throughput: { events: THROUGHPUT_EVENTS, seconds: Number(seconds.toFixed(2)), deliveriesPerSecond: Math.round(throughput), target: 5000, serverCpuUsPerDelivery: Math.round(cpuUsPerDelivery) },
  commitToFirstAttemptMs: { samples: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1), targetP99: 50 },
};
process.stdout.write(
  `durable deliveries/s: ${result.throughput.deliveriesPerSecond} (target >= 5000); server CPU ${result.throughput.serverCpuUsPerDelivery} µs per delivery (event commit + outbox + attempt)\n` +
    `commit -> first attempt: p50 ${result.commitToFirstAttemptMs.p50} ms, p99 ${result.commitToFirstAttemptMs.p99} ms (target p99 <= 50 ms)\n` +
    `${JSON.stringify(result)}\n`,
);
await tether.close();
receiver.kill("SIGTERM");
rmSync(dataDir, { recursive: true, force: true });
