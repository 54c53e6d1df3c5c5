import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkProperty, FUZZ_TEST_TIMEOUT_MS } from "../helpers/fuzz-settings.js";
import { fuzzedMethods, startFuzzHarness, type FuzzHarness } from "../helpers/fuzz-harness.js";
import { rpcProperty } from "../helpers/fuzz-properties.js";

let h: FuzzHarness | undefined;
let finished = false;
beforeAll(async () => {
  h = await startFuzzHarness();
});
afterAll(async () => {
  if (h && !finished) await h.finish();
});

describe("gRPC and gRPC-Web fuzzing (binary protobuf in damaged envelopes)", () => {
  for (const method of fuzzedMethods()) {
    const name = `${method.parent.typeName}.${method.name}`;
    it(`answers every generated ${name} request over gRPC with a proper status`, async () => {
      await checkProperty(rpcProperty(h!, method, { protocol: "grpc", codec: "proto", http: ["h2"] }));
    }, FUZZ_TEST_TIMEOUT_MS);
    it(`answers every generated ${name} request over gRPC-Web with a proper status`, async () => {
      await checkProperty(rpcProperty(h!, method, { protocol: "grpc-web", codec: "proto", http: ["h1", "h2"] }));
    }, FUZZ_TEST_TIMEOUT_MS);
  }

  it("leaves the database consistent, logs no unexpected error and keeps serving", async () => {
    finished = true;
    expect(await h!.finish()).toEqual([]);
  });
});
