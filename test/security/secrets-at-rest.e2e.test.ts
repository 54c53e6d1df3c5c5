import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ActionService } from "../../gen/zitadel/action/v2/action_service_pb.js";
import { PayloadType } from "../../gen/zitadel/action/v2/target_pb.js";
import { ADMIN_PAT_FILE } from "../../src/auth/pat.js";
import { decodeMasterKey, MASTER_KEY_FILE } from "../../src/crypto/master-key.js";
import { createSecretBox } from "../../src/crypto/secret-box.js";
import { INSTANCE_KEY_SECRET } from "../../src/execution/instance-key.js";
import { decryptJwePayload } from "../../src/receiver/jwt.js";
import { verifySignature } from "../../src/receiver/verify-signature.js";
import { openDatabase } from "../../src/store/db.js";
import { captureLogs } from "../helpers/log-capture.js";
import { startRecordingTarget, type Received } from "../helpers/recording-target.js";
import { masterKeyNeedle, privateJwkNeedle, readFilesBelow, scanBlobs, textNeedle, type Needle } from "../helpers/secret-scan.js";
import { startTestTether } from "../helpers/tether-server.js";

// A real server works with every kind of secret (signing keys created and rotated with and without grace,
// the instance key behind JWT and JWE payloads, the admin PAT, the master key); afterwards no file in the
// data directory and no log line may hold any of them in clear.

const SECRET_FILES = new Set([ADMIN_PAT_FILE, MASTER_KEY_FILE]);
const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");

const logs = captureLogs("debug");
const dataDir = mkdtempSync(join(tmpdir(), "tether-secrets-"));
const signingKeys: Array<{ label: string; key: string }> = [];
/** Keys a response target receives by design (the response it is shown carries them); they must still be sealed at rest. */
const responseKeys: Array<{ label: string; key: string }> = [];
let responseTargetSaw: string[];
let adminPat: string;
let whileRunning: Map<string, Uint8Array>;
let afterStop: Map<string, Uint8Array>;
let needles: Needle[];
let targetSaw: string[];

/** Everything a target could read from one call: headers, body, and the JSON inside a JWT or JWE body. */
async function visibleToTarget(call: Received): Promise<string> {
  const body = call.body.toString("utf8");
  const parts = body.split(".");
  const jwt = parts.length === 5 ? await decryptJwePayload(body, fixture("rsa.key")) : parts.length === 3 ? body : undefined;
  const payload = jwt === undefined ? "" : Buffer.from(jwt.split(".")[1]!, "base64url").toString("utf8");
  if (jwt !== undefined) expect(payload).toContain("fullMethod");
  return `${JSON.stringify(call.headers)}\n${body}\n${payload}`;
}

