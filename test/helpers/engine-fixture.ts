import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHmac } from "node:crypto";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { ActionService } from "../../gen/zitadel/action/v2/action_service_pb.js";
import type { ConditionSchema } from "../../gen/zitadel/action/v2/execution_pb.js";
import { PayloadType } from "../../gen/zitadel/action/v2/target_pb.js";
import { UserService } from "../../gen/tether/example/v1/user_service_pb.js";
import { createUserService } from "../../examples/user-service/service.js";
import { startTestTether } from "./tether-server.js";
import type { StartOptions } from "../../src/tether.js";
import { hostService } from "../../src/routes.js";
import { startRecordingTarget } from "./recording-target.js";

type Condition = MessageInitShape<typeof ConditionSchema>;

/** A condition on one method of the example UserService (request or response). */
export const onMethod = (kind: "request" | "response", method: string): Condition =>
  ({ conditionType: { case: kind, value: { condition: { case: "method", value: `/tether.example.v1.UserService/${method}` } } } }) as Condition;
/** A condition on the whole example UserService. */
export const onService = (kind: "request" | "response"): Condition =>
  ({ conditionType: { case: kind, value: { condition: { case: "service", value: "tether.example.v1.UserService" } } } }) as Condition;
/** A condition on every method. */
export const onAll = (kind: "request" | "response"): Condition => ({ conditionType: { case: kind, value: { condition: { case: "all", value: true } } } }) as Condition;

/** The target kinds of CreateTarget. */
export type Kind = "webhook" | "call" | "async";

/** A dev-mode Tether with the example UserService mounted, an admin client, a user client and a recording target. */
export async function engineFixture(options: StartOptions = {}) {
  const users = createUserService();
  const server = await startTestTether({ TETHER_DEV: "1" }, mkdtempSync(join(tmpdir(), "tether-exec-")), {
    hostServices: [hostService(UserService, users)],
    // Fast retries so retry tests finish in well under a second per attempt.
    delivery: { policy: { scheduleMs: [50, 100, 200], maxAttempts: 4, maxAgeMs: 60_000, jitter: 0 } },
    ...options,
  });
  const target = await startRecordingTarget();
  const auth: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${server.token}`);
    return next(req);
  };
  const transport = createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", interceptors: [auth] });
  const admin = createClient(ActionService, transport);
  const userClient = createClient(UserService, transport);
  let n = 0;
  return {
    server,
    target,
    admin,
    users: userClient,
    store: users.users,
    /** Creates a target pointing at `path` on the recording target. */
    async mkTarget(path: string, kind: Kind, opts: { interrupt?: boolean; timeoutMs?: number; payloadType?: PayloadType; endpoint?: string } = {}) {
      const targetType =
        kind === "webhook"
          ? { case: "restWebhook" as const, value: { interruptOnError: opts.interrupt ?? false } }
          : kind === "call"
            ? { case: "restCall" as const, value: { interruptOnError: opts.interrupt ?? false } }
            : { case: "restAsync" as const, value: {} as Record<string, never> };
      const ms = opts.timeoutMs ?? 5000;
      return admin.createTarget({
        name: `t${++n}-${path}`,
        targetType,
        timeout: { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 },
        endpoint: opts.endpoint ?? target.url(path),
        payloadType: opts.payloadType ?? PayloadType.JSON,
      });
    },
    setExecution: (condition: Condition, targets: string[]) => admin.setExecution({ condition, targets }),
    async close() {
      await target.close();
      await server.stop();
    },
  };
}

/** Checks a ZITADEL-Signature header independently of Tether's code; returns the v1 values that match `key`. */
export function zitadelSignatureMatches(header: string | string[] | undefined, body: Buffer | string, key: string): boolean {
  if (typeof header !== "string") return false;
  const parts = Object.fromEntries(header.split(",").map((p) => p.split("=") as [string, string]).filter(([k]) => k === "t"));
  const v1 = header.split(",").filter((p) => p.startsWith("v1=")).map((p) => p.slice(3));
  const t = parts["t"];
  const expected = createHmac("sha256", key).update(`${t}.`).update(body).digest("hex");
  return v1.includes(expected);
}

/** Checks the seed-style X-ZITADEL-Signature header independently. */
export function legacySignatureMatches(header: string | string[] | undefined, body: Buffer | string, key: string): boolean {
  return header === `sha256=${createHmac("sha256", key).update(body).digest("hex")}`;
}
