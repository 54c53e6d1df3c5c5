import { afterEach, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Writable } from "node:stream";
import { Code, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { ActionService } from "../../gen/zitadel/action/v2/action_service_pb.js";
import type { ConditionSchema } from "../../gen/zitadel/action/v2/execution_pb.js";
import { startTestTether } from "../helpers/tether-server.js";
import { startRecordingTarget } from "../helpers/recording-target.js";
import { loopbackOnlyHttpClient } from "../helpers/loopback-http.js";
import { expectCode } from "../helpers/expect-code.js";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { startTether } from "../../src/tether.js";

type Condition = MessageInitShape<typeof ConditionSchema>;
const onAllRequests: Condition = { conditionType: { case: "request", value: { condition: { case: "all", value: true } } } };
const onAllEvents: Condition = { conditionType: { case: "event", value: { condition: { case: "all", value: true } } } };
const onFunction: Condition = { conditionType: { case: "function", value: { name: "preuserinfo" } } };

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Registers `stop` for cleanup and returns it made idempotent, so a test may also stop early. */
function stopOnce<T>(stop: () => Promise<T>): () => Promise<void> {
  let stopped: Promise<unknown> | undefined;
  const run = async () => {
    stopped ??= stop();
    await stopped;
  };
  cleanups.push(run);
  return run;
}

function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "tether-lockout-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A 127.0.0.1 port nothing listens on: bound by the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function adminClient(url: string, token: string) {
  const auth: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  return createClient(ActionService, createConnectTransport({ baseUrl: url, httpVersion: "1.1", interceptors: [auth] }));
}

/** Starts a dev server over `dataDir` and locks it: a request execution on all with an interrupting target that is down. */
async function lockedServer(dataDir: string) {
  const server = await startTestTether({ TETHER_DEV: "true" }, dataDir);
  const stop = stopOnce(() => server.stop(true));
  const token = server.token!;
  const admin = adminClient(server.url, token);
  const down = await admin.createTarget({
    name: "down",
    targetType: { case: "restCall", value: { interruptOnError: true } },
    timeout: { seconds: 2n },
    endpoint: `http://127.0.0.1:${await closedPort()}/`,
  });
  await admin.setExecution({ condition: onAllRequests, targets: [down.id] });
  await expectCode(admin.listTargets({}), Code.Unknown, /"down".*unreachable/);
  // The way out through the API is locked too: removing the execution is itself an RPC.
  await expectCode(admin.setExecution({ condition: onAllRequests, targets: [] }), Code.Unknown, /unreachable/);
  return { server, stop, token, admin, downId: down.id };
}

const execFileAsync = promisify(execFile);

/** Runs the admin CLI as its own process, as an operator would (tsx loader, the repo's Node). */
async function adminCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, ["--import", "tsx", "src/cli/admin.ts", ...args], { env: { ...process.env, TETHER_DATA_DIR: "" } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}

