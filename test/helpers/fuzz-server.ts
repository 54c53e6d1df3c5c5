// A real Tether for the fuzz suite: SQLite file in a temp dir, error logs recorded, a pool of existing ids.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DescService } from "@bufbuild/protobuf";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { startTether, type RunningTether } from "../../src/tether.js";
import { ActionService } from "../../gen/zitadel/action/v2/action_service_pb.js";
import { PayloadType } from "../../gen/zitadel/action/v2/target_pb.js";
import { loopbackOnlyHttpClient } from "./loopback-http.js";

/** Ids that exist when fuzzing starts, so generated requests reach the stores and not only validation. */
export interface FuzzPool {
  targetIds: string[];
  keyIds: string[];
  targetNames: string[];
  deliveryIds: string[];
}

/** A running fuzz server. */
export interface FuzzServer {
  url: string;
  token: string;
  /** The SQLite file, for read-only consistency checks. */
  dbPath: string;
  /** The services the server mounts (every RPC of these is fuzzed). */
  services: readonly DescService[];
  pool: FuzzPool;
  /** Error-level log lines written so far (unexpected errors, handler failures). */
  errorLogs: string[];
  stop(): Promise<void>;
}

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));

/**
 * Starts Tether on 127.0.0.1:0 without request/response executions (a fuzzed SetExecution must not make
 * later RPCs call unreachable targets), then creates targets, keys and an event execution for the pool.
 */
export async function startFuzzServer(env: Record<string, string> = {}): Promise<FuzzServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "tether-fuzz-"));
  const errorLogs: string[] = [];
  const destination = {
    write(line: string) {
      if ((JSON.parse(line) as { level: number }).level >= 50) errorLogs.push(line);
    },
  };
  const config = loadConfig({ TETHER_PORT: "0", TETHER_HOST: "127.0.0.1", TETHER_DATA_DIR: dataDir, ...env });
  let tether: RunningTether;
  try {
    tether = await startTether(config, createLogger({ level: "error", destination }), { http: loopbackOnlyHttpClient(config.dev), executions: false });
  } catch (e) {
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  const token = tether.newAdminToken ?? "";
  const pool = await createPool(tether.url, token);
  return {
    url: tether.url,
    token,
    dbPath: join(dataDir, "tether.db"),
    services: tether.app.services,
    pool,
    errorLogs,
    async stop() {
      await tether.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function createPool(baseUrl: string, token: string): Promise<FuzzPool> {
  const bearer: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  const client = createClient(ActionService, createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors: [bearer] }));
  const targets = [
    { name: "pool-webhook", targetType: { case: "restWebhook", value: { interruptOnError: true } }, payloadType: PayloadType.JSON },
    { name: "pool-call", targetType: { case: "restCall", value: {} }, payloadType: PayloadType.JWT },
    { name: "pool-async", targetType: { case: "restAsync", value: {} }, payloadType: PayloadType.JWE },
  ] as const;
  const targetIds: string[] = [];
  for (const t of targets) targetIds.push((await client.createTarget({ ...t, timeout: { seconds: 1n }, endpoint: `https://hooks.example.net/${t.name}` })).id);
  const jweTarget = targetIds[2]!;
  const keyIds: string[] = [];
  for (const name of ["ec.pub", "rsa.pub"]) keyIds.push((await client.addPublicKey({ targetId: jweTarget, publicKey: fixture(name) })).keyId);
  await client.activatePublicKey({ targetId: jweTarget, keyId: keyIds[0]! });
  // Every change the fuzzer makes enqueues an event delivery, so the Delivery Service has real rows.
  await client.setExecution({ condition: { conditionType: { case: "event", value: { condition: { case: "all", value: true } } } }, targets: [jweTarget] });
  await client.setExecution({ condition: { conditionType: { case: "function", value: { name: "preuserinfo" } } }, targets: targetIds });
  const deliveryIds = await listDeliveryIds(baseUrl, token);
  return { targetIds, keyIds, targetNames: targets.map((t) => t.name), deliveryIds };
}

async function listDeliveryIds(baseUrl: string, token: string): Promise<string[]> {
  const res = await fetch(`${baseUrl}/v1/deliveries/search`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: "{}" });
  const json = (await res.json()) as { deliveries?: { id: string }[] };
  return (json.deliveries ?? []).map((d) => d.id);
}
