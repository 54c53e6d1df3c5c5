import { afterEach, describe, expect, it } from "vitest";
import { Code, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ConditionSchema } from "../../gen/zitadel/action/v2/execution_pb.js";
import { UserService } from "../../gen/tether/example/v1/user_service_pb.js";
import { engineFixture, onMethod } from "../helpers/engine-fixture.js";
import { expectCode } from "../helpers/expect-code.js";

type Condition = MessageInitShape<typeof ConditionSchema>;
const onEvent = (event: string): Condition => ({ conditionType: { case: "event", value: { condition: { case: "event", value: event } } } });

const ADD = "/tether.example.v1.UserService/AddHumanUser";
const ann = { username: "ann", email: "ann@example.com", givenName: "Ann" };

let fixtures: Array<Awaited<ReturnType<typeof engineFixture>>> = [];
async function fixture() {
  const f = await engineFixture();
  fixtures.push(f);
  return f;
}
afterEach(async () => {
  await Promise.all(fixtures.map((f) => f.close()));
  fixtures = [];
});

async function scrape(baseUrl: string): Promise<{ status: number; contentType: string | null; text: string }> {
  const res = await fetch(`${baseUrl}/metrics`);
  return { status: res.status, contentType: res.headers.get("content-type"), text: await res.text() };
}

/** The value of one sample, found by metric name and an exact label set (any order). */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split("\n")) {
    const m = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = m[2]!.split(",");
    if (have.length === wanted.length && wanted.every((w) => have.includes(w))) return Number(m[3]);
  }
  return undefined;
}

