import type { Interceptor } from "@connectrpc/connect";
import type { Clock } from "../domain/clock.js";
import type { Db } from "../store/db.js";
import type { EventLog } from "../store/event-log.js";
import type { ExecutionStore } from "../store/execution-store.js";
import type { TargetStore } from "../store/target-store.js";
import type { PublicKeyStore } from "../store/public-key-store.js";
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
}

/** The execution engine: routing, the target caller, the interceptor, functions and the JWKS. */
export interface ExecutionEngine {
  router: ExecutionRouter;
  interceptor: Interceptor;
  runFunction: RunFunction;
  /** The public keys of JWT payload signatures, as served at `/oauth/v2/keys`. */
  jwks(): Promise<{ keys: unknown[] }>;
  close(): Promise<void>;
}

/** Builds the engine over the stores; executions are read from memory and reloaded on every change. */
export function createExecutionEngine(deps: ExecutionEngineDeps): ExecutionEngine {
  const version = createChangeWatch(deps.db, deps.events, (t) => t.startsWith("execution.") || t === "target.removed");
  const router = createExecutionRouter({ all: () => deps.executions.all(), version });
  let key: Promise<InstanceKey> | undefined;
  const instanceKey = () => {
    key ??= loadOrCreateInstanceKey({ db: deps.db, secrets: deps.secrets, alg: deps.jwtAlg ?? "ES256", clock: deps.clock }).catch((e: unknown) => {
      key = undefined; // retry on the next call rather than caching a failure
      throw e;
    });
    return key;
  };
  const http = deps.http ?? createTargetHttpClient({ dev: deps.dev });
  const dispatcher = createDispatcher({
    loadTarget: createTargetLoader(deps),
    http,
    encoder: createPayloadEncoder({ instanceKey }),
    clock: deps.clock,
    ...(deps.onReport ? { onReport: deps.onReport } : {}),
  });
  return {
    router,
    interceptor: createExecutionInterceptor({ router, dispatcher, instanceId: deps.instanceId, ...(deps.identity ? { identity: deps.identity } : {}) }),
    runFunction: createFunctionRunner({ router, dispatcher }),
    jwks: async () => jwks(await instanceKey()),
    close: () => http.close(),
  };
}
