import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkProperty, FUZZ_TEST_TIMEOUT_MS } from "../helpers/fuzz-settings.js";
import { startFuzzHarness, unaryMethods, type FuzzHarness } from "../helpers/fuzz-harness.js";
import { rpcProperty } from "../helpers/fuzz-properties.js";

let h: FuzzHarness | undefined;
let finished = false;
beforeAll(async () => {
  h = await startFuzzHarness();
});
afterAll(async () => {
  if (h && !finished) await h.finish();
});

describe("Connect JSON fuzzing", () => {
  for (const method of unaryMethods()) {
    it(`answers every generated ${method.parent.typeName}.${method.name} request with a proper code`, async () => {
      await checkProperty(rpcProperty(h!, method, { protocol: "connect", codec: "json", http: ["h1", "h2"] }));
    }, FUZZ_TEST_TIMEOUT_MS);
  }

  it("leaves the database consistent, logs no unexpected error and keeps serving", async () => {
    finished = true;
    const sent = h!.sent.count;
    expect(await h!.finish()).toEqual([]);
    expect(sent).toBeGreaterThan(0);
  });
});