/** Scrapes until `ready` holds (bounded): delivery metrics are recorded after the target already answered. */
async function scrapeUntil(baseUrl: string, ready: (text: string) => boolean, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { text } = await scrape(baseUrl);
    if (ready(text)) return text;
    if (Date.now() > deadline) throw new Error(`metrics never matched; last scrape:\n${text}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("GET /metrics", () => {
  it("serves the Prometheus text format without a token", async () => {
    const f = await fixture();
    const res = await scrape(f.server.url);
    expect(res.status).toBe(200);
    expect(res.contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(res.text).toContain("# TYPE tether_rpc_requests_total counter");
    expect(res.text).toContain("# TYPE tether_target_call_duration_seconds histogram");
    expect(res.text).toMatch(/^process_cpu_user_seconds_total \d/m);
  });

  it("counts an RPC by procedure and code, and its request target call by target id and outcome with a latency histogram", async () => {
    const f = await fixture();
    const { id } = await f.mkTarget("/hook", "webhook");
    await f.setExecution(onMethod("request", "AddHumanUser"), [id]);
    await f.users.addHumanUser(ann);
    expect(f.target.on("/hook")).toHaveLength(1);
    const { text } = await scrape(f.server.url);
    expect(sample(text, "tether_rpc_requests_total", { method: ADD, code: "ok" })).toBe(1);
    expect(sample(text, "tether_rpc_duration_seconds_count", { method: ADD, code: "ok" })).toBe(1);
    expect(sample(text, "tether_rpc_requests_total", { method: "/zitadel.action.v2.ActionService/SetExecution", code: "ok" })).toBe(1);
    expect(sample(text, "tether_target_calls_total", { target_id: id, source: "execution", outcome: "ok" })).toBe(1);
    expect(sample(text, "tether_target_call_duration_seconds_bucket", { target_id: id, source: "execution", le: "+Inf" })).toBe(1);
    expect(sample(text, "tether_target_call_duration_seconds_count", { target_id: id, source: "execution" })).toBe(1);
  });

  it("drops a deleted target's series, so target churn cannot grow the exposition for ever", async () => {
    const f = await fixture();
    const gone = await f.mkTarget("/gone", "webhook");
    const kept = await f.mkTarget("/kept", "webhook");
    await f.setExecution(onMethod("request", "AddHumanUser"), [gone.id, kept.id]);
    await f.users.addHumanUser(ann);
    expect((await scrape(f.server.url)).text).toContain(`target_id="${gone.id}"`);
    await f.admin.deleteTarget({ id: gone.id });
    let text = "";
    for (let deadline = Date.now() + 5_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
      text = (await scrape(f.server.url)).text;
      if (!text.includes(`target_id="${gone.id}"`)) break;
    }
    expect(text).not.toContain(`target_id="${gone.id}"`);
    expect(sample(text, "tether_target_calls_total", { target_id: kept.id, source: "execution", outcome: "ok" })).toBe(1);
  });

  it("labels a failing target call with its outcome and the RPC with the code the caller got", async () => {
    const f = await fixture();
    f.target.respond("/fail", { status: 500 });
    const { id } = await f.mkTarget("/fail", "webhook", { interrupt: true });
    await f.setExecution(onMethod("request", "AddHumanUser"), [id]);
    await expectCode(f.users.addHumanUser(ann), Code.FailedPrecondition);
    const { text } = await scrape(f.server.url);
    expect(sample(text, "tether_target_calls_total", { target_id: id, source: "execution", outcome: "http_error" })).toBe(1);
    expect(sample(text, "tether_rpc_requests_total", { method: ADD, code: "failed_precondition" })).toBe(1);
  });

  it("counts authentication failures, and no label is created for an unknown procedure", async () => {
    const f = await fixture();
    const anonymous = createClient(UserService, createConnectTransport({ baseUrl: f.server.url, httpVersion: "1.1" }));
    await expectCode(anonymous.addHumanUser(ann), Code.Unauthenticated);
    const unknown = await fetch(`${f.server.url}/tether.example.v1.UserService/NoSuchMethod`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(unknown.status).toBe(404);
    const { text } = await scrape(f.server.url);
    expect(sample(text, "tether_rpc_requests_total", { method: ADD, code: "unauthenticated" })).toBe(1);
    expect(text).not.toContain("NoSuchMethod");
  });

  it("counts an outbox delivery with source delivery and reports the queue depth and lag", async () => {
    const f = await fixture();
    const { id } = await f.mkTarget("/events", "webhook");
    await f.setExecution(onEvent("target.added"), [id]);
    await f.mkTarget("/other", "webhook");
    const text = await scrapeUntil(f.server.url, (t) => sample(t, "tether_target_calls_total", { target_id: id, source: "delivery", outcome: "ok" }) === 1);
    expect(sample(text, "tether_target_call_duration_seconds_count", { target_id: id, source: "delivery" })).toBe(1);
    expect(sample(text, "tether_delivery_queue_depth", { state: "pending" })).toBe(0);
    expect(sample(text, "tether_delivery_queue_depth", { state: "in_flight" })).toBe(0);
    expect(sample(text, "tether_delivery_queue_depth", { state: "dead" })).toBe(0);
    expect(text).toMatch(/^tether_delivery_lag_seconds 0$/m);
  });

  it("counts retries and dead letters per target, and the dead job in the queue depth", async () => {
    const f = await fixture();
    let calls = 0;
    f.target.respond("/flaky", (_req, _body, res) => void res.writeHead(++calls === 1 ? 503 : 200).end());
    f.target.respond("/gone", { status: 410 });
    const flaky = await f.mkTarget("/flaky", "webhook");
    const gone = await f.mkTarget("/gone", "webhook");
    await f.setExecution(onEvent("target.added"), [flaky.id, gone.id]);
    await f.mkTarget("/other", "webhook");
    const text = await scrapeUntil(
      f.server.url,
      (t) => sample(t, "tether_target_calls_total", { target_id: flaky.id, source: "delivery", outcome: "ok" }) === 1 && sample(t, "tether_delivery_dead_letters_total", { target_id: gone.id }) === 1,
    );
    expect(sample(text, "tether_target_calls_total", { target_id: flaky.id, source: "delivery", outcome: "http_error" })).toBe(1);
    expect(sample(text, "tether_delivery_retries_total", { target_id: flaky.id })).toBe(1);
    expect(sample(text, "tether_delivery_retries_total", { target_id: gone.id })).toBeUndefined();
    expect(sample(text, "tether_delivery_queue_depth", { state: "dead" })).toBe(1);
  });

  it("keeps each server's metrics apart when several run in one process", async () => {
    const [a, b] = await Promise.all([fixture(), fixture()]);
    await a!.users.addHumanUser(ann);
    const [textA, textB] = await Promise.all([scrape(a!.server.url), scrape(b!.server.url)]);
    expect(sample(textA.text, "tether_rpc_requests_total", { method: ADD, code: "ok" })).toBe(1);
    expect(sample(textB.text, "tether_rpc_requests_total", { method: ADD, code: "ok" })).toBeUndefined();
  });
});
