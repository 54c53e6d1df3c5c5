// A real Tether process for the crash test: `setup` creates a target and an event execution and pushes a
// stream of events; `resume` only serves and delivers. Both print progress lines the test reads.
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { startTether } from "../../src/tether.js";
import { loopbackOnlyHttpClient } from "./loopback-http.js";

const [mode, dataDir, receiverUrl, countArg] = process.argv.slice(2);
const count = Number(countArg ?? "200");
const config = loadConfig({ TETHER_PORT: "0", TETHER_HOST: "127.0.0.1", TETHER_DATA_DIR: dataDir!, TETHER_DEV: "1", TETHER_LOG_LEVEL: "silent" });
const tether = await startTether(config, createLogger({ level: "silent" }), {
  http: loopbackOnlyHttpClient(true),
  eventTypes: ["demo.tick"],
  delivery: { policy: { scheduleMs: [50, 100], maxAttempts: 50, maxAgeMs: 600_000, jitter: 0 } },
});
const { stores, pushEvents } = tether.app;
const actor = { userId: "crash-test" };

if (mode === "setup") {
  const { target } = stores.targets.create(
    { name: "receiver", type: "webhook", interruptOnError: false, endpoint: `${receiverUrl}/tick`, timeoutMs: 5000, payloadType: "json" },
    actor,
  );
  stores.executions.set("event/demo.tick", [target.id], actor);
  for (let i = 0; i < count; i++) {
    pushEvents([{ type: "demo.tick", aggregateType: "demo", aggregateId: `a${i % 5}`, payload: { i } }]);
    process.stdout.write(`pushed ${i + 1}\n`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
// Report when nothing is left to deliver; the test kills or stops the process.
for (;;) {
  const s = stores.deliveries.stats();
  if (s.pending === 0 && s.inFlight === 0) process.stdout.write(`idle delivered=${s.delivered} dead=${s.dead}\n`);
  await new Promise((r) => setTimeout(r, 100));
}
