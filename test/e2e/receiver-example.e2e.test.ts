import { afterEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ConditionSchema } from "../../gen/zitadel/action/v2/execution_pb.js";
import { PayloadType } from "../../gen/zitadel/action/v2/target_pb.js";
import { engineFixture, onMethod } from "../helpers/engine-fixture.js";
import { startReceiver, type ReceivedPayload } from "../../examples/receiver/receiver.js";
import { signatureHeaders } from "../../src/execution/signing.js";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");
const onEvent = (event: string) =>
  ({ conditionType: { case: "event", value: { condition: { case: "event", value: event } } } }) as MessageInitShape<typeof ConditionSchema>;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup() {
  const f = await engineFixture();
  cleanups.push(() => f.close());
  const received: ReceivedPayload[] = [];
  const signingKeys: string[] = [];
  const receiver = await startReceiver({
    port: 0,
    signingKeys,
    jwksUrl: `${f.server.url}/oauth/v2/keys`,
    privateKeyPem: fixture("rsa.key"),
    onPayload: (r) => received.push(r),
  });
  cleanups.push(() => receiver.close());
  const target = async (payloadType: PayloadType, path: string) => {
    const t = await f.mkTarget(path, "webhook", { interrupt: true, payloadType, endpoint: `${receiver.url}${path}` });
    signingKeys.push(t.signingKey);
    return t.id;
  };
  return { f, receiver, received, signingKeys, target };
}

async function until(check: () => boolean) {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

describe("examples/receiver against a running Tether", () => {
  it("verifies JSON, JWT and JWE payloads from one request execution", async () => {
    const { f, received, target } = await setup();
    const json = await target(PayloadType.JSON, "/json");
    const jwt = await target(PayloadType.JWT, "/jwt");
    const jwe = await target(PayloadType.JWE, "/jwe");
    const { keyId } = await f.admin.addPublicKey({ targetId: jwe, publicKey: new TextEncoder().encode(fixture("rsa.pub")) });
    await f.admin.activatePublicKey({ targetId: jwe, keyId });
    await f.setExecution(onMethod("request", "AddHumanUser"), [json, jwt, jwe]);

    // Every target interrupts on error, so the RPC succeeds only if the receiver accepted all three.
    await f.users.addHumanUser({ username: "ann", email: "ann@example.com" });
    expect(received.map((r) => r.encoding)).toEqual(["json", "jwt", "jwe"]);
    for (const r of received) {
      expect(r.payload).toMatchObject({ fullMethod: "/tether.example.v1.UserService/AddHumanUser", request: { username: "ann" } });
    }
  });

  it("receives an event delivery with its webhook-id", async () => {
    const { f, received, target } = await setup();
    const json = await target(PayloadType.JSON, "/events");
    await f.setExecution(onEvent("target.changed"), [json]);
    await f.admin.updateTarget({ id: json, timeout: { seconds: 7n } });
    await until(() => received.length === 1);
    expect(received[0]).toMatchObject({ encoding: "json", webhookId: expect.any(String), payload: { event_type: "target.changed", aggregateID: json } });
  });

  it("refuses a call signed with another key, and passes a repeated webhook-id with the same body on only once", async () => {
    const { receiver, received, signingKeys } = await setup();
    signingKeys.push("the-receivers-key");
    const body = JSON.stringify({ event_type: "x" });
    const post = (key: string, webhookId: string) =>
      fetch(`${receiver.url}/events`, {
        method: "POST",
        body,
        headers: { "content-type": "application/json", "webhook-id": webhookId, ...signatureHeaders(body, [key], Math.floor(Date.now() / 1000)) },
      });
    expect((await post("not-the-key", "w1")).status).toBe(401);
    expect(received).toEqual([]);
    expect((await post("the-receivers-key", "w2")).status).toBe(200);
    expect((await post("the-receivers-key", "w2")).status).toBe(200);
    expect(received).toEqual([{ encoding: "json", payload: { event_type: "x" }, webhookId: "w2" }]);
    // A replay that reuses a signed body under a guessed id does not shadow the real job with that id.
    const real = JSON.stringify({ event_type: "y" });
    const res = await fetch(`${receiver.url}/events`, {
      method: "POST",
      body: real,
      headers: { "content-type": "application/json", "webhook-id": "w2", ...signatureHeaders(real, ["the-receivers-key"], Math.floor(Date.now() / 1000)) },
    });
    expect(res.status).toBe(200);
    expect(received.map((r) => r.payload)).toEqual([{ event_type: "x" }, { event_type: "y" }]);
  });
});
