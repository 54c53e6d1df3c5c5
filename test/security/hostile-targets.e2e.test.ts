import type { Socket } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ConditionSchema } from "../../gen/zitadel/action/v2/execution_pb.js";
import { createTargetHttpClient } from "../../src/execution/http-client.js";
import type { Delivery, DeliveryAttempt } from "../../src/domain/delivery.js";
import { engineFixture, onMethod, type Kind } from "../helpers/engine-fixture.js";
import { expectCode } from "../helpers/expect-code.js";
import { createNetworkGuard } from "../helpers/guarded-network.js";
import { startHostileTarget, type HostileBehaviour, type HostileTarget } from "../helpers/hostile-target.js";

// A real dev-mode Tether (TETHER_DEV=1) calling raw TCP targets on 127.0.0.1 that misbehave. Timeouts are
// small; upper bounds are the target timeout plus 1.5 s, generous enough for a loaded two-core box.

const TIMEOUT_MS = 300;
const MARGIN_MS = 1500;
const CAP = 1024 * 1024;
const ann = { username: "ann", email: "ann@example.com", givenName: "Ann" };
const onEvent = (event: string) =>
  ({ conditionType: { case: "event", value: { condition: { case: "event", value: event } } } }) as MessageInitShape<typeof ConditionSchema>;

