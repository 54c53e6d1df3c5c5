import { afterEach, describe, expect, it } from "vitest";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ConditionSchema } from "../../gen/zitadel/action/v2/execution_pb.js";
import { readFileSync } from "node:fs";
import { engineFixture, zitadelSignatureMatches } from "../helpers/engine-fixture.js";
import { restClient } from "../helpers/tether-server.js";

const EC_PUB = readFileSync(new URL("../fixtures/ec.pub", import.meta.url));

type Condition = MessageInitShape<typeof ConditionSchema>;
const onEvent = (event: string): Condition => ({ conditionType: { case: "event", value: { condition: { case: "event", value: event } } } });
const onGroup = (group: string): Condition => ({ conditionType: { case: "event", value: { condition: { case: "group", value: group } } } });
const onAllEvents: Condition = { conditionType: { case: "event", value: { condition: { case: "all", value: true } } } };

let f: Awaited<ReturnType<typeof engineFixture>> | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

describe("event executions", () => {
  it("delivers a state-change event with the upstream payload shape, signed, with a webhook-id", async () => {
    f = await engineFixture();
    const hook = await f.mkTarget("/events", "webhook");
    await f.setExecution(onEvent("target.added"), [hook.id]);
    const created = await f.mkTarget("/other", "webhook");
    await f.target.waitFor((r) => r.some((c) => c.path === "/events"));
    const call = f.target.on("/events")[0]!;
    const payload = JSON.parse(call.body.toString());
    expect(Object.keys(payload)).toEqual(["aggregateID", "aggregateType", "resourceOwner", "instanceID", "version", "sequence", "event_type", "created_at", "userID", "event_payload"]);
    expect(payload).toMatchObject({
      aggregateID: created.id,
      aggregateType: "target",
      resourceOwner: "tether",
      instanceID: "tether",
      sequence: 1,
      event_type: "target.added",
      userID: "admin",
      event_payload: { name: expect.stringContaining("/other"), targetType: "webhook" },
    });
    expect(JSON.stringify(payload)).not.toContain(created.signingKey);
    expect(call.headers["webhook-id"]).toMatch(/\S+/);
    expect(zitadelSignatureMatches(call.headers["zitadel-signature"], call.body, hook.signingKey)).toBe(true);
  });

  it("matches a group and all events, the most specific level only", async () => {
    f = await engineFixture();
    const group = await f.mkTarget("/group", "webhook");
    const all = await f.mkTarget("/all", "webhook");
    await f.setExecution(onGroup("target.public_key"), [group.id]);
    await f.setExecution(onAllEvents, [all.id]); // itself an execution.set event, delivered to /all
    const { keyId } = await f.admin.addPublicKey({ targetId: group.id, publicKey: EC_PUB });
    await f.admin.activatePublicKey({ targetId: group.id, keyId });
    await f.target.waitFor((r) => r.filter((c) => c.path === "/group").length === 2);
    const types = (path: string) => f!.target.on(path).map((c) => JSON.parse(c.body.toString()).event_type);
    expect(types("/group")).toEqual(["target.public_key.added", "target.public_key.activated"]);
    await f.target.waitFor((r) => r.some((c) => c.path === "/all"));
    expect(types("/all")).toEqual(["execution.set"]);
  });

  it("delivers host-pushed events of a registered type", async () => {
    f = await engineFixture({ eventTypes: ["user.human.added"] });
    const hook = await f.mkTarget("/users", "webhook");
    await f.setExecution(onEvent("user.human.added"), [hook.id]);
    f.server.app.pushEvents([{ type: "user.human.added", aggregateType: "user", aggregateId: "u1", payload: { email: "ann@example.com" }, creator: "signup" }]);
    await f.target.waitFor((r) => r.length === 1);
    expect(JSON.parse(f.target.received[0]!.body.toString())).toMatchObject({ aggregateID: "u1", event_type: "user.human.added", userID: "signup", event_payload: { email: "ann@example.com" } });
    expect(() => f!.server.app.pushEvents([{ type: "user.unknown", aggregateType: "user", aggregateId: "u1", payload: {} }])).toThrow(/not registered/);
  });

  it("retries after 503 with the same webhook-id until it is delivered", async () => {
    f = await engineFixture();
    let calls = 0;
    f.target.respond("/flaky", (_req, _body, res) => {
      calls++;
      res.writeHead(calls < 3 ? 503 : 200).end();
    });
    const hook = await f.mkTarget("/flaky", "webhook");
    await f.setExecution(onEvent("target.removed"), [hook.id]);
    const victim = await f.mkTarget("/victim", "webhook");
    await f.admin.deleteTarget({ id: victim.id });
    await f.target.waitFor((r) => r.filter((c) => c.path === "/flaky").length === 3, 15_000);
    const ids = new Set(f.target.on("/flaky").map((c) => c.headers["webhook-id"]));
    expect(ids.size).toBe(1);
  });
});

