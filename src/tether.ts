import { join } from "node:path";
import type { Config } from "./config.js";
import type { Logger } from "pino";
import type { Tracer } from "@opentelemetry/api";
import { openDatabase } from "./store/db.js";
import { startCheckpointer, type Checkpointer } from "./store/checkpointer.js";
import { loadMasterKey } from "./crypto/master-key.js";
import { createTokenStore } from "./store/token-store.js";
import { createIdGenerator } from "./ids.js";
import { ensureAdminPat, createPatVerifier } from "./auth/pat.js";
import { createOidcVerifier } from "./auth/oidc.js";
import { createAuthenticator } from "./auth/authenticator.js";
import { createTetherApp, type TetherApp } from "./app.js";
import { startServer } from "./server.js";
import { createHttpHandler } from "./handler.js";
import { healthRoutes, jwksRoute, metricsRoute } from "./extra-routes.js";
import type { HostService } from "./routes.js";
import type { TargetHttpClient } from "./execution/http-client.js";
import type { DeliveryOptions } from "./execution/engine.js";
import { systemClock } from "./domain/clock.js";

/** A running server and what its starter needs to know. */
export interface RunningTether {
  url: string;
  port: number;
  app: TetherApp;
  /** Set only on the first start, when the admin token was just created. */
  newAdminToken?: string;
  /** Graceful stop: in-flight requests finish, then the database closes. */
  close(): Promise<void>;
}

/** What an embedding application may add to {@link startTether}. */
export interface StartOptions {
  /** The host's own Connect services, mounted on the same port behind auth and executions. */
  hostServices?: readonly HostService[];
  /** The outbound client for target calls (tests inject resolvers and dialers through it). */
  http?: TargetHttpClient;
  /** False is the same switch as `TETHER_EXECUTIONS=off`: no execution fires (benchmarks' baseline; default true). */
  executions?: boolean;
  /** Event types the host application will push with `app.pushEvents`. */
  eventTypes?: readonly string[];
  /** Delivery worker settings (retry policy, concurrency). */
  delivery?: DeliveryOptions;
  /** Tracer of RPC and target-call spans (default: the global provider's, a no-op until an SDK is registered). */
  tracer?: Tracer;
  /** False leaves Node's process metrics out of `/metrics` (e.g. when the host collects its own; default true). */
  processMetrics?: boolean;
}

/** Opens the data directory (database, master key, admin token) and serves every protocol on one port. */
export async function startTether(config: Config, log: Logger, options: StartOptions = {}): Promise<RunningTether> {
  const masterKey = loadMasterKey({ envValue: config.masterKey, dataDir: config.dataDir });
  if (masterKey.source === "generated")
    log.warn({ path: join(config.dataDir, "master.key") }, "generated a new master key; back it up with the database, or set TETHER_MASTER_KEY");
  const db = openDatabase({ path: join(config.dataDir, "tether.db") });
  let checkpointer: Checkpointer | undefined;
  const closeDb = async () => {
    try {
      await checkpointer?.close();
    } finally {
      db.close();
    }
  };
  let engine: { close(): Promise<void> } | undefined;
  const executions = config.executions && options.executions !== false;
  if (!executions)
    log.warn(
      { executions: "off" },
      "EXECUTIONS DISABLED (break glass): no request, response, function or event execution runs; already queued deliveries are still sent. Fix or remove the broken executions, then restart with TETHER_EXECUTIONS=on",
    );
  try {
    checkpointer = startCheckpointer(db, { onError: (err) => log.warn({ err }, "a background WAL checkpoint failed") });
    const newId = createIdGenerator();
    const tokens = createTokenStore(db, { clock: systemClock, newId });
    const admin = ensureAdminPat({ tokens, dataDir: config.dataDir, log });
    const oidc = config.oidc
      ? createOidcVerifier({ ...config.oidc, onKeySetError: (err) => log.warn({ err }, "OIDC key set unavailable") })
      : undefined;
    const authenticator = createAuthenticator({ pat: createPatVerifier(tokens), ...(oidc ? { oidc } : {}) });
    const app = createTetherApp({
      db,
      masterKey: masterKey.key,
      instanceId: config.instanceId,
      dev: config.dev,
      authenticator,
      newId,
      jwtAlg: config.jwtAlg,
      ...(options.hostServices ? { hostServices: options.hostServices } : {}),
      ...(options.http ? { http: options.http } : {}),
      ...(executions ? {} : { executions: false }),
      ...(config.reflection ? {} : { reflection: false }),
      ...(options.eventTypes ? { eventTypes: options.eventTypes } : {}),
      delivery: { ...(config.retention ? { retention: config.retention } : {}), ...options.delivery },
      ...(options.tracer ? { tracer: options.tracer } : {}),
      ...(options.processMetrics === false ? { processMetrics: false } : {}),
      onTargetCall: (r) => log.debug(r, "target called"),
      logError: (message, fields) => log.error(fields, message),
      logInfo: (message, fields) => log.info(fields, message),
    });
    const handler = createHttpHandler({
      routes: app.routes,
      interceptors: app.interceptors,
      services: [...app.services],
      readMaxBytes: config.readMaxBytes,
      extraRoutes: [...healthRoutes(app.health), jwksRoute(app.engine), metricsRoute(app.metrics)],
      // Failures outside an RPC (an extra route, the REST gateway) are logged; the caller sees a plain 500.
      onError: (message, fields) => log.error(fields, message),
    });
    engine = app.engine;
    app.engine.start();
    const server = await startServer({ port: config.port, host: config.host, handler, log: (msg, fields) => log.info(fields ?? {}, msg) });
    log.info({ url: server.url, dataDir: config.dataDir, dev: config.dev, oidc: Boolean(config.oidc), executions: executions ? "on" : "off" }, "tether listening");
    return {
      url: server.url,
      port: server.port,
      app,
      ...(admin.created && admin.token ? { newAdminToken: admin.token } : {}),
      async close() {
        // Health turns NOT_SERVING first and ends its Watch streams, so balancers stop sending and the drain need not wait on them.
        app.health.shutdown();
        // The worker drains while the server does (both bounded), so a stop fits a 10 s container grace period;
        // the HTTP client closes only after the last RPC, whose executions may still call targets.
        // Each step runs whatever the one before did; the first failure is reported once all are done.
        const drained = await Promise.allSettled([server.close(), app.engine.stopDelivery()]);
        const closed = await Promise.allSettled([app.engine.close()]);
        await closeDb();
        const failed = [...drained, ...closed].find((r) => r.status === "rejected");
        if (failed) throw failed.reason;
      },
    };
  } catch (e) {
    // Whatever started before the failure stops again (the worker, its lock, the outbound client), then the database.
    await Promise.allSettled([engine?.close()]);
    await closeDb();
    throw e;
  }
}