/** TCP and TLS handles (sockets, servers, pending connects) this process holds. */
const netHandles = () => process.getActiveResourcesInfo().filter((r) => /^(TCP|TLS)/.test(r));
const handlesBefore = netHandles().length;
// Every socket and server this file opens, on either side, must be gone by its end.
afterAll(async () => {
  const deadline = Date.now() + 3000;
  while (netHandles().length > handlesBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(netHandles()).toHaveLength(handlesBefore);
});

let f: Awaited<ReturnType<typeof engineFixture>>;
const guard = createNetworkGuard();
/** Every socket Tether opened to a target, to read how many bytes it took in. */
const clientSockets: Socket[] = [];
let hostile: HostileTarget | undefined;

async function startFixture() {
  const http = createTargetHttpClient({
    dev: true,
    lookup: guard.lookup,
    dial: (target) => {
      const socket = guard.dial(target);
      clientSockets.push(socket);
      return socket;
    },
  });
  f = await engineFixture({ http });
}

afterEach(async () => {
  await hostile?.close();
  hostile = undefined;
  expect(guard.violations).toEqual([]);
});

/** Points a fresh hostile target, as a `kind` target, at AddHumanUser's request execution. */
async function hostileOnAddUser(behaviour: HostileBehaviour, kind: Kind, interrupt: boolean, timeoutMs = TIMEOUT_MS) {
  hostile = await startHostileTarget(behaviour);
  const { id } = await f.mkTarget("/hostile", kind, { interrupt, timeoutMs, endpoint: hostile.url() });
  await f.setExecution(onMethod("request", "AddHumanUser"), [id]);
  return { h: hostile, targetId: id };
}

/** Runs `call`, returning how long it took and its error (undefined on success). */
async function timed(call: Promise<unknown>): Promise<{ ms: number; error?: ConnectError }> {
  const started = performance.now();
  try {
    await call;
    return { ms: performance.now() - started };
  } catch (e) {
    if (!(e instanceof ConnectError)) throw e;
    return { ms: performance.now() - started, error: e };
  }
}

const late = (body: string): HostileBehaviour => ({ kind: "answer", delayMs: TIMEOUT_MS + 900, body });

/** [what, behaviour, code with interrupt, message, connections a well-formed exchange may leave pooled]. */
const TRANSPORT_CASES: Array<[string, HostileBehaviour, Code, RegExp, number]> = [
  ["never answers", { kind: "silent" }, Code.Unknown, /timed out/, 0],
  ["drips its headers byte by byte", { kind: "drip-headers" }, Code.Unknown, /timed out/, 0],
  ["sends headers, then drips the body byte by byte", { kind: "drip-body" }, Code.Unknown, /timed out/, 0],
  ["sends an endless body", { kind: "endless-body" }, Code.Unknown, /more than 1048576 bytes/, 0],
  ["sends endless headers", { kind: "endless-headers" }, Code.Unknown, /unreachable: .*Headers Overflow/, 0],
  ["resets the connection", { kind: "reset" }, Code.Unknown, /unreachable: .*ECONNRESET/, 0],
  ["answers something that is not HTTP", { kind: "garbage" }, Code.Unknown, /unreachable/, 0],
  ["closes before the declared body length", { kind: "truncated" }, Code.Unknown, /unreachable/, 0],
  ["answers 200 after the timeout", late('{"username":"late"}'), Code.Unknown, /timed out/, 0],
  ["answers 500", { kind: "answer", status: 500, body: "{}" }, Code.FailedPrecondition, /HTTP 500/, 1],
  ["redirects to the metadata address", { kind: "answer", status: 302, headers: { location: "http://169.254.169.254/latest/meta-data/" } }, Code.FailedPrecondition, /HTTP 302/, 1],
];

describe("hostile targets of a request execution", () => {
  beforeAll(startFixture);
  afterAll(() => f.close());

  describe.each(["webhook", "call"] as const)("as %s", (kind) => {
    it.each(TRANSPORT_CASES)("a target that %s fails an interrupting call in time", async (_what, behaviour, code, message, pooled) => {
      const { h } = await hostileOnAddUser(behaviour, kind, true);
      const before = f.store.size;
      const { ms, error } = await timed(f.users.addHumanUser(ann));
      expect(error, "the call should fail").toBeInstanceOf(ConnectError);
      expect(Code[error!.code], error!.rawMessage).toBe(Code[code]);
      expect(error!.rawMessage).toMatch(message);
      expect(ms).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
      expect(f.store.size).toBe(before); // the handler did not run
      expect(h.requests).toHaveLength(1);
      await h.waitForOpenConnections(pooled);
    });

    it.each(TRANSPORT_CASES)("a target that %s is skipped without interrupt, in time", async (_what, behaviour, _code, _message, pooled) => {
      const { h } = await hostileOnAddUser(behaviour, kind, false);
      const { ms, error } = await timed(f.users.addHumanUser(ann));
      expect(error).toBeUndefined();
      expect(ms).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
      expect([...f.store.values()].at(-1)).toMatchObject({ username: "ann" }); // nothing was applied
      await h.waitForOpenConnections(pooled);
    });
  });

  it.each([true, false])("a target that never completes the TLS handshake ends in time and leaves no socket open (interrupt %s)", async (interrupt) => {
    hostile = await startHostileTarget({ kind: "silent" });
    const { id } = await f.mkTarget("/tls", "webhook", { interrupt, timeoutMs: TIMEOUT_MS, endpoint: `https://127.0.0.1:${hostile.port}/hook` });
    await f.setExecution(onMethod("request", "AddHumanUser"), [id]);
    const { ms, error } = await timed(f.users.addHumanUser(ann));
    if (interrupt) expect(error?.rawMessage).toMatch(/timed out/);
    else expect(error).toBeUndefined();
    expect(ms).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
    expect(hostile.acceptedConnections()).toBe(1);
    // Regression: the half-open TLS connection used to stay until the client's 10 s connect timeout.
    await hostile.waitForOpenConnections(0, MARGIN_MS);
  });

  it("reads no more than about the 1 MiB cap of an endless body, and the target cannot write on", async () => {
    const { h } = await hostileOnAddUser({ kind: "endless-body" }, "call", true, 10_000);
    const known = clientSockets.length;
    await expectCode(f.users.addHumanUser(ann), Code.Unknown, /more than 1048576 bytes/);
    await h.waitForOpenConnections(0);
    const opened = clientSockets.slice(known);
    expect(opened).toHaveLength(1);
    // One read buffer past the cap at most; what sat in kernel buffers was discarded with the connection.
    expect(opened[0]!.bytesRead).toBeGreaterThan(CAP);
    expect(opened[0]!.bytesRead).toBeLessThan(CAP + 256 * 1024);
    const written = h.bytesWritten();
    expect(h.openConnections()).toBe(0);
    expect(h.bytesWritten()).toBe(written);
  });

  it("keeps a drip-fed target to its timeout even with a long caller deadline", async () => {
    const { h } = await hostileOnAddUser({ kind: "drip-body", intervalMs: 5 }, "webhook", true, 400);
    const { ms, error } = await timed(f.users.addHumanUser(ann, { timeoutMs: 30_000 }));
    expect(error?.code).toBe(Code.Unknown);
    expect(ms).toBeGreaterThanOrEqual(390);
    expect(ms).toBeLessThan(400 + MARGIN_MS);
    await h.waitForOpenConnections(0);
  });
});

/** rest_call answers that must not be applied: upstream decodes them with protojson, which refuses each. */
const BODY_CASES: Array<[string, string]> = [
  ["is not JSON", "{not json"],
  ["is cut off", '{"username":"ev'],
  ["adds an unknown field to known ones", '{"username":"evil","isAdmin":true}'],
  ["is the whole payload echoed back (another message shape)", '{"fullMethod":"/x","request":{"username":"evil"}}'],
  ["is the response message's shape", '{"userId":"1"}'],
  ["has a number for a string field", '{"username":42}'],
  ["has an object for a string field", '{"username":{"first":"evil"}}'],
  ["has an array for a string field", '{"email":["evil@example.com"]}'],
  ["is null", "null"],
  ["is an array", '[{"username":"evil"}]'],
  ["is a string", '"evil"'],
  ["has a __proto__ key", '{"__proto__":{"username":"evil","polluted":true},"email":"evil@example.com"}'],
  ["has a constructor.prototype key", '{"constructor":{"prototype":{"polluted":true}}}'],
  ["starts with a byte-order mark", '\uFEFF{"username":"evil"}'],
  ["nests arrays 400,000 deep (just under the 1 MiB cap)", `{"username":${"[".repeat(400_000)}${"]".repeat(400_000)}}`],
];

describe("rest_call answers that do not fit the message", () => {
  beforeAll(startFixture);
  afterAll(() => f.close());

  it.each(BODY_CASES)("an answer that %s fails an interrupting call with UNKNOWN and runs no handler", async (_what, body) => {
    const { h } = await hostileOnAddUser({ kind: "answer", body }, "call", true);
    const before = f.store.size;
    await expectCode(f.users.addHumanUser(ann), Code.Unknown, /does not fit/);
    expect(f.store.size).toBe(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await h.waitForOpenConnections(1);
  });

  it.each(BODY_CASES)("an answer that %s is ignored without interrupt: the handler sees the original request", async (_what, body) => {
    await hostileOnAddUser({ kind: "answer", body }, "call", false);
    const { userId } = await f.users.addHumanUser(ann);
    expect(f.store.get(userId)).toMatchObject(ann);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([true, false])("a response answer with a field of another type is refused (interrupt %s)", async (interrupt) => {
    const { userId } = await f.users.addHumanUser(ann);
    hostile = await startHostileTarget({ kind: "answer", body: '{"user":{"userId":"x","email":5}}' });
    const { id } = await f.mkTarget("/resp", "call", { interrupt, timeoutMs: TIMEOUT_MS, endpoint: hostile.url() });
    await f.setExecution(onMethod("response", "GetUser"), [id]);
    if (interrupt) await expectCode(f.users.getUser({ userId }), Code.Unknown, /does not fit/);
    else expect((await f.users.getUser({ userId })).user).toMatchObject({ userId, ...ann });
  });
});

/** [behaviour, the attempt outcome the outbox records, scheme]. */
const OUTBOX_CASES: Array<[HostileBehaviour, string, "http" | "https"]> = [
  [{ kind: "silent" }, "timeout", "http"],
  [{ kind: "silent" }, "timeout", "https"], // never completes the TLS handshake
  [{ kind: "drip-body" }, "timeout", "http"],
  [{ kind: "endless-body" }, "too_large", "http"],
  [{ kind: "reset" }, "unreachable", "http"],
  [{ kind: "garbage" }, "unreachable", "http"],
  [late("{}"), "timeout", "http"],
];

describe("hostile targets of the outbox worker", () => {
  beforeAll(startFixture);
  afterAll(() => f.close());

  const deliveries = () => f.server.app.stores.deliveries;
  const jobsOf = (targetId: string) => deliveries().list({ targetId, page: { offset: 0, limit: 10, asc: true } }).items;

  /** Waits (bounded) until `targetId` has a job for which `check` holds, and returns it with its attempt log. */
  async function jobOf(targetId: string, check: (job: Delivery & { attemptLog: DeliveryAttempt[] }) => boolean, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = jobsOf(targetId).map((j) => deliveries().get(j.id)!).find(check);
      if (job) return job;
      if (Date.now() > deadline) throw new Error(`no job of ${targetId} got there; have ${JSON.stringify(jobsOf(targetId).map((j) => [j.state, j.attempts]))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it.each(OUTBOX_CASES)("records every attempt at an event target that behaves as %j as %s (%s), retries it and gives up", async (behaviour, outcome, scheme) => {
    hostile = await startHostileTarget(behaviour);
    const hook = await f.mkTarget("/events", "webhook", { timeoutMs: TIMEOUT_MS, endpoint: `${scheme}://127.0.0.1:${hostile.port}/hook` });
    await f.setExecution(onEvent("target.changed"), [hook.id]);
    await f.admin.updateTarget({ id: hook.id, timeout: { seconds: 0n, nanos: (TIMEOUT_MS + 1) * 1_000_000 } });
    const job = await jobOf(hook.id, (j) => j.state === "dead");
    expect(job.attemptLog.map((a) => a.outcome)).toEqual([outcome, outcome, outcome, outcome]);
    for (const a of job.attemptLog) expect(a.latencyMs).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
    expect(hostile.acceptedConnections()).toBe(4);
    await hostile.waitForOpenConnections(0);
    await f.setExecution(onEvent("target.changed"), []);
  });

  it("keeps delivering to other targets while one hangs, and records the hung attempt once it ends", async () => {
    hostile = await startHostileTarget({ kind: "silent" });
    const stuck = await f.mkTarget("/stuck", "webhook", { timeoutMs: 20_000, endpoint: hostile.url() });
    const healthy = await f.mkTarget("/healthy", "webhook");
    await f.setExecution(onEvent("target.changed"), [stuck.id]);
    await f.setExecution(onEvent("target.removed"), [healthy.id]);
    await f.admin.updateTarget({ id: healthy.id, timeout: { seconds: 4n } });
    await jobOf(stuck.id, (j) => j.state === "in_flight");
    const victim = await f.mkTarget("/victim", "webhook");
    const started = Date.now();
    await f.admin.deleteTarget({ id: victim.id });
    await f.target.waitFor((r) => r.some((c) => c.path === "/healthy"), 3000);
    expect(Date.now() - started).toBeLessThan(MARGIN_MS * 2);
    expect(deliveries().get(jobsOf(stuck.id)[0]!.id)?.state).toBe("in_flight");
    await hostile.close(); // the hung attempt now fails at once instead of at its 20 s timeout
    const job = await jobOf(stuck.id, (j) => j.attemptLog.length >= 1);
    expect(job.attemptLog[0]).toMatchObject({ attempt: 1, outcome: "unreachable" });
    await f.setExecution(onEvent("target.changed"), []);
  });

  it("sends rest_async through the outbox: the caller does not wait, and failed attempts are retried", async () => {
    const { targetId } = await hostileOnAddUser({ kind: "silent" }, "async", false);
    const { ms, error } = await timed(f.users.addHumanUser(ann));
    expect(error).toBeUndefined();
    expect(ms).toBeLessThan(MARGIN_MS);
    const job = await jobOf(targetId, (j) => j.attemptLog.length >= 2);
    expect(jobsOf(targetId)).toHaveLength(1);
    expect(job.attemptLog.slice(0, 2).map((a) => a.outcome)).toEqual(["timeout", "timeout"]);
    expect(job.kind).toBe("async");
  });
});
