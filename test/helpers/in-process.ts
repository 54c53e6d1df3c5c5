import { createClient, createRouterTransport, type Client } from "@connectrpc/connect";
import { openDatabase } from "../../src/store/db.js";
import { createTetherApp } from "../../src/app.js";
import { ActionService } from "../../gen/zitadel/action/v2/action_service_pb.js";
import type { Caller } from "../../src/auth/caller.js";
import { ADMIN_PERMISSIONS } from "../../src/auth/permissions.js";
import { manualClock } from "./store-fixtures.js";
import { loopbackOnlyHttpClient } from "./loopback-http.js";

/** A caller holding every permission. */
export const adminCaller: Caller = { userId: "admin", permissions: new Set(ADMIN_PERMISSIONS), via: "pat" };

/** The app over a fresh in-memory database with a fixed caller, and an in-process ActionService client. */
export function inProcess(options: { dev?: boolean; caller?: Caller } = {}) {
  const db = openDatabase({ path: ":memory:" });
  const clock = manualClock();
  const errors: unknown[] = [];
  const app = createTetherApp({
    db,
    masterKey: new Uint8Array(32).fill(7),
    instanceId: "test-instance",
    dev: options.dev ?? false,
    authenticator: { authenticate: async () => options.caller ?? adminCaller },
    logError: (_m, fields) => errors.push(fields),
    clock,
    http: loopbackOnlyHttpClient(options.dev ?? false),
  });
  const transport = createRouterTransport(app.routes, { router: { interceptors: app.interceptors } });
  const client: Client<typeof ActionService> = createClient(ActionService, transport);
  return { app, db, clock, client, errors };
}
