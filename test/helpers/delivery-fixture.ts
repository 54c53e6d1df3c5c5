import { createHmac } from "node:crypto";
import { snapshotTarget } from "../../src/execution/outbox.js";
import { createSecretBox } from "../../src/crypto/secret-box.js";
import type { Delivery, TargetSnapshot } from "../../src/domain/delivery.js";
import type { NewTarget } from "../../src/domain/target.js";
import { createDeliverySender } from "../../src/delivery/send.js";
import { createDeliveryWorker, type DeliveryWorker, type DeliveryWorkerDeps } from "../../src/delivery/worker.js";
import { createPayloadEncoder } from "../../src/execution/encode.js";
import { loadOrCreateInstanceKey, type InstanceKey } from "../../src/execution/instance-key.js";
import { openDatabase } from "../../src/store/db.js";
import { createDeliveryStore } from "../../src/store/delivery-store.js";
import { loopbackOnlyHttpClient } from "./loopback-http.js";
import { startRecordingTarget } from "./recording-target.js";
import { actor, memoryStores, newTarget, sequentialIds } from "./store-fixtures.js";

/** Real time plus an offset tests can jump forward, so retry schedules can be skipped without sleeping. */
export function offsetClock() {
  let offset = 0;
  const clock = () => new Date(Date.now() + offset);
  return Object.assign(clock, {
    advance(ms: number) {
      offset += ms;
    },
  });
}

/** Waits (bounded, polling every 5 ms) until `check` holds. */
export async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Checks `ZITADEL-Signature: t=…,v1=…` over `<t>.<body>` with node:crypto alone; true when one v1 matches. */
export function signatureVerifies(header: string | undefined, body: Buffer, key: string): boolean {
  if (!header) return false;
  const parts = header.split(",").map((p) => p.split("=") as [string, string]);
  const t = parts.find(([k]) => k === "t")?.[1];
  const expected = createHmac("sha256", key).update(`${t}.`).update(body).digest("hex");
  return parts.some(([k, v]) => k === "v1" && v === expected);
}

/**
 * A delivery test bench: in-memory stores (deliveries on an {@link offsetClock}), one recording target on
 * 127.0.0.1, the loopback-only HTTP client and the real sender; `close()` stops and closes everything.
 */
export async function deliveryFixture() {
  const stores = memoryStores();
  const clock = offsetClock();
  // A real box: payloads are sealed at rest and opened by the sender, as in production.
  const payloadBox = createSecretBox(new Uint8Array(32).fill(9));
  const deliveries = createDeliveryStore(stores.db, { clock, newId: sequentialIds("job-"), secrets: payloadBox });
  const receiver = await startRecordingTarget();
  const http = loopbackOnlyHttpClient(true);
  let instanceKey: Promise<InstanceKey> | undefined;
  const encoder = createPayloadEncoder({
    instanceKey: () =>
      (instanceKey ??= loadOrCreateInstanceKey({ db: openDatabase({ path: ":memory:" }), secrets: createSecretBox(new Uint8Array(32).fill(7)), alg: "ES256", clock })),
  });
  const send = createDeliverySender({ http, encoder, secrets: payloadBox, targets: stores.targets, publicKeys: stores.publicKeys, clock });
  const workers: DeliveryWorker[] = [];

  /** Creates a target answering on `path` and returns its snapshot and clear signing key. */
  function target(path: string, overrides: Partial<NewTarget> = {}) {
    const { target: t, signingKey } = stores.targets.create(newTarget({ name: path, type: "async", endpoint: receiver.url(path), timeoutMs: 2000, ...overrides }), actor);
    const snapshot = snapshotTarget(stores, t.id, stores.clock())!;
    return { snapshot, signingKey };
  }

  function enqueue(snapshot: TargetSnapshot, payload: unknown, orderingKey?: string, kind: "event" | "async" = "event"): string {
    return deliveries.enqueue({ kind, executionId: "event/demo.tick", target: snapshot, payload: JSON.stringify(payload), ...(orderingKey ? { orderingKey } : {}) });
  }

  /** Starts a worker with the fixture's store, sender, clock and batched transactions; overrides win. */
  function worker(overrides: Partial<DeliveryWorkerDeps> = {}): DeliveryWorker {
    const transaction = <T>(fn: () => T): T => stores.db.transaction(fn)();
    const w = createDeliveryWorker({ deliveries, send, clock, transaction, pollIntervalMs: 50, random: () => 0.5, ...overrides });
    workers.push(w);
    w.start();
    return w;
  }

  const job = (id: string) => deliveries.get(id)!;
  const stateOf = (id: string) => deliveries.get(id)?.state;

  return {
    stores,
    clock,
    deliveries,
    receiver,
    http,
    send,
    target,
    enqueue,
    worker,
    job,
    stateOf,
    /** Waits until job `id` is in `state`. */
    waitForState: (id: string, state: Delivery["state"], timeoutMs?: number) => until(() => stateOf(id) === state, `${id} to be ${state} (is ${stateOf(id)})`, timeoutMs),
    async close() {
      for (const w of workers) await w.stop({ drainMs: 0 });
      await receiver.close();
      await http.close();
      stores.db.close();
    },
  };
}

/** The fixture's type. */
export type DeliveryFixture = Awaited<ReturnType<typeof deliveryFixture>>;