describe("outbox retention", () => {
  it("reports a delivered job's successful attempt, then forgets the job once its retention has passed", async () => {
    f = await engineFixture({
      delivery: { policy: { scheduleMs: [50], maxAttempts: 2, maxAgeMs: 60_000, jitter: 0 }, retention: { deliveredMs: 2_000, deadMs: 0 }, sweepIntervalMs: 50 },
    });
    const hook = await f.mkTarget("/kept", "webhook");
    await f.setExecution(onEvent("target.changed"), [hook.id]);
    await f.admin.updateTarget({ id: hook.id, timeout: { seconds: 3n } });
    await f.target.waitFor((r) => r.some((c) => c.path === "/kept"));
    const rest = restClient(f.server.url, f.server.token);
    const id = f.target.on("/kept")[0]!.headers["webhook-id"] as string;
    let detail = await rest("GET", `/v1/deliveries/${id}`);
    for (let deadline = Date.now() + 5_000; detail.json.delivery?.state !== "DELIVERY_STATE_DELIVERED" && Date.now() < deadline; ) detail = await rest("GET", `/v1/deliveries/${id}`);
    expect(detail.json.attempts).toEqual([expect.objectContaining({ attempt: 1, outcome: "ok", statusCode: 200 })]);
    let status = detail.status;
    for (let deadline = Date.now() + 5_000; status !== 404 && Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) status = (await rest("GET", `/v1/deliveries/${id}`)).status;
    expect(status).toBe(404);
  });
});

describe("dead letter and replay over the DeliveryService", () => {
  async function deadJob(status: number) {
    f = await engineFixture();
    let answer = status;
    f.target.respond("/down", (_req, _body, res) => void res.writeHead(answer).end());
    const hook = await f.mkTarget("/down", "webhook");
    await f.setExecution(onEvent("target.changed"), [hook.id]);
    await f.admin.updateTarget({ id: hook.id, timeout: { seconds: 2n } });
    const rest = restClient(f.server.url, f.server.token);
    const dead = async () => (await rest("POST", "/v1/deliveries/search", '{"states":["DELIVERY_STATE_DEAD"]}')).json;
    const deadline = Date.now() + 10_000;
    while (((await dead()).deliveries ?? []).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    return { rest, dead, heal: () => (answer = 200) };
  }

  it("dead-letters after the attempt limit and delivers on replay with the same webhook-id", async () => {
    const { rest, dead, heal } = await deadJob(500);
    const [job] = (await dead()).deliveries;
    expect(job).toMatchObject({ state: "DELIVERY_STATE_DEAD", attempts: 4, lastStatus: 500, eventType: "target.changed" });
    const detail = await rest("GET", `/v1/deliveries/${job.id}`);
    expect(detail.json.attempts).toHaveLength(4);
    expect(detail.json.attempts[0]).toMatchObject({ attempt: 1, outcome: "http_error", statusCode: 500 });
    heal();
    expect((await rest("POST", `/v1/deliveries/${job.id}/retry`)).status).toBe(200);
    await f!.target.waitFor((r) => r.length === 5);
    expect(new Set(f!.target.received.map((c) => c.headers["webhook-id"]))).toEqual(new Set([job.id]));
    const deadline = Date.now() + 5000;
    let state = "";
    while (state !== "DELIVERY_STATE_DELIVERED" && Date.now() < deadline) state = (await rest("GET", `/v1/deliveries/${job.id}`)).json.delivery.state;
    expect(state).toBe("DELIVERY_STATE_DELIVERED");
  });

  it("stops retrying at once on 410 Gone", async () => {
    const { dead } = await deadJob(410);
    const [job] = (await dead()).deliveries;
    expect(job).toMatchObject({ attempts: 1, lastStatus: 410 });
    expect(f!.target.received).toHaveLength(1);
  });
});
