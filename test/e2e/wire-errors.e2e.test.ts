import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { startTestTether } from "../helpers/tether-server.js";
import { createWireClients, type WireClients } from "../helpers/fuzz-wire.js";
import { envelope, rpcOutcome, rpcRequest, type EnvelopeFault, type RpcProtocol } from "../helpers/fuzz-protocols.js";
import { MAX_GRPC_MESSAGE_CHARS } from "../../src/parse-errors.js";

// Damaged envelopes and undecompressable bodies are the client's fault: INVALID_ARGUMENT, never INTERNAL; and a
// status that quotes a huge input still reaches the client. Regressions found by the fuzz suite.
let server: Awaited<ReturnType<typeof startTestTether>>;
let wire: WireClients;
beforeAll(async () => {
  server = await startTestTether();
  wire = createWireClients(server.url);
});
afterAll(async () => {
  await wire.close();
  await server.stop();
});

const LIST_TARGETS = "/zitadel.action.v2.ActionService/ListTargets";
const cases: [RpcProtocol, "h1" | "h2"][] = [
  ["grpc", "h2"],
  ["grpc-web", "h1"],
  ["grpc-web", "h2"],
];

describe.each(cases)("%s over %s", (protocol, http) => {
  const call = async (fault: EnvelopeFault, message = new Uint8Array([0x08, 0x01])) => {
    const req = rpcRequest(protocol, "proto", LIST_TARGETS, message, { authorization: `Bearer ${server.token}` }, fault);
    return rpcOutcome(protocol, "proto", await wire[http](req));
  };

  // Regression (found by the fuzz suite): connect-es answered INTERNAL "received compressed envelope, but do not
  // know how to decompress".
  it("answers an envelope flagged as compressed without a grpc-encoding with INVALID_ARGUMENT", async () => {
    expect(await call("compressed-flag")).toMatchObject({ ok: false, code: Code.InvalidArgument, message: expect.stringMatching(/compressed/) });
  });

  it.each<EnvelopeFault>(["short-length", "long-length", "two-messages", "no-envelope", "trailing-garbage"])("answers %s with INVALID_ARGUMENT", async (fault) => {
    expect(await call(fault, new Uint8Array([0x12, 0x02, 0x08, 0x01]))).toMatchObject({ ok: false, code: Code.InvalidArgument });
  });

  // connect-es answered INTERNAL "decompression failed".
  it("answers a message flagged as gzip that is not gzip with INVALID_ARGUMENT", async () => {
    const req = rpcRequest(protocol, "proto", LIST_TARGETS, new Uint8Array([0x0a]), { authorization: `Bearer ${server.token}`, "grpc-encoding": "gzip" }, "compressed-flag");
    expect(rpcOutcome(protocol, "proto", await wire[http](req))).toMatchObject({ ok: false, code: Code.InvalidArgument, message: "decompression failed" });
  });

  // grpc.health.v1 quoted a 100 KB service name in grpc-message; over HTTP/2 the trailer was too big to deliver,
  // so the client saw no status at all.
  it("delivers the status of a request whose error message quotes a huge input, cut to a sane length", async () => {
    const name = "a".repeat(100_000);
    const message = Buffer.concat([Buffer.from([0x0a, 0xa0, 0x8d, 0x06]), Buffer.from(name)]);
    const outcome = rpcOutcome(protocol, "proto", await wire[http](rpcRequest(protocol, "proto", "/grpc.health.v1.Health/Check", message, {})));
    expect(outcome).toMatchObject({ ok: false, code: Code.NotFound, message: expect.stringMatching(/^unknown service "a+… \(cut\)$/) });
    expect(!outcome.ok && [...outcome.message].length).toBe(MAX_GRPC_MESSAGE_CHARS + "… (cut)".length);
  });

  it("still answers a well-formed envelope", async () => {
    expect(envelope(new Uint8Array(0))).toHaveLength(5);
    expect(await call("none", new Uint8Array(0))).toMatchObject({ ok: true });
  });
});

describe("Connect", () => {
  it.each(["gzip", "br"])("answers a body declared as %s that is not with INVALID_ARGUMENT", async (encoding) => {
    for (const contentType of ["application/proto", "application/json"]) {
      const res = await wire.h1({ method: "POST", path: LIST_TARGETS, headers: { "content-type": contentType, "content-encoding": encoding, authorization: `Bearer ${server.token}` }, body: new Uint8Array([0x0a]) });
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body.toString("utf8"))).toEqual({ code: "invalid_argument", message: "decompression failed" });
    }
  });
});
