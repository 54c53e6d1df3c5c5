// Run counts and replay settings of the fuzz suite, read once from the environment.
import fc from "fast-check";

/** Default runs per property in CI: every RPC × protocol gets this many generated requests. */
export const DEFAULT_FUZZ_RUNS = 24;

function integerFrom(name: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${name} must be an integer of at least ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

/** Runs per property: `FUZZ_RUNS` (default {@link DEFAULT_FUZZ_RUNS}); the opt-in long run sets it high. */
export const fuzzRuns = integerFrom("FUZZ_RUNS", process.env["FUZZ_RUNS"], 1) ?? DEFAULT_FUZZ_RUNS;

/** The seed every property starts from: `FUZZ_SEED` to replay a failure, otherwise random per process. */
export const fuzzSeed = integerFrom("FUZZ_SEED", process.env["FUZZ_SEED"], -(2 ** 31)) ?? (Date.now() ^ (Math.random() * 0x100000000)) | 0;

/** Time budget of one property (runs plus shrinking), growing with `FUZZ_RUNS`; a test's own timeout must be above it. */
export const FUZZ_TIME_LIMIT_MS = Math.max(45_000, fuzzRuns * 400);

/** The vitest timeout for a test that checks one property. */
export const FUZZ_TEST_TIMEOUT_MS = FUZZ_TIME_LIMIT_MS + 30_000;

/**
 * Checks an async property with the suite's run count and seed; on failure the counterexample is shrunk and the
 * error names the seed and path: replay with `FUZZ_SEED=<seed> FUZZ_PATH=<path> vitest run <file> -t '<test>'`
 * (ids and stored state differ per server, so a stateful failure may need the whole file rather than one test).
 */
export async function checkProperty<Ts extends [unknown, ...unknown[]]>(
  property: fc.IAsyncPropertyWithHooks<Ts>,
  options: { runs?: number } = {},
): Promise<void> {
  const path = process.env["FUZZ_PATH"];
  const details = await fc.check(property, {
    numRuns: options.runs ?? fuzzRuns,
    seed: fuzzSeed,
    ...(path ? { path } : {}),
    // Shrinking re-sends requests; bound it so a failure is reported within the test timeout.
    endOnFailure: false,
    interruptAfterTimeLimit: FUZZ_TIME_LIMIT_MS,
    markInterruptAsFailure: false,
  });
  if (details.interrupted && !details.failed) console.warn(`[fuzz] time limit reached after ${details.numRuns} of ${options.runs ?? fuzzRuns} runs (seed ${details.seed})`);
  if (!details.failed) return;
  const replay = `FUZZ_SEED=${details.seed} FUZZ_PATH=${details.counterexamplePath ?? ""}`;
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  const counterexample = fc.stringify(details.counterexample);
  throw new Error(`fuzz property failed (replay: ${replay})\ncounterexample: ${counterexample.slice(0, 2000)}${counterexample.length > 2000 ? "…" : ""}\n${error}`);
}

/** With `FUZZ_DEBUG=1`, prints one line per request and answer, to follow a replayed failure step by step. */
export function fuzzTrace(...parts: unknown[]): void {
  if (process.env["FUZZ_DEBUG"]) console.error("[fuzz]", ...parts);
}
