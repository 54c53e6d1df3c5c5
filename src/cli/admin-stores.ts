import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { openDatabase, type Db } from "../store/db.js";
import { createEventLog } from "../store/event-log.js";
import { createExecutionStore, type ExecutionStore } from "../store/execution-store.js";
import { createTargetStore, type Sealer, type TargetStore } from "../store/target-store.js";
import { createPublicKeyStore } from "../store/public-key-store.js";
import { createDeliveryStore } from "../store/delivery-store.js";
import { createChangeWatch } from "../store/change-watch.js";
import { createExecutionRouter } from "../execution/router.js";
import { createOutbox } from "../execution/outbox.js";
import { systemClock, type Clock } from "../domain/clock.js";
import { createIdGenerator } from "../ids.js";

/** The stores the admin commands work on, over one database connection. */
export interface AdminStores {
  db: Db;
  executions: ExecutionStore;
  /** Read for names and endpoints only: the admin tool never opens or writes a secret. */
  targets: Pick<TargetStore, "find">;
  close(): void;
}

/** Options of {@link openAdminStores}. */
export interface OpenAdminStoresOptions {
  /** Reported as the resource owner of the events the tool writes (the server's `TETHER_INSTANCE_ID`). */
  instanceId: string;
  clock?: Clock;
}

/** The result of {@link openAdminStores}: the stores, or why the data directory cannot be used. */
export type OpenedAdminStores = { ok: true; stores: AdminStores } | { ok: false; message: string };

// Signing keys are sealed under the master key; listing and clearing executions never needs one.
const noSecrets: Sealer = {
  seal: () => {
    throw new Error("the admin tool does not handle secrets");
  },
  open: () => {
    throw new Error("the admin tool does not handle secrets");
  },
};

/**
 * Opens `<dataDir>/tether.db` next to a running server (WAL; its router sees the commit through
 * `PRAGMA data_version`). Refuses a missing directory or database instead of creating one. Events the
 * tool writes are matched to event executions like the server's; the server's worker delivers them.
 */
export function openAdminStores(dataDir: string, options: OpenAdminStoresOptions): OpenedAdminStores {
  const dir = resolve(dataDir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return { ok: false, message: `data directory ${dir} does not exist (use --data-dir or TETHER_DATA_DIR)` };
  const path = join(dir, "tether.db");
  if (!existsSync(path)) return { ok: false, message: `no Tether database in ${dir} (${path} is missing); is this the server's data directory?` };
  const db = openDatabase({ path });
  try {
    const clock = options.clock ?? systemClock;
    const newId = createIdGenerator();
    const events = createEventLog(db, { instanceId: options.instanceId });
    const executions = createExecutionStore(db, { clock, events });
    const targets = createTargetStore(db, { clock, newId, events, secrets: noSecrets, newSigningKey: () => noSecrets.seal("", "") });
    // The same wiring as the engine's: the change's own event is matched inside its transaction.
    const version = createChangeWatch(db, events, (t) => t.startsWith("execution.") || t === "target.removed");
    const router = createExecutionRouter({ all: () => executions.all(), version });
    const publicKeys = createPublicKeyStore(db, { clock, newId, events });
    const deliveries = createDeliveryStore(db, { clock, newId });
    const outbox = createOutbox({ router, targets, publicKeys, deliveries, clock, instanceId: options.instanceId });
    events.onAppend((event) => outbox.onEvent(event));
    return { ok: true, stores: { db, executions, targets, close: () => db.close() } };
  } catch (e) {
    db.close();
    throw e;
  }
}
