import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { startTestTether } from "../helpers/tether-server.js";

const run = promisify(execFile);
let server: Awaited<ReturnType<typeof startTestTether>>;
beforeAll(async () => {
  server = await startTestTether();
});
afterAll(async () => {
  await server.stop();
});

function bufCurl(args: string[]) {
  return run("node_modules/.bin/buf", ["curl", "--schema", "proto", "-H", `Authorization: Bearer ${server.token}`, ...args], { timeout: 60_000 });
}

describe("buf curl against the running server", () => {
  it.each([
    ["gRPC", ["--protocol", "grpc", "--http2-prior-knowledge"]],
    ["Connect", ["--protocol", "connect"]],
    ["gRPC-Web", ["--protocol", "grpcweb"]],
  ])("creates a target and lists services over %s", async (protocol, flags) => {
    const created = await bufCurl([...flags, "-d", JSON.stringify({ name: `buf-${protocol}`, restAsync: {}, timeout: "2s", endpoint: "https://hooks.example.net/" }), `${server.url}/zitadel.action.v2.ActionService/CreateTarget`]);
    expect(JSON.parse(created.stdout)).toMatchObject({ id: expect.stringMatching(/^\d+$/) });
    const services = await bufCurl([...flags, "-d", "{}", `${server.url}/zitadel.action.v2.ActionService/ListExecutionServices`]);
    expect(JSON.parse(services.stdout)).toEqual({ services: ["zitadel.action.v2.ActionService", "zitadel.action.v2beta.ActionService", "tether.v1.DeliveryService"] });
  });

  it("reports a server error code", async () => {
    await expect(bufCurl(["--protocol", "grpc", "--http2-prior-knowledge", "-d", '{"id":"404"}', `${server.url}/zitadel.action.v2.ActionService/GetTarget`])).rejects.toMatchObject({
      stderr: expect.stringMatching(/not_found/),
    });
  });
});
