import * as crypto from "node:crypto";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { verifyLegacySignature, verifySignature } from "../../src/receiver/verify-signature.js";

// node:crypto's timingSafeEqual, wrapped so the test sees every comparison the receiver helpers make.
vi.mock("node:crypto", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:crypto")>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});
const timingSafeEqual = vi.mocked(crypto.timingSafeEqual);

const KEY = "aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5";
const OLD_KEY = "zZ9yY8xX7wW6vV5uU4tT3sS2rR1qQ0pP9oO8";
const NOW = 1_750_000_000;
const BODY = '{"fullMethod":"/zitadel.action.v2.ActionService/ListTargets"}';
const v1 = (key: string) => crypto.createHmac("sha256", key).update(`${NOW}.${BODY}`).digest("hex");
const legacy = (key: string) => `sha256=${crypto.createHmac("sha256", key).update(BODY).digest("hex")}`;
const at = { nowSec: NOW };

/** The byte lengths of both arguments of every timingSafeEqual call so far. */
const comparedLengths = () => timingSafeEqual.mock.calls.map(([a, b]) => [a.byteLength, b.byteLength]);

beforeEach(() => {
  timingSafeEqual.mockClear();
});

describe("signature comparison", () => {
  it("compares every v1 with every key through timingSafeEqual on 32-byte buffers, with no early exit on a match", () => {
    const header = `t=${NOW},v1=${v1(KEY)},v1=${v1(OLD_KEY)}`;
    expect(verifySignature(header, BODY, [KEY, OLD_KEY], at).ok).toBe(true);
    // The first comparison already matches; all four still run.
    expect(comparedLengths()).toEqual([[32, 32], [32, 32], [32, 32], [32, 32]]);
  });

  it("does the same number of comparisons for a forged signature as for a valid one", () => {
    expect(verifySignature(`t=${NOW},v1=${"00".repeat(32)},v1=${"11".repeat(32)}`, BODY, [KEY, OLD_KEY], at).ok).toBe(false);
    expect(timingSafeEqual).toHaveBeenCalledTimes(4);
  });

  it("answers false for a v1 of another length without throwing and without calling timingSafeEqual on unequal buffers", () => {
    for (const hex of ["00", v1(KEY).slice(2), `${v1(KEY)}00`, "ab".repeat(1000)]) {
      expect(verifySignature(`t=${NOW},v1=${hex}`, BODY, KEY, at)).toEqual({ ok: false, reason: "no_valid_signature" });
    }
    expect(timingSafeEqual).not.toHaveBeenCalled();
  });

  it("compares the legacy header through timingSafeEqual for every key", () => {
    expect(verifyLegacySignature(legacy(OLD_KEY), BODY, [KEY, OLD_KEY])).toBe(true);
    expect(comparedLengths()).toEqual([[32, 32], [32, 32]]);
  });

  it("never compares hex text directly: a valid digest in uppercase still verifies through the byte comparison", () => {
    expect(verifyLegacySignature(legacy(KEY).toUpperCase().replace("SHA256", "sha256"), BODY, KEY)).toBe(true);
    expect(timingSafeEqual).toHaveBeenCalledTimes(1);
  });
});
