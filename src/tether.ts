import { join } from "node:path";
import type { Config } from "./config.js";
import type { Logger } from "pino";
import { openDatabase } from "./store/db.js";
import { loadMasterKey } from "./crypto/master-key.js";
import { createTokenStore } from "./store/token-store.js";
import { createIdGenerator } from "./ids.js";
import { ensureAdminPat, createPatVerifier } from "./auth/pat.js";
import { createOidcVerifier } from "./auth/oidc.js";
import { createAuthenticator } from "./auth/authenticator.js";
import { createTetherApp, type TetherApp } from "./app.js";
import { startServer } from "./server.js";
import { createHttpHandler } from "./handler.js";
import { healthRoutes, jwksRoute } from "./extra-routes.js";
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
  /** False serves without the execution interceptor (benchmarks; default true). */
  executions?: boolean;
  /** Event types the host application will push with `app.pushEvents`. */
  eventTypes?: readonly string[];
  /** Delivery worker settings (retry policy, concurrency). */
  delivery?: DeliveryOptions;
}

/** Opens the data directory (database, master key, admin token) and serves every protocol on one port. */
export async function startTether(config: Config, log: Logger, options: StartOptions = {}): Promise<RunningTether> {
  const masterKey = loadMasterKey({ envValue: config.masterKey, dataDir: config.dataDir });
  if (masterKey.source === "generated")
    log.warn({ path: join(config.dataDir, "master.key") }, "generated a new master key; back it up with the database, or set TETHER_MASTER_KEY");
  const db = openDatabase({ path: join(config.dataDir, "tether.db") });
  try {
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
      ...(options.executions === false ? { executions: false } : {}),
      ...(options.eventTypes ? { eventTypes: options.eventTypes } : {}),
      ...(options.delivery ? { delivery: options.delivery } : {}),
      onTargetCall: (r) => log.debug(r, "target called"),
      logError: (message, fields) => log.error(fields, message),
    });
    const handler = createHttpHandler({
      routes: app.routes,
      interceptors: app.interceptors,
      services: [...app.services],
      readMaxBytes: config.readMaxBytes,
      extraRoutes: [...healthRoutes(db), jwksRoute(app.engine)],
    });
    app.engine.start();
    const server = await startServer({ port: config.port, host: config.host, handler, log: (msg, fields) => log.info(fields ?? {}, msg) }).catch(
      async (e: unknown) => {
        await app.engine.close();
        throw e;
      },
    );
    log.info({ url: server.url, dataDir: config.dataDir, dev: config.dev, oidc: Boolean(config.oidc) }, "tether listening");
    return {
      url: server.url,
      port: server.port,
      app,
      ...(admin.created && admin.token ? { newAdminToken: admin.token } : {}),
      async close() {
        await server.close();
        await app.engine.close();
        db.close();
      },
    };
  } catch (e) {
    db.close();
    throw e;
  }
}
