import type { Interceptor } from "@connectrpc/connect";
import type { Tracer } from "@opentelemetry/api";
import type { Clock } from "../domain/clock.js";
import { transactionWithoutFsync, type Db } from "../store/db.js";
import type { EventLog } from "../store/event-log.js";
import type { ExecutionStore } from "../store/execution-store.js";
import type { TargetStore } from "../store/target-store.js";
import type { PublicKeyStore } from "../store/public-key-store.js";
import type { DeliveryStore } from "../store/delivery-store.js";
import { createOutbox } from "./outbox.js";
import { createDeliveryWorker, type DeliveryNext } from "../delivery/worker.js";
import { createDeliverySender } from "../delivery/send.js";
import { createRetentionSweeper, type RetentionPolicy } from "../delivery/retention.js";
import { tryWorkerLock, type WorkerLock } from "../store/worker-lock.js";
import { createDeliveryRole } from "../delivery/delivery-role.js";
import type { Delivery, DeliveryAttempt, RetryPolicy } from "../domain/delivery.js";

/** Settings of the durable delivery worker. */
export interface DeliveryOptions {
  policy?: RetryPolicy;
  /** Attempts in flight at once (default 32). */
  concurrency?: number;
  /** Attempts in flight at once to one target (default 8). */
  perTargetConcurrency?: number;
  /** False: enqueue only, never send nor sweep (a node that only serves the API); default true. */
  worker?: boolean;
  /** How long delivered and dead jobs are kept (default 7 and 30 days, see DEFAULT_RETENTION). */
  retention?: RetentionPolicy;
  /** Time between retention sweeps, in ms (default 60 s). */
  sweepIntervalMs?: number;
  /** How often a node in standby (another worker holds the database) tries to take over, in ms (default 1 s). */
  standbyRetryMs?: number;
}
import type { SecretBox } from "../crypto/secret-box.js";
import { createChangeWatch } from "../store/change-watch.js";
import { createExecutionRouter, type ExecutionRouter } from "./router.js";
import { createDispatcher, type TargetCallReport } from "./dispatch.js";
import { createTargetLoader } from "./target-loader.js";
import { createExecutionInterceptor, type IdentityOf } from "./interceptor.js";
import { createFunctionRunner, type RunFunction } from "./functions.js";
import { createPayloadEncoder } from "./encode.js";
import { jwks, loadOrCreateInstanceKey, type InstanceKey } from "./instance-key.js";
import { createTargetHttpClient, type TargetHttpClient } from "./http-client.js";

/** Dependencies of {@link createExecutionEngine}. */
export interface ExecutionEngineDeps {
  db: Db;
  events: EventLog;
  targets: TargetStore;
  publicKeys: PublicKeyStore;
  executions: ExecutionStore;
  deliveries: DeliveryStore;
  secrets: SecretBox;
  clock: Clock;
  instanceId: string;
  /** Development mode: targets on loopback over http are allowed. */
  dev: boolean;
  /** Algorithm of the instance key for JWT payloads (default ES256). */
  jwtAlg?: "ES256" | "RS256";
  /** The outbound client (default: one built for `dev`); tests inject resolvers through it. */
  http?: TargetHttpClient;
  identity?: IdentityOf;
  onReport?: (report: TargetCallReport) => void;
  delivery?: DeliveryOptions;
  /** Called after each delivery attempt was recorded. */
  onDelivery?: (job: Delivery, attempt: DeliveryAttempt, next: DeliveryNext) => void;
  /** Reports unexpected worker errors. */
  onError?: (error: unknown) => void;
  /** Reports retention sweep errors (the next sweep tries again). */
  onSweepError?: (error: unknown) => void;
  /** Told what delivery is doing when an operator should know: standby, take-over, jobs swept. */
  onNotice?: (message: string, fields: Record<string, unknown>) => void;
  /** Takes the database's worker lock (default {@link tryWorkerLock}); undefined means another worker holds it. */
  workerLock?: () => WorkerLock | undefined;
  /** Tracer of the target-call spans (default: the global provider's, a no-op until an SDK is registered). */
  tracer?: Tracer;
  /**
   * False is the break glass (`TETHER_EXECUTIONS=off`): the router sees no executions, so no request,
   * response, function or event execution matches; queued deliveries are still sent (default true).
   */
  enabled?: boolean;
}

/** The execution engine: routing, the target caller, the interceptor, functions and the JWKS. */
export interface ExecutionEngine {
  router: ExecutionRouter;
  interceptor: Interceptor;
  runFunction: RunFunction;
  /** The public keys of JWT payload signatures, as served at `/oauth/v2/keys`. */
  jwks(): Promise<{ keys: unknown[] }>;
  /** Starts the delivery worker (it first re-queues jobs a crash left in flight). */
  start(): void;
  /** Stops the worker: in-flight attempts finish (up to 5 s) or go back to pending; idempotent. */
  stopDelivery(): Promise<void>;
  /** Stops the worker (in-flight attempts finish or go back to pending) and closes the HTTP client. */
  close(): Promise<void>;
}

