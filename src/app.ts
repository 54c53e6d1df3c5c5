import type { Interceptor } from "@connectrpc/connect";
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
import { createExecutionEngine, type DeliveryOptions } from "./execution/engine.js";
import type { TargetHttpClient } from "./execution/http-client.js";
import type { TargetCallReport } from "./execution/dispatch.js";

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
  /** False leaves the execution interceptor out: no request/response executions fire (default true). */
  executions?: boolean;
  /** Event types the host application will push (conditions may name them). */
  eventTypes?: readonly string[];
  /** Delivery worker settings. */
  delivery?: DeliveryOptions;
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
  const deliveries = createDeliveryStore(deps.db, { clock, newId });
  const registry = createEventTypeRegistry();
  registry.register(deps.eventTypes ?? []);
  const services = mountedServices(deps.hostServices);
  const catalog = createConditionCatalog({ services: () => services, eventTypes: registry.list });
  const action = createActionService({ targets, publicKeys, executions, catalog, rules: { dev: deps.dev } });
  const routes = registerServices({ action, deliveries: createDeliveryService({ deliveries }), host: deps.hostServices ?? [] });
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
    ...(deps.onTargetCall ? { onReport: deps.onTargetCall } : {}),
    ...(deps.delivery ? { delivery: deps.delivery } : {}),
    onError: (e) => deps.logError("delivery worker error", { err: e instanceof Error ? e.message : String(e) }),
  });
  // Outermost first: errors are mapped after everything else ran; executions see the authenticated caller.
  const interceptors: Interceptor[] = [
    createErrorInterceptor(deps.logError),
    createAuthInterceptor({ authenticator: deps.authenticator }),
    ...(deps.executions === false ? [] : [engine.interceptor]),
  ];
  return {
    routes,
    interceptors,
    services,
    engine,
    eventTypes: registry,
    /** Pushes host events; matching event executions are enqueued in the same transaction. */
    pushEvents: createEventPusher(deps.db, { events, registry, clock }),
    stores: { targets, publicKeys, executions, events, deliveries },
  };
}

/** The application built by {@link createTetherApp}. */
export type TetherApp = ReturnType<typeof createTetherApp>;
