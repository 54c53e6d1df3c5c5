import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { gzipSync } from "node:zlib";
import { Code } from "@connectrpc/connect";
import { checkProperty, FUZZ_TEST_TIMEOUT_MS } from "../helpers/fuzz-settings.js";
import { startFuzzHarness, type FuzzHarness } from "../helpers/fuzz-harness.js";
import { rpcOutcome, rpcRequest, type Codec, type RpcProtocol } from "../helpers/fuzz-protocols.js";
import { checkRestOutcome, checkRpcOutcome } from "../helpers/fuzz-invariants.js";
import { ActionService } from "../../gen/zitadel/action/v2/action_service_pb.js";

// TETHER_READ_MAX_BYTES on every protocol: a request over the limit (after decompression) is RESOURCE_EXHAUSTED
// (REST: 413) with a message naming the limit; one within it is never refused for its size.
const LIMIT = 64 * 1024;
let h: FuzzHarness | undefined;
let finished = false;
beforeAll(async () => {
  h = await startFuzzHarness({ TETHER_READ_MAX_BYTES: String(LIMIT) });
});
afterAll(async () => {
  if (h && !finished) await h.finish();
});

const createTarget = ActionService.method.createTarget;

/** A CreateTarget request of exactly `size` bytes: a name of the right length (refused as too long, not too big). */
function createTargetBody(codec: Codec, size: number): Uint8Array {
  if (codec === "json") return new TextEncoder().encode(`{"name":"${"x".repeat(Math.max(0, size - 11))}"}`);
  // Field 1, length-delimited: tag, a 3-byte varint length (sizes here are 16 KiB..2 MiB), then the name.
  const n = size - 4;
  return Buffer.concat([Buffer.from([0x0a, (n & 0x7f) | 0x80, ((n >> 7) & 0x7f) | 0x80, n >> 14]), Buffer.alloc(n, 0x78)]);
}

/** Sizes around the limit and far over it. */
const sizes = fc.oneof(fc.integer({ min: LIMIT - 64, max: LIMIT + 64 }), fc.integer({ min: LIMIT / 4, max: LIMIT * 4 }), fc.constantFrom(LIMIT * 30));

const RPC: [RpcProtocol, Codec, "h1" | "h2"][] = [
  ["connect", "json", "h1"],
  ["connect", "json", "h2"],
  ["connect", "proto", "h1"],
  ["grpc", "proto", "h2"],
  ["grpc-web", "proto", "h1"],
  ["grpc-web", "proto", "h2"],
];

describe("request size limits (TETHER_READ_MAX_BYTES)", () => {
  it.each(RPC)("refuses %s %s over %s above the limit (declared or chunked, plain or gzip), and only then, with RESOURCE_EXHAUSTED", async (protocol, codec, http) => {
    await checkProperty(
      fc.asyncProperty(sizes, fc.boolean(), fc.boolean(), async (size, gzip, chunked) => {
        const message = createTargetBody(codec, size);
        const compressed = gzip ? gzipSync(message) : undefined;
        const encoding: Record<string, string> = !compressed ? {} : protocol === "connect" ? { "content-encoding": "gzip" } : { "grpc-encoding": "gzip" };
        const req = rpcRequest(protocol, codec, `/${ActionService.typeName}/CreateTarget`, compressed ?? message, { authorization: `Bearer ${h!.server.token}`, ...encoding }, compressed ? "compressed-flag" : "none");
        h!.sent.count++;
        const outcome = rpcOutcome(protocol, codec, await h!.wire[http]({ ...req, chunked }));
        checkRpcOutcome(createTarget, outcome, "admin");
        const code = outcome.ok ? undefined : outcome.code;
        // Connect unary counts the body, gRPC the message inside its 5-byte envelope; both after decompression.
        if (size > LIMIT) {
          expect(code, `${size} bytes`).toBe(Code.ResourceExhausted);
          expect(!outcome.ok && outcome.message).toMatch(/larger than|limit/);
        } else expect(code, `${size} bytes`).not.toBe(Code.ResourceExhausted);
      }),
    );
  }, FUZZ_TEST_TIMEOUT_MS);

  it.each(["h1", "h2"] as const)("refuses REST bodies above the limit (declared or chunked, plain or gzip), and only then, with 413 over %s", async (http) => {
    await checkProperty(
      fc.asyncProperty(sizes, fc.boolean(), fc.boolean(), async (size, gzip, chunked) => {
        const body = createTargetBody("json", size);
        const headers: Record<string, string> = { authorization: `Bearer ${h!.server.token}`, "content-type": "application/json", ...(gzip ? { "content-encoding": "gzip" } : {}) };
        h!.sent.count++;
        const res = await h!.wire[http]({ method: "POST", path: "/v2/actions/targets", headers, body: gzip ? gzipSync(body) : body, chunked });
        checkRestOutcome(createTarget, res, "admin");
        if (size > LIMIT) {
          expect(res.status, `${size} bytes`).toBe(413);
          expect(JSON.parse(res.body.toString("utf8"))).toMatchObject({ code: Code.ResourceExhausted, message: expect.stringMatching(/larger than the limit of 65536 bytes/) });
        } else expect(res.status, `${size} bytes`).toBe(400);
      }),
    );
  }, FUZZ_TEST_TIMEOUT_MS);

  it("leaves the database consistent, logs no unexpected error and keeps serving", async () => {
    finished = true;
    expect(await h!.finish()).toEqual([]);
  });
});
