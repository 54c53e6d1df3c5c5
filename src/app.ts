import type { Interceptor } from "@connectrpc/connect";
import type { Db } from "./store/db.js";
import type { Clock } from "./domain/clock.js";
import { systemClock } from "./domain/clock.js";
import { BUILTIN_EVENT_TYPES } from "./domain/events.js";
import { createEventLog } from "./store/event-log.js";
import { createTargetStore } from "./store/target-store.js";
import { createPublicKeyStore } from "./store/public-key-store.js";
import { createExecutionStore } from "./store/execution-store.js";
import { createSecretBox } from "./crypto/secret-box.js";
import { generateSigningKey } from "./crypto/random-secret.js";
import { createIdGenerator } from "./ids.js";
import { createConditionCatalog } from "./api/catalog.js";
import { createActionService } from "./api/action-service.js";
import { createErrorInterceptor, type ErrorLogger } from "./api/errors.js";
import { createAuthInterceptor } from "./auth/auth-interceptor.js";
import type { Authenticator } from "./auth/authenticator.js";
import { MOUNTED_SERVICES, registerServices } from "./routes.js";

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
  const catalog = createConditionCatalog({ services: () => MOUNTED_SERVICES, eventTypes: () => BUILTIN_EVENT_TYPES });
  const action = createActionService({ targets, publicKeys, executions, catalog, rules: { dev: deps.dev } });
  const routes = registerServices({ action });
  // Outermost first: errors are mapped after everything else ran.
  const interceptors: Interceptor[] = [createErrorInterceptor(deps.logError), createAuthInterceptor({ authenticator: deps.authenticator })];
  return { routes, interceptors, services: MOUNTED_SERVICES, stores: { targets, publicKeys, executions, events } };
}

/** The application built by {@link createTetherApp}. */
export type TetherApp = ReturnType<typeof createTetherApp>;
