import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { restClient, startTestTether } from "../helpers/tether-server.js";

let server: Awaited<ReturnType<typeof startTestTether>>;
let rest: ReturnType<typeof restClient>;
beforeAll(async () => {
  server = await startTestTether();
  rest = restClient(server.url, server.token);
});
afterAll(async () => {
  await server.stop();
});

// The seed examples, verbatim (curl -d sends application/x-www-form-urlencoded).
const SEED_TARGET =
  '{"name":"ip_allow_list","rest_webhook":{"interrupt_on_error":true},"timeout":"10s","endpoint":"https://example.com/hooks/ip_check","payload_type":"PAYLOAD_TYPE_JSON"}';
const form = { "content-type": "application/x-www-form-urlencoded" };

describe("REST gateway", () => {
  it("runs the seed curl flow: create a target, set an execution on GetTarget, read both back", async () => {
    const created = await rest("POST", "/v2/actions/targets", SEED_TARGET, form);
    expect(created.status, created.text).toBe(200);
    expect(created.json).toMatchObject({ id: expect.stringMatching(/^\d+$/), signingKey: expect.stringMatching(/^[a-zA-Z0-9]{36}$/) });
    expect(created.json.creationDate).toMatch(/^\d{4}-\d\d-\d\dT/);
    const id: string = created.json.id;

    const set = await rest("PUT", "/v2/actions/executions", `{"condition":{"request":{"method":"/zitadel.action.v2.ActionService/GetTarget"}},"targets":["${id}"]}`, form);
    expect(set.status, set.text).toBe(200);
    expect(set.json.setDate).toBeDefined();

    // The execution now fires before every GetTarget; its webhook is not reachable from here and
    // interrupts, so GetTarget fails: proof the execution runs. Read the target back with a search.
    const blocked = await rest("GET", `/v2/actions/targets/${id}`);
    expect(blocked.status).toBe(500);
    expect(blocked.json).toMatchObject({ code: 2, message: expect.stringMatching(/ip_allow_list.*unreachable/) });
    const got = { json: { target: (await rest("POST", "/v2/actions/targets/search", `{"filters":[{"inTargetIdsFilter":{"targetIds":["${id}"]}}]}`)).json.targets[0] } };
    expect(got.json.target).toMatchObject({
      id,
      name: "ip_allow_list",
      restWebhook: { interruptOnError: true },
      timeout: "10s",
      endpoint: "https://example.com/hooks/ip_check",
      payloadType: "PAYLOAD_TYPE_JSON",
    });
    expect(got.json.target.signingKey).toBeUndefined();

    const executions = await rest("POST", "/v2/actions/executions/search", "{}");
    expect(executions.json).toMatchObject({
      pagination: { totalResult: "1", appliedLimit: "100" },
      executions: [{ condition: { request: { method: "/zitadel.action.v2.ActionService/GetTarget" } }, targets: [id] }],
    });
  });

  it("updates with POST /v2/actions/targets/{id}, rotates the key, searches and deletes", async () => {
    const { json } = await rest("POST", "/v2/actions/targets", '{"name":"rest-update","restCall":{},"timeout":"1s","endpoint":"https://hooks.example.net/a"}');
    const id: string = json.id;
    const updated = await rest("POST", `/v2/actions/targets/${id}`, '{"endpoint":"https://hooks.example.net/b","expirationSigningKey":"0s"}');
    expect(updated.status, updated.text).toBe(200);
    expect(updated.json.signingKey).toMatch(/^[a-zA-Z0-9]{36}$/);
    const search = await rest("POST", "/v2/actions/targets/search", '{"filters":[{"targetNameFilter":{"targetName":"rest-upd","method":"TEXT_FILTER_METHOD_STARTS_WITH"}}],"pagination":{"limit":5}}');
    expect(search.json).toMatchObject({ pagination: { totalResult: "1", appliedLimit: "5" }, targets: [{ id, endpoint: "https://hooks.example.net/b" }] });
    const del = await rest("DELETE", `/v2/actions/targets/${id}`);
    expect(del.status).toBe(200);
    expect(del.json.deletionDate).toBeDefined();
    const again = await rest("DELETE", `/v2/actions/targets/${id}`);
    expect(again.status).toBe(200);
    expect(again.json).toEqual({});
  });

  it("manages public keys over their REST paths", async () => {
    const { json } = await rest("POST", "/v2/actions/targets", '{"name":"rest-keys","restWebhook":{},"timeout":"1s","endpoint":"https://hooks.example.net/k","payloadType":"PAYLOAD_TYPE_JWE"}');
    const targetId: string = json.id;
    const pem = readFileSync(new URL("../fixtures/ec.pub", import.meta.url));
    const added = await rest("POST", `/v2/actions/targets/${targetId}/publickeys`, JSON.stringify({ publicKey: pem.toString("base64"), expirationDate: "2999-01-01T00:00:00Z" }));
    expect(added.status, added.text).toBe(200);
    const keyId: string = added.json.keyId;
    expect((await rest("POST", `/v2/actions/targets/${targetId}/publickeys/${keyId}/activate`)).status).toBe(200);
    const listed = await rest("POST", `/v2/actions/targets/${targetId}/publickeys/search`, '{"filters":[{"activeFilter":true}],"sortingColumn":"PUBLIC_KEY_FIELD_NAME_EXPIRATION_DATE"}');
    expect(listed.json.publicKeys).toMatchObject([{ keyId, active: true, publicKey: pem.toString("base64"), fingerprint: expect.stringMatching(/^SHA256:/), expirationDate: "2999-01-01T00:00:00Z" }]);
    const removeActive = await rest("DELETE", `/v2/actions/targets/${targetId}/publickeys/${keyId}`);
    expect(removeActive.status).toBe(400);
    expect(removeActive.json).toMatchObject({ code: 9, details: [] });
    expect((await rest("POST", `/v2/actions/targets/${targetId}/publickeys/${keyId}/deactivate`)).status).toBe(200);
    expect((await rest("DELETE", `/v2/actions/targets/${targetId}/publickeys/${keyId}`)).json.deletionDate).toBeDefined();
  });

  it("lists functions, methods and services with GET", async () => {
    expect((await rest("GET", "/v2/actions/executions/functions")).json).toEqual({ functions: ["preuserinfo", "preaccesstoken", "presamlresponse"] });
    expect((await rest("GET", "/v2/actions/executions/methods")).json.methods).toContain("/zitadel.action.v2.ActionService/CreateTarget");
    expect((await rest("GET", "/v2/actions/executions/services")).json).toEqual({ services: ["zitadel.action.v2.ActionService", "zitadel.action.v2beta.ActionService", "tether.v1.DeliveryService"] });
  });

  it.each([
    ["INVALID_ARGUMENT as 400", "POST", "/v2/actions/targets", '{"name":""}', 400, 3, /^name: /],
    ["NOT_FOUND as 404", "POST", "/v2/actions/targets/12345", "{}", 404, 5, /not found/],
    ["NOT_FOUND for an unknown condition as 404", "PUT", "/v2/actions/executions", '{"condition":{"function":{"name":"nope"}},"targets":[]}', 404, 5, /function/],
    ["malformed JSON as 400", "POST", "/v2/actions/targets", '{"name":', 400, 3, /./],
  ])("maps %s with a google.rpc.Status body", async (_what, method, path, body, status, code, message) => {
    const res = await rest(method, path, body);
    expect(res.status, res.text).toBe(status);
    expect(res.json).toMatchObject({ code, details: [] });
    expect(res.json.message).toMatch(message);
  });

  it("answers ALREADY_EXISTS as 409", async () => {
    await rest("POST", "/v2/actions/targets", '{"name":"dup","restWebhook":{},"timeout":"1s","endpoint":"https://hooks.example.net/"}');
    const res = await rest("POST", "/v2/actions/targets", '{"name":"DUP","restWebhook":{},"timeout":"1s","endpoint":"https://hooks.example.net/"}');
    expect(res.status).toBe(409);
    expect(res.json).toMatchObject({ code: 6 });
  });

  it("answers 401 without a token and never echoes the token", async () => {
    const anonymous = restClient(server.url, undefined);
    expect(await anonymous("GET", "/v2/actions/executions/functions")).toMatchObject({ status: 401, json: { code: 16 } });
    const wrong = restClient(server.url, "tether_pat_secret-looking-value");
    const res = await wrong("GET", "/v2/actions/executions/functions");
    expect(res.status).toBe(401);
    expect(res.text).not.toContain("secret-looking-value");
  });
});
