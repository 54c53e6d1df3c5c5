// Store-only costs: appending events, and the outbox's enqueue, claim and finish, without any HTTP
// (run: npx tsx bench/store-micro.ts).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, transactionWithoutFsync } from "../src/store/db.js";
import { createDeliveryStore } from "../src/store/delivery-store.js";
import { createEventLog } from "../src/store/event-log.js";
import { createIdGenerator } from "../src/ids.js";

const N = 20_000;
const BATCH = Number(process.env.BATCH ?? 64);
const dir = mkdtempSync(join(tmpdir(), "tether-store-micro-"));
const db = openDatabase({ path: join(dir, "t.db") });
db.exec("INSERT INTO targets (id, name, name_key, target_type, interrupt_on_error, endpoint, timeout_ms, payload_type, created_at, changed_at) VALUES ('t1','t','t','webhook',0,'http://x',5000,'json',0,0)");
const store = createDeliveryStore(db, { clock: () => new Date(), newId: createIdGenerator() });
const target = { id: "t1", name: "t", type: "webhook", endpoint: "http://127.0.0.1:1/", timeoutMs: 5000, payloadType: "json", interruptOnError: false, sealedSigningKeys: ["x".repeat(120)] };
const payload = JSON.stringify({ aggregateID: "a", aggregateType: "bench", resourceOwner: "tether", instanceID: "tether", version: "v1", sequence: 1, event_type: "bench.tick", created_at: new Date().toISOString(), userID: "bench", event_payload: { i: 1 } });
const events = createEventLog(db, { instanceId: "tether" });
const appendCpu0 = process.cpuUsage();
for (let i = 0; i < N; i += 500)
  db.transaction(() => {
    for (let j = 0; j < 500; j++) events.append({ type: "bench.tick", aggregateType: "bench", aggregateId: `a${i + j}`, actor: { userId: "bench" }, payload: { i }, createdAt: new Date() });
  })();
const appendCpu = process.cpuUsage(appendCpu0);
console.log(`event append (500 per transaction): ${((appendCpu.user + appendCpu.system) / N).toFixed(1)} µs/event CPU`);
let t = performance.now();
db.transaction(() => {
  for (let i = 0; i < N; i++) store.enqueue({ kind: "event", executionId: "event/bench.tick", target: target as never, payload, eventType: "bench.tick", eventPosition: i, orderingKey: `bench/a${i}` });
})();
console.log(`enqueue: ${((performance.now() - t) * 1000 / N).toFixed(1)} µs/job`);
t = performance.now();
const cpu0 = process.cpuUsage();
let done = 0;
let pending: { id: string; n: number }[] = [];
while (done < N) {
  const claimed = transactionWithoutFsync(db, () => {
    for (const j of pending) store.finish(j, { attempt: 1, startedAt: new Date(), latencyMs: 1, outcome: "ok", status: 200 }, { state: "delivered" });
    return store.claim(BATCH);
  });
  done += pending.length;
  pending = claimed;
}
const cpu = process.cpuUsage(cpu0);
console.log(`claim+finish in rounds of ${BATCH}: ${((performance.now() - t) * 1000 / N).toFixed(1)} µs/job wall, ${((cpu.user + cpu.system) / N).toFixed(1)} µs/job CPU`);
db.close();
rmSync(dir, { recursive: true, force: true });
