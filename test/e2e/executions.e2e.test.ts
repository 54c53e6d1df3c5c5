import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { engineFixture, legacySignatureMatches, onAll, onMethod, onService, zitadelSignatureMatches } from "../helpers/engine-fixture.js";
import { expectCode } from "../helpers/expect-code.js";

let f: Awaited<ReturnType<typeof engineFixture>>;
beforeEach(async () => {
  f = await engineFixture();
});
afterEach(async () => {
  await f.close();
});

const ann = { username: "ann", email: "ann@example.com", givenName: "Ann" };

describe("request executions", () => {
  it("POSTs the payload in upstream shape with both signature headers, verified independently", async () => {
    const { id, signingKey } = await f.mkTarget("/hook", "webhook");
    await f.setExecution(onMethod("request", "AddHumanUser"), [id]);
    await f.users.addHumanUser(ann);
    const [call] = f.target.on("/hook");
    expect(call).toBeDefined();
    const text = call!.body.toString();
    const payload = JSON.parse(text);
    expect(Object.keys(payload)).toEqual(["fullMethod", "instanceID", "userID", "request", "headers"]);
    expect(payload).toMatchObject({
      fullMethod: "/tether.example.v1.UserService/AddHumanUser",
      instanceID: "tether",
      userID: "admin",
      request: { username: "ann", email: "ann@example.com", givenName: "Ann" },
      headers: { "Content-Type": ["application/proto"], Host: [`127.0.0.1:${f.server.port}`] }, // the client speaks Connect binary
    });
    expect(text).not.toMatch(/authorization|Bearer/i);
    expect(call!.headers["content-type"]).toBe("application/json");
    expect(zitadelSignatureMatches(call!.headers["zitadel-signature"], call!.body, signingKey)).toBe(true);
    expect(legacySignatureMatches(call!.headers["x-zitadel-signature"], call!.body, signingKey)).toBe(true);
    expect(f.store.size).toBe(1);
  });

  it.each([
    ["webhook", true],
    ["call", true],
  ] as const)("a failing %s with interrupt stops the call before the handler (FAILED_PRECONDITION)", async (kind, interrupt) => {
    f.target.respond("/fail", { status: 500 });
    const { id } = await f.mkTarget("/fail", kind, { interrupt });
    await f.setExecution(onMethod("request", "AddHumanUser"), [id]);
    await expectCode(f.users.addHumanUser(ann), Code.FailedPrecondition, /HTTP 500/);
    expect(f.store.size).toBe(0);
  });

  it.each(["webhook", "call", "async"] as const)("a failing %s without interrupt lets the call through", async (kind) => {
    f.target.respond("/fail", { status: 503 });
    const { id } = await f.mkTarget("/fail", kind, { interrupt: false });
    await f.setExecution(onMethod("request", "AddHumanUser"), [id]);
    await f.users.addHumanUser(ann);
    expect(f.store.size).toBe(1);
    await f.target.waitFor((r) => r.length === 1);
  });

  it("a rest_call answer replaces the request the handler sees, and the next target sees it too", async () => {
    f.target.respond("/one", { body: JSON.stringify({ username: "one", email: "ann@example.com" }) });
    f.target.respond("/two", (_req, body, res) => {
      const seen = JSON.parse(body.toString()).request;
      res.end(JSON.stringify({ ...seen, username: `${seen.username}-two` }));
    });
    const one = await f.mkTarget("/one", "call");
    const two = await f.mkTarget("/two", "call");
    await f.setExecution(onMethod("request", "AddHumanUser"), [one.id, two.id]);
    const { userId } = await f.users.addHumanUser(ann);
    expect(f.store.get(userId)).toMatchObject({ username: "one-two", email: "ann@example.com", givenName: "" });
    expect(f.target.received.map((r) => r.path)).toEqual(["/one", "/two"]);
  });

  it("an empty 2xx body from rest_call changes nothing", async () => {
    const { id } = await f.mkTarget("/empty", "call", { interrupt: true });
    await f.setExecution(onMethod("request", "AddHumanUser"), [id]);
    const { userId } = await f.users.addHumanUser(ann);
    expect(f.store.get(userId)?.username).toBe("ann");
  });

  it("a rest_call body that does not fit the message fails with interrupt and is ignored without", async () => {
    f.target.respond("/bad", { body: '{"nope":1}' });
    const strict = await f.mkTarget("/bad", "call", { interrupt: true });
    await f.setExecution(onMethod("request", "AddHumanUser"), [strict.id]);
    await expectCode(f.users.addHumanUser(ann), Code.Unknown, /does not fit/);
    const lenient = await f.mkTarget("/bad", "call", { interrupt: false });
    await f.setExecution(onMethod("request", "AddHumanUser"), [lenient.id]);
    const { userId } = await f.users.addHumanUser(ann);
    expect(f.store.get(userId)?.username).toBe("ann");
  });

  it.each([
    [400, Code.InvalidArgument],
    [401, Code.Unauthenticated],
    [403, Code.PermissionDenied],
    [404, Code.NotFound],
    [409, Code.AlreadyExists],
    [429, Code.ResourceExhausted],
    [418, Code.Unknown],
    [500, Code.FailedPrecondition],
  ])("maps a forwarded %i to %s with the forwarded message", async (status, code) => {
    f.target.respond("/fwd", { body: JSON.stringify({ forwardedStatusCode: status, forwardedErrorMessage: "email domain not allowed" }) });
    const { id } = await f.mkTarget("/fwd", "webhook", { interrupt: true });
    await f.setExecution(onMethod("request", "AddHumanUser"), [id]);
    await expectCode(f.users.addHumanUser(ann), code, /^email domain not allowed$/);
    expect(f.store.size).toBe(0);
  });

  it("fails a target slower than its timeout with UNKNOWN, within the timeout", async () => {
    f.target.respond("/slow", { delayMs: 2000 });
    const { id } = await f.mkTarget("/slow", "webhook", { interrupt: true, timeoutMs: 150 });
    await f.setExecution(onMethod("request", "AddHumanUser"), [id]);
    const started = Date.now();
    await expectCode(f.users.addHumanUser(ann), Code.Unknown, /timed out/);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it("ends a slow target's call at the caller's deadline, not the target's timeout", async () => {
    f.target.respond("/slow", { delayMs: 5000 });
    const { id } = await f.mkTarget("/slow", "webhook", { interrupt: true, timeoutMs: 10_000 });
    await f.setExecution(onMethod("request", "AddHumanUser"), [id]);
    const started = Date.now();
    await expectCode(f.users.addHumanUser(ann, { timeoutMs: 300 }), Code.DeadlineExceeded);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(f.store.size).toBe(0);
  });

  it("fails an unreachable target with UNKNOWN", async () => {
    const closed = await (await import("../helpers/recording-target.js")).startRecordingTarget();
    const endpoint = closed.url("/gone");
    await closed.close();
    const { id } = await f.mkTarget("/gone", "webhook", { interrupt: true, endpoint });
    await f.setExecution(onMethod("request", "AddHumanUser"), [id]);
    await expectCode(f.users.addHumanUser(ann), Code.Unknown, /unreachable/);
  });

  it("fails a too-large answer with UNKNOWN", async () => {
    f.target.respond("/huge", { body: Buffer.alloc(3 * 1024 * 1024, 0x20) });
    const { id } = await f.mkTarget("/huge", "call", { interrupt: true });
    await f.setExecution(onMethod("request", "AddHumanUser"), [id]);
    await expectCode(f.users.addHumanUser(ann), Code.Unknown, /more than/);
  });

  it("does not wait for rest_async", async () => {
    f.target.respond("/async", { delayMs: 1500, status: 500 });
    const { id } = await f.mkTarget("/async", "async");
    await f.setExecution(onMethod("request", "AddHumanUser"), [id]);
    const started = Date.now();
    await f.users.addHumanUser(ann);
    expect(Date.now() - started).toBeLessThan(1000);
    await f.target.waitFor((r) => r.length === 1);
  });

  it("intercepts the Action Service's own RPCs", async () => {
    const { id } = await f.mkTarget("/own", "webhook");
    await f.setExecution({ conditionType: { case: "request", value: { condition: { case: "method", value: "/zitadel.action.v2.ActionService/ListExecutionFunctions" } } } }, [id]);
    await f.admin.listExecutionFunctions({});
    expect(JSON.parse(f.target.on("/own")[0]!.body.toString()).fullMethod).toBe("/zitadel.action.v2.ActionService/ListExecutionFunctions");
  });
});

describe("response executions", () => {
  it("a rest_call answer replaces the response the caller gets; the payload carries request and response", async () => {
    const { userId } = await f.users.addHumanUser(ann);
    f.target.respond("/resp", (_req, body, res) => {
      const p = JSON.parse(body.toString());
      res.end(JSON.stringify({ user: { ...p.response.user, email: "hidden@example.com" } }));
    });
    const { id } = await f.mkTarget("/resp", "call");
    await f.setExecution(onMethod("response", "GetUser"), [id]);
    const { user } = await f.users.getUser({ userId });
    expect(user?.email).toBe("hidden@example.com");
    const payload = JSON.parse(f.target.on("/resp")[0]!.body.toString());
    expect(Object.keys(payload)).toEqual(["fullMethod", "instanceID", "userID", "request", "response", "headers"]);
    expect(payload.request).toEqual({ userId });
  });

  it("an interrupting response target returns an error although the change was committed", async () => {
    f.target.respond("/after", { status: 500 });
    const { id } = await f.mkTarget("/after", "webhook", { interrupt: true });
    await f.setExecution(onMethod("response", "AddHumanUser"), [id]);
    await expectCode(f.users.addHumanUser(ann), Code.FailedPrecondition);
    expect(f.store.size).toBe(1);
  });
});

describe("resolution", () => {
  it("calls only the best match: method over service over all, and falls back when the method is cleared", async () => {
    const all = await f.mkTarget("/all", "webhook");
    const svc = await f.mkTarget("/svc", "webhook");
    const method = await f.mkTarget("/method", "webhook");
    await f.setExecution(onService("request"), [svc.id]);
    await f.setExecution(onMethod("request", "AddHumanUser"), [method.id]);
    await f.setExecution(onAll("request"), [all.id]); // from here on every RPC fires, the Action Service's too
    f.target.received.length = 0;
    await f.users.addHumanUser(ann);
    await f.users.getUser({ userId: "1" });
    await f.admin.listExecutionFunctions({});
    expect(f.target.received.map((r) => r.path)).toEqual(["/method", "/svc", "/all"]);
    await f.setExecution(onMethod("request", "AddHumanUser"), []);
    await f.users.addHumanUser(ann);
    expect(f.target.received.at(-1)?.path).toBe("/svc");
  });

  it("does not fire DeleteUser's execution for DeleteUserMetadata", async () => {
    const { id } = await f.mkTarget("/delete", "webhook");
    await f.setExecution(onMethod("request", "DeleteUser"), [id]);
    await f.users.deleteUserMetadata({ userId: "1", key: "k" });
    expect(f.target.received).toHaveLength(0);
    await f.users.deleteUser({ userId: "1" });
    expect(f.target.received).toHaveLength(1);
  });

  it("sees an execution change on the very next RPC", async () => {
    const { id } = await f.mkTarget("/next", "webhook");
    await f.setExecution(onMethod("request", "GetUser"), [id]);
    await f.users.getUser({ userId: "1" }).catch(() => undefined);
    expect(f.target.received).toHaveLength(1);
    await f.setExecution(onMethod("request", "GetUser"), []);
    await f.users.getUser({ userId: "1" }).catch(() => undefined);
    expect(f.target.received).toHaveLength(1);
  });

  it("uses a target change (interrupt turned off) on the very next RPC", async () => {
    f.target.respond("/flip", { status: 500 });
    const { id } = await f.mkTarget("/flip", "webhook", { interrupt: true });
    await f.setExecution(onMethod("request", "AddHumanUser"), [id]);
    await expectCode(f.users.addHumanUser(ann), Code.FailedPrecondition);
    await f.admin.updateTarget({ id, targetType: { case: "restWebhook", value: { interruptOnError: false } } });
    await f.users.addHumanUser(ann);
    expect(f.store.size).toBe(1);
  });
});

describe("signing key rotation", () => {
  it("signs with every valid key during a grace period, newest first", async () => {
    const { id, signingKey: oldKey } = await f.mkTarget("/rot", "webhook");
    const { signingKey: newKey } = await f.admin.updateTarget({ id, expirationSigningKey: { seconds: 3600n } });
    await f.setExecution(onMethod("request", "AddHumanUser"), [id]);
    await f.users.addHumanUser(ann);
    const call = f.target.on("/rot")[0]!;
    const header = call.headers["zitadel-signature"] as string;
    expect(header.match(/v1=/g)).toHaveLength(2);
    expect(zitadelSignatureMatches(header, call.body, newKey!)).toBe(true);
    expect(zitadelSignatureMatches(header, call.body, oldKey)).toBe(true);
    expect(legacySignatureMatches(call.headers["x-zitadel-signature"], call.body, newKey!)).toBe(true);
    const { signingKey: newest } = await f.admin.updateTarget({ id, expirationSigningKey: { seconds: 0n } });
    await f.users.addHumanUser(ann);
    const last = f.target.on("/rot")[1]!;
    expect((last.headers["zitadel-signature"] as string).match(/v1=/g)).toHaveLength(1);
    expect(zitadelSignatureMatches(last.headers["zitadel-signature"], last.body, newest!)).toBe(true);
  });
});

describe("functions", () => {
  it("runFunction accumulates rest_call answers, later targets overwriting fields", async () => {
    f.target.respond("/f1", { body: JSON.stringify({ append_claims: [{ key: "a", value: 1 }], set_user_metadata: [] }) });
    f.target.respond("/f2", { body: JSON.stringify({ append_claims: [{ key: "b", value: 2 }] }) });
    const t1 = await f.mkTarget("/f1", "call");
    const t2 = await f.mkTarget("/f2", "call");
    await f.admin.setExecution({ condition: { conditionType: { case: "function", value: { name: "preuserinfo" } } }, targets: [t1.id, t2.id] });
    const result = await f.server.app.engine.runFunction("preuserinfo", { userinfo: { sub: "u1" } });
    expect(result).toEqual({ append_claims: [{ key: "b", value: 2 }], set_user_metadata: [] });
    const second = JSON.parse(f.target.on("/f2")[0]!.body.toString());
    expect(second).toEqual({ function: "function/preuserinfo", userinfo: { sub: "u1" }, response: { append_claims: [{ key: "a", value: 1 }], set_user_metadata: [] } });
    expect(JSON.parse(f.target.on("/f1")[0]!.body.toString())).toEqual({ function: "function/preuserinfo", userinfo: { sub: "u1" } });
  });

  it("a non-JSON answer fails an interrupting function target with FAILED_PRECONDITION", async () => {
    f.target.respond("/fx", { body: "not json" });
    const { id } = await f.mkTarget("/fx", "call", { interrupt: true });
    await f.admin.setExecution({ condition: { conditionType: { case: "function", value: { name: "preaccesstoken" } } }, targets: [id] });
    await expectCode(f.server.app.engine.runFunction("preaccesstoken", {}), Code.FailedPrecondition, /not valid JSON/);
  });
});