describe("no lock-out: an interrupting request execution on all whose target is down", () => {
  it("is undone by a restart with TETHER_EXECUTIONS=off, which warns loudly at start", async () => {
    const dataDir = tempDataDir();
    const locked = await lockedServer(dataDir);
    await locked.stop();

    const lines: string[] = [];
    const destination = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) });
    const config = loadConfig({ TETHER_PORT: "0", TETHER_HOST: "127.0.0.1", TETHER_DATA_DIR: dataDir, TETHER_DEV: "true", TETHER_EXECUTIONS: "off" });
    const glass = await startTether(config, createLogger({ level: "warn", destination }), { http: loopbackOnlyHttpClient(true) });
    const closeGlass = stopOnce(() => glass.close());
    const warning = lines.map((l) => JSON.parse(l) as { level: number; msg: string; executions?: string }).find((l) => l.executions === "off");
    expect(warning).toMatchObject({ level: 40, msg: expect.stringMatching(/^EXECUTIONS DISABLED/) });
    const admin = adminClient(glass.url, locked.token);
    await expect(admin.listTargets({})).resolves.toMatchObject({ targets: [{ id: locked.downId }] });
    await admin.setExecution({ condition: onAllRequests, targets: [] });
    expect((await admin.listExecutions({})).executions).toEqual([]);
    await closeGlass();

    const normal = await startTestTether({ TETHER_DEV: "true" }, dataDir);
    stopOnce(() => normal.stop(true));
    await expect(adminClient(normal.url, locked.token).listTargets({})).resolves.toMatchObject({ targets: [{ id: locked.downId }] });
  });

  it("is undone on the running server by the admin CLI: list shows it, clear removes it, the next RPC succeeds", async () => {
    const dataDir = tempDataDir();
    const { server, admin, downId } = await lockedServer(dataDir);

    const list = await adminCli(["executions", "list", "--data-dir", dataDir]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^request  \\(changed .*\\)\\n  1\\. down \\[call, interrupts on error\\] http://127\\.0\\.0\\.1:\\d+/ \\(id ${downId}\\)$`, "m"));
    const json = await adminCli(["executions", "list", "--json", "-d", dataDir]);
    expect(JSON.parse(json.stdout)).toMatchObject({ executions: [{ condition: "request", targets: [{ id: downId, name: "down" }] }] });

    const clear = await adminCli(["executions", "clear", "request", "--data-dir", dataDir]);
    expect(clear).toEqual({ code: 0, stdout: "cleared request\nA running server uses the change on its next RPC.\n", stderr: "" });
    await expect(admin.listTargets({})).resolves.toMatchObject({ targets: [{ id: downId }] });
    const removed = server.app.stores.events.readAfter(0, 1000).filter((e) => e.type === "execution.removed");
    expect(removed).toMatchObject([{ aggregateType: "execution", aggregateId: "request", creator: "tether-admin-cli", payload: { targets: [] } }]);
  });

  it("the CLI clears everything with --all and reports usage errors and failures by exit code", async () => {
    const dataDir = tempDataDir();
    const { admin } = await lockedServer(dataDir);
    expect(await adminCli(["executions", "frobnicate"])).toMatchObject({ code: 2, stdout: "", stderr: expect.stringMatching(/^tether-admin: unknown executions command "frobnicate"/) });
    expect(await adminCli(["executions", "clear", "response", "-d", dataDir])).toMatchObject({ code: 1, stderr: expect.stringMatching(/no execution is set for "response"/) });
    expect(await adminCli(["executions", "list", "-d", join(dataDir, "missing")])).toMatchObject({ code: 1, stderr: expect.stringMatching(/does not exist/) });
    await expectCode(admin.listTargets({}), Code.Unknown, /unreachable/);

    expect(await adminCli(["executions", "clear", "--all", "-d", dataDir])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^cleared request\n/) });
    await expect(admin.listExecutions({})).resolves.toMatchObject({ executions: [] });
  });
});

describe("TETHER_EXECUTIONS=off", () => {
  it("matches no event or function, while jobs queued before the restart are still delivered", async () => {
    const dataDir = tempDataDir();
    const receiver = await startRecordingTarget();
    cleanups.push(() => receiver.close());
    // First run: an event execution on all, but no worker, so its jobs stay queued across the restart.
    const first = await startTestTether({ TETHER_DEV: "true" }, dataDir, { delivery: { worker: false } });
    const stopFirst = stopOnce(() => first.stop(true));
    const token = first.token!;
    let admin = adminClient(first.url, token);
    const audit = await admin.createTarget({ name: "audit", targetType: { case: "restWebhook", value: {} }, timeout: { seconds: 2n }, endpoint: receiver.url("/events") });
    const down = await admin.createTarget({
      name: "down",
      targetType: { case: "restCall", value: { interruptOnError: true } },
      timeout: { seconds: 2n },
      endpoint: `http://127.0.0.1:${await closedPort()}/`,
    });
    await admin.setExecution({ condition: onFunction, targets: [down.id] });
    await admin.setExecution({ condition: onAllEvents, targets: [audit.id] });
    await admin.createTarget({ name: "queued", targetType: { case: "restWebhook", value: {} }, timeout: { seconds: 2n }, endpoint: "https://hooks.example.net/q" });
    await expectCode(first.app.engine.runFunction("preuserinfo", {}), Code.Unknown, /unreachable/);
    const queued = first.app.stores.deliveries.stats().pending;
    expect(queued).toBe(2); // the execution.set of the event execution itself, and target.added of "queued"
    await stopFirst();

    const off = await startTestTether({ TETHER_DEV: "true", TETHER_EXECUTIONS: "off" }, dataDir);
    stopOnce(() => off.stop(true));
    admin = adminClient(off.url, token);
    await admin.createTarget({ name: "unmatched", targetType: { case: "restWebhook", value: {} }, timeout: { seconds: 2n }, endpoint: "https://hooks.example.net/u" });
    await expect(off.app.engine.runFunction("preuserinfo", { userinfo: { sub: "u1" } })).resolves.toEqual({});
    await receiver.waitFor((calls) => calls.length >= queued);
    const delivered = receiver.on("/events").map((c) => (JSON.parse(c.body.toString()) as { event_type: string }).event_type);
    expect(delivered.sort()).toEqual(["execution.set", "target.added"]);
    // The worker records the outcome after the receiver answered: poll, bounded.
    const deadline = Date.now() + 5000;
    while (off.app.stores.deliveries.stats().delivered < queued && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(off.app.stores.deliveries.stats()).toMatchObject({ pending: 0, inFlight: 0, delivered: 2, dead: 0 });
  });
});
