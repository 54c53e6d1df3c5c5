import type { Interceptor } from "@connectrpc/connect";
import type { Tracer } from "@opentelemetry/api";
import type { Db } from "./store/db.js";
import type { Clock } from "./domain/clock.js";
import { systemClock } from "./domain/clock.js";
import { createEventTypeRegistry } from "./domain/event-types.js";
import { createDeliveryStore } from "./store/delivery-store.js";
import { createEventPusher } from "./store/event-pusher.js";
import { createEventLog } from "./store/event-log.js";
import { createTargetStore } from "./store/target-store.js";
import { createPublicKeyStore } from "./store/public-key-store.js";
import { createExecutionStore } from "./store/execution-store.js";
import { createSecretBox } from "./crypto/secret-box.js";
import { generateSigningKey } from "./crypto/random-secret.js";
import { createIdGenerator } from "./ids.js";
import { createConditionCatalog } from "./api/catalog.js";
import { createActionService } from "./api/action-service.js";
import { createDeliveryService } from "./api/delivery-handlers.js";
import { createErrorInterceptor, type ErrorLogger } from "./api/errors.js";
import { createAuthInterceptor } from "./auth/auth-interceptor.js";
import type { Authenticator } from "./auth/authenticator.js";
import { mountedServices, registerServices, type HostService } from "./routes.js";
import { createHealthStatus } from "./grpc/health-status.js";
import { databaseProbe } from "./store/db.js";
import { createExecutionEngine, type DeliveryOptions } from "./execution/engine.js";
import type { TargetHttpClient } from "./execution/http-client.js";
import type { TargetCallReport } from "./execution/dispatch.js";
import { createTetherMetrics } from "./observability/metrics.js";
import { createRpcTelemetryInterceptor } from "./observability/rpc-telemetry.js";
import { defaultTracer } from "./observability/target-span.js";

/** Everything the application is built from; the process-level wiring lives in main.ts. */
export interface TetherAppDeps {
  db: Db;
  /** 32-byte key that seals secrets at rest. */
  masterKey: Uint8Array;
  /** Reported as `instanceID` in payloads and as the owner of events without an org. */
  instanceId: string;
  /** Development mode: `http://` and loopback target endpoints are allowed. */
  dev: boolean;
  authenticator: Authenticator;
  /** Where unexpected errors are reported (never shown to callers). */
  logError: ErrorLogger;
  /** Where operator notices go (delivery standby and take-over, retention sweeps); default: nowhere. */
  logInfo?: ErrorLogger;
  clock?: Clock;
  newId?: () => string;
  /** Algorithm of the instance key that signs JWT payloads (default ES256). */
  jwtAlg?: "ES256" | "RS256";
  /** The host application's own services, mounted behind the same auth and execution interceptors. */
  hostServices?: readonly HostService[];
  /** The outbound client for target calls (default: built for `dev`). */
  http?: TargetHttpClient;
  /** Called after every target call, for logs and metrics. */
  onTargetCall?: (report: TargetCallReport) => void;
  /**
   * False disables every execution (the `TETHER_EXECUTIONS=off` break glass): the interceptor is left out,
   * functions and events match nothing, queued deliveries are still sent (default true).
   */
  executions?: boolean;
  /** Event types the host application will push (conditions may name them). */
  eventTypes?: readonly string[];
  /** Delivery worker settings. */
  delivery?: DeliveryOptions;
  /** False leaves gRPC server reflection out (default true). */
  reflection?: boolean;
  /** Tracer of RPC and target-call spans (default: the global provider's, a no-op until an SDK is registered). */
  tracer?: Tracer;
  /** Node process metrics (CPU, memory, GC, event loop) in `/metrics`, started on the first scrape (default true). */
  processMetrics?: boolean;
}