/** Builds the engine over the stores; executions are read from memory and reloaded on every change. */
export function createExecutionEngine(deps: ExecutionEngineDeps): ExecutionEngine {
  const version = createChangeWatch(deps.db, deps.events, (t) => t.startsWith("execution.") || t === "target.removed");
  const enabled = deps.enabled !== false;
  const router = createExecutionRouter({ all: () => (enabled ? deps.executions.all() : []), version });
  let key: Promise<InstanceKey> | undefined;
  const instanceKey = () => {
    key ??= loadOrCreateInstanceKey({ db: deps.db, secrets: deps.secrets, alg: deps.jwtAlg ?? "ES256", clock: deps.clock }).catch((e: unknown) => {
      key = undefined; // retry on the next call rather than caching a failure
      throw e;
    });
    return key;
  };
  const http = deps.http ?? createTargetHttpClient({ dev: deps.dev });
  const encoder = createPayloadEncoder({ instanceKey });
  const worker = createDeliveryWorker({
    deliveries: deps.deliveries,
    send: createDeliverySender({ http, encoder, secrets: deps.secrets, targets: deps.targets, publicKeys: deps.publicKeys, clock: deps.clock, ...(deps.tracer ? { tracer: deps.tracer } : {}) }),
    clock: deps.clock,
    // One commit per round (its finished attempts), without an fsync: see transactionWithoutFsync.
    transaction: (fn) => transactionWithoutFsync(deps.db, fn),
    ...(deps.delivery?.policy ? { policy: deps.delivery.policy } : {}),
    ...(deps.delivery?.concurrency ? { concurrency: deps.delivery.concurrency } : {}),
    ...(deps.delivery?.perTargetConcurrency ? { perTargetConcurrency: deps.delivery.perTargetConcurrency } : {}),
    ...(deps.onDelivery ? { onResult: deps.onDelivery } : {}),
    ...(deps.onError ? { onError: deps.onError } : {}),
  });
  const sweeper = createRetentionSweeper({
    deliveries: deps.deliveries,
    clock: deps.clock,
    ...(deps.delivery?.retention ? { policy: deps.delivery.retention } : {}),
    ...(deps.delivery?.sweepIntervalMs ? { intervalMs: deps.delivery.sweepIntervalMs } : {}),
    ...(deps.onSweepError ? { onError: deps.onSweepError } : {}),
    onPurged: (counts) => deps.onNotice?.("swept finished outbox jobs past their retention", counts),
  });
  const delivering = createDeliveryRole({
    lock: deps.workerLock ?? (() => tryWorkerLock(deps.db)),
    start: () => {
      worker.start();
      sweeper.start();
    },
    stop: async () => {
      await Promise.all([worker.stop(), sweeper.stop()]);
    },
    retryMs: deps.delivery?.standbyRetryMs ?? 1_000,
    ...(deps.onNotice ? { onNotice: deps.onNotice } : {}),
    ...(deps.onError ? { onError: deps.onError } : {}),
  });
  // Wake the worker once the enqueuing transaction has committed (this runs after the synchronous commit).
  let kickQueued = false;
  const kick = () => {
    if (kickQueued) return;
    kickQueued = true;
    setImmediate(() => {
      kickQueued = false;
      worker.kick();
    });
  };
  const outbox = createOutbox({ router, ...deps, onEnqueued: kick });
  // Inside the event's own transaction: the job commits (or rolls back) with the event.
  deps.events.onAppend((event) => outbox.onEvent(event));
  const dispatcher = createDispatcher({
    enqueueAsync: (targetId, executionId, json) => outbox.enqueueAsync(targetId, executionId, json),
    loadTarget: createTargetLoader(deps),
    http,
    encoder,
    clock: deps.clock,
    ...(deps.onReport ? { onReport: deps.onReport } : {}),
    ...(deps.tracer ? { tracer: deps.tracer } : {}),
  });
  return {
    router,
    interceptor: createExecutionInterceptor({ router, dispatcher, instanceId: deps.instanceId, ...(deps.identity ? { identity: deps.identity } : {}) }),
    runFunction: createFunctionRunner({ router, dispatcher }),
    jwks: async () => jwks(await instanceKey()),
    start: () => {
      if (deps.delivery?.worker !== false) delivering.start();
    },
    stopDelivery: () => delivering.stop(),
    close: async () => {
      try {
        await delivering.stop();
      } finally {
        // The lock goes last: attempts the drain gave up on end with the client, and a standby node that took
        // over earlier would send them a second time while they are still open.
        try {
          await http.close();
        } finally {
          await delivering.release();
        }
      }
    },
  };
}
