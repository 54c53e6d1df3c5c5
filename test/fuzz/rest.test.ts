import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkProperty, FUZZ_TEST_TIMEOUT_MS } from "../helpers/fuzz-settings.js";
import { startFuzzHarness, unaryMethods, type FuzzHarness } from "../helpers/fuzz-harness.js";
import { anyRouteProperty, restProperty } from "../helpers/fuzz-properties.js";
import { restBindings } from "../helpers/fuzz-rest.js";

let h: FuzzHarness | undefined;
let finished = false;
beforeAll(async () => {
  h = await startFuzzHarness();
});
afterAll(async () => {
  if (h && !finished) await h.finish();
});

describe("REST fuzzing (google.api.http paths)", () => {
  const bound = unaryMethods().flatMap((method) => restBindings(method).map((binding) => ({ method, binding })));

  it("covers an HTTP binding of every RPC that declares one", () => {
    expect(bound.length).toBeGreaterThan(0);
  });

  for (const { method, binding } of bound) {
    it(`answers every generated ${binding.verb} ${binding.template} (${method.parent.typeName}.${method.name}) with a Status or a valid response`, async () => {
      await checkProperty(restProperty(h!, method, binding));
    }, FUZZ_TEST_TIMEOUT_MS);
  }

  it("answers any verb on any known or odd path without a server error", async () => {
    await checkProperty(anyRouteProperty(h!, bound.map((b) => b.binding.template)));
  }, FUZZ_TEST_TIMEOUT_MS);

  it("leaves the database consistent, logs no unexpected error and keeps serving", async () => {
    finished = true;
    expect(await h!.finish()).toEqual([]);
  });
});