/** Builds the stores, the services and the interceptor chain (transport-independent, so tests can run it in process). */
export function createTetherApp(deps: TetherAppDeps) {
  const clock = deps.clock ?? systemClock;
  const newId = deps.newId ?? createIdGenerator();
  const events = createEventLog(deps.db, { instanceId: deps.instanceId });
  const secrets = createSecretBox(deps.masterKey);
  const targets = createTargetStore(deps.db, { clock, newId, events, secrets, newSigningKey: generateSigningKey });
  const publicKeys = createPublicKeyStore(deps.db, { clock, newId, events });
  const executions = createExecutionStore(deps.db, { clock, events });
  const deliveries = createDeliveryStore(deps.db, {
    clock,
    newId,
    secrets,
    onUnreadable: ({ id, targetId }) => {
      deps.logError("an outbox job cannot be read back; set aside as dead", { id, targetId });
      metrics.onUnreadableJob(targetId);
    },
  });
  const metrics = createTetherMetrics({ deliveries, clock, ...(deps.processMetrics === false ? { processMetrics: false } : {}) });
  // After the removing transaction: a rolled-back delete leaves the target, and its series, in place.
  events.onAppend((e) => {
    if (e.type !== "target.removed") return;
    setImmediate(() => {
      try {
        if (!targets.find(e.aggregateId)) metrics.forgetTarget(e.aggregateId);
      } catch {
        // The database closed meanwhile (shutdown): the metrics go with the app.
      }
    });
  });
  const tracer = deps.tracer ?? defaultTracer();
  const telemetry = createRpcTelemetryInterceptor({ metrics, tracer });
  const registry = createEventTypeRegistry();
  registry.register(deps.eventTypes ?? []);
  const services = mountedServices(deps.hostServices);
  const catalog = createConditionCatalog({ services: () => services, eventTypes: registry.list });
  const action = createActionService({ targets, publicKeys, executions, catalog, rules: { dev: deps.dev } });
  const errors = createErrorInterceptor(deps.logError);
  const health = createHealthStatus({ probe: databaseProbe(deps.db) });
  const routes = registerServices({
    action,
    deliveries: createDeliveryService({ deliveries }),
    host: deps.hostServices ?? [],
    // Health and reflection get telemetry and error mapping only: public, and out of reach of executions.
    publicServices: { health, interceptors: [telemetry, errors], reflection: deps.reflection !== false },
  });
  const engine = createExecutionEngine({
    db: deps.db,
    events,
    targets,
    publicKeys,
    executions,
    deliveries,
    secrets,
    clock,
    instanceId: deps.instanceId,
    dev: deps.dev,
    ...(deps.jwtAlg ? { jwtAlg: deps.jwtAlg } : {}),
    ...(deps.http ? { http: deps.http } : {}),
    onReport: (report) => {
      metrics.onTargetCall(report);
      deps.onTargetCall?.(report);
    },
    onDelivery: metrics.onDelivery,
    tracer,
    ...(deps.delivery ? { delivery: deps.delivery } : {}),
    ...(deps.executions === false ? { enabled: false } : {}),
    onError: (e) => deps.logError("delivery worker error", { err: e instanceof Error ? e.message : String(e) }),
    onSweepError: (e) => deps.logError("outbox retention sweep failed; the next sweep tries again", { err: e instanceof Error ? e.message : String(e) }),
    ...(deps.logInfo ? { onNotice: deps.logInfo } : {}),
  });
  // Outermost first: errors are mapped after everything else ran; executions see the authenticated caller.
  // Telemetry wraps even the error mapping, so it records the code the caller finally gets.
  const interceptors: Interceptor[] = [
    telemetry,
    errors,
    createAuthInterceptor({ authenticator: deps.authenticator }),
    ...(deps.executions === false ? [] : [engine.interceptor]),
  ];
  return {
    routes,
    interceptors,
    services,
    engine,
    /** This app's Prometheus registry and hooks, served at `GET /metrics`. */
    metrics,
    /** The serving state of `grpc.health.v1.Health`; call `health.shutdown()` before draining the server. */
    health,
    eventTypes: registry,
    /** Pushes host events; matching event executions are enqueued in the same transaction. */
    pushEvents: createEventPusher(deps.db, { events, registry, clock }),
    stores: { targets, publicKeys, executions, events, deliveries },
  };
}

/** The application built by {@link createTetherApp}. */
export type TetherApp = ReturnType<typeof createTetherApp>;
