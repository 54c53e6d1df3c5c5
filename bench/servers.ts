// Starts a real Tether (SQLite in a temp data dir, dev mode for http://127.0.0.1 targets) with the
// example UserService mounted, and an admin client to configure it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { ActionService } from "../gen/zitadel/action/v2/action_service_pb.js";
import { UserSchema, UserService } from "../gen/tether/example/v1/user_service_pb.js";
import { createUserService } from "../examples/user-service/service.js";
import { loadConfig } from "../src/config.js";
import { createLogger } from "../src/log.js";
import { hostService } from "../src/routes.js";
import { startTether } from "../src/tether.js";

/** A running bench server. */
export interface BenchServer {
  url: string;
  token: string;
  admin: ReturnType<typeof createClient<typeof ActionService>>;
  close(): Promise<void>;
}

/** `executions: false` serves the same app without the execution interceptor (the throughput baseline). */
export async function startBenchServer(executions: boolean): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "tether-bench-"));
  const env = { TETHER_PORT: "0", TETHER_HOST: "127.0.0.1", TETHER_DATA_DIR: dataDir, TETHER_DEV: "1", TETHER_LOG_LEVEL: "silent" };
  const users = createUserService();
  users.users.set("1", create(UserSchema, { userId: "1", username: "bench", email: "bench@example.com", givenName: "Ben", familyName: "Ch" }));
  const tether = await startTether(loadConfig(env), createLogger({ level: "silent" }), {
    hostServices: [hostService(UserService, users)],
    executions,
  });
  const token = tether.newAdminToken;
  if (!token) throw new Error("a fresh data dir must yield an admin token");
  const auth: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  // HTTP/1.1 for the few admin calls: nothing to tear down beyond what the server's close() ends.
  const admin = createClient(ActionService, createConnectTransport({ baseUrl: tether.url, httpVersion: "1.1", interceptors: [auth] }));
  return {
    url: tether.url,
    token,
    admin,
    async close() {
      try {
        await tether.close();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}