async function exercise(server: Awaited<ReturnType<typeof startTestTether>>, target: Awaited<ReturnType<typeof startRecordingTarget>>) {
  const auth: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${server.token}`);
    return next(req);
  };
  const client = createClient(ActionService, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", interceptors: [auth] }));
  const create = async (path: string, payloadType: PayloadType, async = false) => {
    const res = await client.createTarget({
      name: `secrets${path.replace("/", "-")}`,
      targetType: async ? { case: "restAsync", value: {} } : { case: "restWebhook", value: { interruptOnError: false } },
      timeout: { seconds: 5n },
      endpoint: target.url(path),
      payloadType,
    });
    signingKeys.push({ label: `signing key of ${path} (created)`, key: res.signingKey });
    return res.id;
  };
  const rotate = async (id: string, path: string, graceSeconds: bigint) => {
    const res = await client.updateTarget({ id, expirationSigningKey: { seconds: graceSeconds } });
    expect(res.signingKey).toMatch(/^[a-zA-Z0-9]{36}$/);
    signingKeys.push({ label: `signing key of ${path} (rotated, ${graceSeconds}s grace)`, key: res.signingKey! });
  };

  const json = await create("/json", PayloadType.JSON);
  const jwt = await create("/jwt", PayloadType.JWT);
  const jwe = await create("/jwe", PayloadType.JWE);
  const jwtAsync = await create("/jwt-async", PayloadType.JWT, true);
  const { keyId } = await client.addPublicKey({ targetId: jwe, publicKey: new TextEncoder().encode(fixture("rsa.pub")) });
  await client.activatePublicKey({ targetId: jwe, keyId });
  await rotate(json, "/json", 0n);
  await rotate(jwt, "/jwt", 3600n);
  await rotate(jwt, "/jwt", 60n);
  await rotate(jwe, "/jwe", 0n);
  await rotate(jwtAsync, "/jwt-async", 600n);

  const method = "/zitadel.action.v2.ActionService/ListExecutionFunctions";
  await client.setExecution({ condition: { conditionType: { case: "request", value: { condition: { case: "method", value: method } } } }, targets: [json, jwt, jwe, jwtAsync] });
  await client.listExecutionFunctions({});
  await client.listExecutionFunctions({});
  await target.waitFor((all) => ["/json", "/jwt", "/jwe", "/jwt-async"].every((p) => all.filter((r) => r.path === p).length >= 2));

  // A response execution with an async target on CreateTarget/UpdateTarget: the response payload, which
  // holds the new signing key, waits in the outbox. It must be sealed there.
  const audit = await create("/responses", PayloadType.JSON, true);
  for (const m of ["CreateTarget", "UpdateTarget"]) {
    const value = `/zitadel.action.v2.ActionService/${m}`;
    await client.setExecution({ condition: { conditionType: { case: "response", value: { condition: { case: "method", value } } } }, targets: [audit] });
  }
  const created = await client.createTarget({ name: "secrets-after", targetType: { case: "restWebhook", value: {} }, timeout: { seconds: 5n }, endpoint: target.url("/after") });
  const rotated = await client.updateTarget({ id: created.id, expirationSigningKey: { seconds: 0n } });
  responseKeys.push({ label: "signing key in a CreateTarget response payload", key: created.signingKey }, { label: "signing key in an UpdateTarget response payload", key: rotated.signingKey! });
  await target.waitFor((all) => all.filter((r) => r.path === "/responses").length >= 2);
  return { client, keysInUse: signingKeys.map((k) => k.key) };
}

beforeAll(async () => {
  const target = await startRecordingTarget();
  const server = await startTestTether({ TETHER_DEV: "1", TETHER_LOG_LEVEL: "debug" }, dataDir, { logger: logs.logger });
  try {
    adminPat = server.token!;
    const { keysInUse } = await exercise(server, target);
    // Every call was really signed with keys this test knows, so the needles below are the live secrets.
    for (const call of target.received) expect(verifySignature(call.headers["zitadel-signature"], call.body, keysInUse).ok).toBe(true);
    const published = (await (await fetch(`${server.url}/oauth/v2/keys`)).json()) as { keys: unknown[] };
    expect(published.keys.length).toBeGreaterThan(0);
    whileRunning = readFilesBelow(dataDir, SECRET_FILES, "running: ");
    targetSaw = await Promise.all(target.received.filter((c) => c.path !== "/responses").map(visibleToTarget));
    responseTargetSaw = await Promise.all(target.received.filter((c) => c.path === "/responses").map(visibleToTarget));
  } finally {
    await server.stop(true);
    await target.close();
  }
  afterStop = readFilesBelow(dataDir, SECRET_FILES, "stopped: ");

  const masterKey = decodeMasterKey(readFileSync(join(dataDir, MASTER_KEY_FILE), "utf8"))!;
  const db = openDatabase({ path: join(dataDir, "tether.db") });
  const sealed = db.prepare<[string], { value_enc: string }>("SELECT value_enc FROM secrets WHERE name = ?").get(INSTANCE_KEY_SECRET);
  db.close();
  expect(sealed, "the JWT payloads created the instance key").toBeDefined();
  const instanceKey = JSON.parse(createSecretBox(masterKey).open(sealed!.value_enc, INSTANCE_KEY_SECRET)) as { jwk: Record<string, unknown> };
  needles = [
    ...signingKeys.map((k) => textNeedle(k.label, k.key)),
    textNeedle("admin PAT", adminPat),
    textNeedle("admin PAT's random part", adminPat.slice("tether_pat_".length)),
    masterKeyNeedle(masterKey),
    privateJwkNeedle("instance private key", instanceKey.jwk),
    ...responseKeys.map((k) => textNeedle(k.label, k.key)),
  ];
});

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe("secrets at rest", () => {
  it("gathered every secret: 5 created and 5 rotated signing keys, 2 more in response payloads, the PAT, the master key and the instance key", () => {
    expect(new Set(signingKeys.map((k) => k.key)).size).toBe(10);
    expect(new Set(responseKeys.map((k) => k.key)).size).toBe(2);
    expect(needles).toHaveLength(16);
  });

  it("delivered the response payloads holding signing keys through the outbox, where they were sealed", () => {
    const seen = scanBlobs(new Map(responseTargetSaw.map((text, i) => [`response call ${i}`, Buffer.from(text)])), needles).map((f) => f.label);
    expect(seen.sort()).toEqual(responseKeys.map((k) => k.label).sort());
  });

  it("would find a secret in clear: the scan sees the PAT in admin.pat and the master key in master.key", () => {
    const secretFiles = readFilesBelow(dataDir, new Set(["tether.db", "tether.db-wal", "tether.db-shm"]));
    expect(scanBlobs(secretFiles, needles).map((f) => `${f.label} in ${f.where}`).sort()).toEqual(
      ["admin PAT in admin.pat", "admin PAT's random part in admin.pat", "master key in master.key"],
    );
  });

  it("scanned the database with its WAL and shared-memory files while the server ran, and the files left after it stopped", () => {
    expect([...whileRunning.keys()]).toEqual(expect.arrayContaining(["running: tether.db", "running: tether.db-wal", "running: tether.db-shm"]));
    expect([...afterStop.keys()]).toContain("stopped: tether.db");
    expect([...whileRunning.values()].reduce((n, b) => n + b.byteLength, 0)).toBeGreaterThan(10_000);
  });

  it("finds no secret in clear in any data file, running or stopped", () => {
    expect(scanBlobs(new Map([...whileRunning, ...afterStop]), needles)).toEqual([]);
  });

  it("finds no secret in the debug log, which did record the target calls", () => {
    expect(logs.records(/target called/).length).toBeGreaterThanOrEqual(6);
    expect(scanBlobs(new Map([["log", Buffer.from(logs.text())]]), needles)).toEqual([]);
  });

  it("never hands the caller's token or another secret to a target, in JSON, JWT or JWE payloads or in headers", () => {
    expect(targetSaw.length).toBeGreaterThanOrEqual(8);
    expect(scanBlobs(new Map(targetSaw.map((text, i) => [`call ${i}`, Buffer.from(text)])), needles)).toEqual([]);
  });

  it("keeps admin.pat and master.key readable by the owner only, holding exactly their secrets", () => {
    for (const name of SECRET_FILES) expect((statSync(join(dataDir, name)).mode & 0o777).toString(8), name).toBe("600");
    expect(readFileSync(join(dataDir, ADMIN_PAT_FILE), "utf8").trim()).toBe(adminPat);
  });
});
