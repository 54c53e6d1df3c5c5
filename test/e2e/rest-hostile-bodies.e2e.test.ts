import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restClient, startTestTether } from "../helpers/tether-server.js";

// Regressions found by the fuzz suite, over the real server: REST bodies the gateway mishandled.
let server: Awaited<ReturnType<typeof startTestTether>>;
let rest: ReturnType<typeof restClient>;
beforeAll(async () => {
  server = await startTestTether({ TETHER_READ_MAX_BYTES: String(1024 * 1024) });
  rest = restClient(server.url, server.token);
});
afterAll(async () => {
  await server.stop();
});

describe("REST bodies", () => {
  it("answers deeply nested JSON with 400 INVALID_ARGUMENT, not 500", async () => {
    const res = await rest("POST", "/v2/actions/targets/search", '{"pagination":' + '{"a":'.repeat(10_000) + "1" + "}".repeat(10_000) + "}");
    expect(res.status, res.text).toBe(400);
    expect(res.json).toEqual({ code: 3, message: "request body nests deeper than 100 levels", details: [] });
  });

  it("answers a duplicate member with 400 as Connect JSON does, instead of keeping the last value", async () => {
    const res = await rest("POST", "/v2/actions/targets", '{"name":"a","restAsync":{},"timeout":"1s","endpoint":"https://hooks.example.net/","name":"b"}');
    expect(res.status, res.text).toBe(400);
    expect(res.json).toMatchObject({ code: 3, message: 'request body has the member "name" twice' });
  });

  it("answers a body within the limit that grows past it when re-encoded with 413, not 429", async () => {
    const body = `{"filters":[${Array(200_000).fill("1e9").join(",")}]}`;
    expect(body.length).toBeLessThan(1024 * 1024);
    const res = await rest("POST", "/v2/actions/targets/search", body);
    expect(res.status, res.text).toBe(413);
    expect(res.json).toMatchObject({ code: 8, message: "request body is larger than the limit of 1048576 bytes once re-encoded as protobuf JSON" });
  });
});
