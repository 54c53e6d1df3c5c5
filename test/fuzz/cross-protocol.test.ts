import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import type { DescMethod } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { checkProperty, FUZZ_TEST_TIMEOUT_MS } from "../helpers/fuzz-settings.js";
import { procedurePath, startFuzzHarness, unaryMethods, type FuzzHarness } from "../helpers/fuzz-harness.js";
import { jsonBody } from "../helpers/fuzz-json.js";
import { binaryBody } from "../helpers/fuzz-binary.js";
import { rpcOutcome, rpcRequest, type Codec, type Outcome, type RpcProtocol } from "../helpers/fuzz-protocols.js";
import { restBindings } from "../helpers/fuzz-rest.js";
import { checkRestOutcome, checkRpcOutcome } from "../helpers/fuzz-invariants.js";

// The same request must get the same answer whichever protocol carries it. Only reads are compared, so that the
// first call cannot change what the second one sees.
let h: FuzzHarness | undefined;
let finished = false;
beforeAll(async () => {
  h = await startFuzzHarness();
});
afterAll(async () => {
  if (h && !finished) await h.finish();
});

const reads = unaryMethods().filter((m) => /^(List|Get)/.test(m.name));
const codeOf = (o: Outcome) => (o.ok ? "OK" : Code[o.code]);

async function rpc(method: DescMethod, protocol: RpcProtocol, codec: Codec, body: Uint8Array, http: "h1" | "h2") {
  h!.sent.count++;
  const outcome = rpcOutcome(protocol, codec, await h!.wire[http](rpcRequest(protocol, codec, procedurePath(method), body, { authorization: `Bearer ${h!.server.token}` })));
  checkRpcOutcome(method, outcome, "admin");
  return codeOf(outcome);
}

describe("the same request on every protocol", () => {
  for (const method of reads) {
    const name = `${method.parent.typeName}.${method.name}`;
    it(`answers ${name} in binary protobuf alike on Connect, gRPC and gRPC-Web`, async () => {
      await checkProperty(
        fc.asyncProperty(binaryBody(method.input, h!.ctx), async (body) => {
          const connect = await rpc(method, "connect", "proto", body, "h1");
          expect(await rpc(method, "grpc", "proto", body, "h2"), "gRPC").toBe(connect);
          expect(await rpc(method, "grpc-web", "proto", body, "h1"), "gRPC-Web").toBe(connect);
        }),
      );
    }, FUZZ_TEST_TIMEOUT_MS);

    // REST takes the whole body as the message only where the rule says `body: "*"` and the path has no variables.
    const binding = restBindings(method).find((b) => b.body === "*" && !b.template.includes("{"));
    if (!binding) continue;
    it(`answers ${name} in JSON alike on Connect and on ${binding.verb} ${binding.template}`, async () => {
      const nonEmpty = jsonBody(method.input, h!.ctx).filter((b) => new TextDecoder().decode(b).trim() !== "");
      await checkProperty(
        fc.asyncProperty(nonEmpty, async (body) => {
          const connect = await rpc(method, "connect", "json", body, "h1");
          h!.sent.count++;
          const res = await h!.wire.h1({ method: binding.verb, path: binding.template, headers: { authorization: `Bearer ${h!.server.token}`, "content-type": "application/json" }, body });
          checkRestOutcome(method, res, "admin");
          const rest = res.status === 200 ? "OK" : Code[(JSON.parse(res.body.toString("utf8")) as { code: Code }).code];
          expect(rest, `REST: ${res.body.toString("utf8").slice(0, 300)}`).toBe(connect);
        }),
      );
    }, FUZZ_TEST_TIMEOUT_MS);
  }

  it("leaves the database consistent, logs no unexpected error and keeps serving", async () => {
    finished = true;
    expect(await h!.finish()).toEqual([]);
  });
});
