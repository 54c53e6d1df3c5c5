// `npm run bench`: interceptor overhead on throughput and added latency per payload type (issue 3).
// Processes: this one runs the Tether servers; bench/client.ts generates load; bench/receiver.ts is the webhook.
import { PayloadType } from "../gen/zitadel/action/v2/target_pb.js";
import { startHelpers } from "./procs.js";
import { startBenchServer, type BenchServer } from "./servers.js";
import { CONCURRENCY, DURATION_MS, measureThroughput } from "./throughput.js";
import { measureLatency, requestOn, webhook } from "./latency.js";
import { speedProbe, watchOthers } from "./contention.js";
import { printReport } from "./report.js";

// A hung step must not hang CI: the whole run is bounded.
setTimeout(() => {
  console.error("bench: gave up after 240 s");
  process.exit(2);
}, 240_000).unref();

const speedAtStart = speedProbe();
const helpers = await startHelpers();
const servers: BenchServer[] = [];
const start = async (executions: boolean) => {
  const s = await startBenchServer(executions);
  servers.push(s);
  return s;
};
try {
  // `base` has the interceptor and an execution on another method: a non-empty table in which GetUser
  // matches nothing. `plain` is the same server without the interceptor.
  const base = await start(true);
  const plain = await start(false);
  const other = await webhook(base, helpers.receiverUrl, "other", PayloadType.JSON);
  await base.admin.setExecution({ condition: requestOn("/tether.example.v1.UserService/DeleteUser"), targets: [other] });

  const watch = watchOthers(helpers.pids);
  const throughput = await measureThroughput(helpers, base, plain);
  const othersThroughput = watch.end();
  const latency = await measureLatency(helpers, base, () => start(true));
  const bytes = await helpers.receivedBytes();
  const speedAtEnd = speedProbe();

  printReport({
    concurrency: CONCURRENCY,
    durationMs: DURATION_MS,
    throughput,
    latency: latency.samples,
    cpuUs: latency.cpuUs,
    othersPct: { throughput: othersThroughput, latency: latency.othersPct },
    speedProbeMs: { start: speedAtStart, end: speedAtEnd },
    bodyBytes: Object.fromEntries(Object.entries(bytes).map(([path, n]) => [path.slice(1), n])),
  });
} finally {
  await helpers.stop();
  await Promise.allSettled(servers.map((s) => s.close()));
}
