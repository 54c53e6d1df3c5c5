import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { verifyLegacySignature, verifySignature, type SignatureVerification } from "../../src/receiver/verify-signature.js";

// Hostile input for the receiver helpers: whatever a caller puts in the header must give a result (never an
// exception), while a receiver's own misconfiguration must throw instead of accepting forged or replayed calls.

const KEY = "aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5";
const NOW = 1_750_000_000;
const BODY = '{"fullMethod":"/zitadel.action.v2.ActionService/ListTargets","instanceID":"1"}';
const at = { nowSec: NOW };

function v1(key: string, t: number | string, body: string = BODY): string {
  return createHmac("sha256", key).update(`${t}.${body}`).digest("hex");
}
const signed = (t: number = NOW, key = KEY) => `t=${t},v1=${v1(key, t)}`;
const legacy = (key: string, body: string = BODY) => `sha256=${createHmac("sha256", key).update(body).digest("hex")}`;
const fail = (reason: string): SignatureVerification => ({ ok: false, reason }) as SignatureVerification;

describe("verifySignature against hostile headers", () => {
  it("rejects stale and future timestamps just beyond the tolerance, also with a custom tolerance of 0", () => {
    expect(verifySignature(signed(NOW - 301), BODY, KEY, at)).toEqual(fail("stale"));
    expect(verifySignature(signed(NOW + 301), BODY, KEY, at)).toEqual(fail("future"));
    expect(verifySignature(signed(NOW - 1), BODY, KEY, { nowSec: NOW, toleranceSec: 0 })).toEqual(fail("stale"));
    expect(verifySignature(signed(NOW + 1), BODY, KEY, { nowSec: NOW, toleranceSec: 0 })).toEqual(fail("future"));
    expect(verifySignature(signed(0), BODY, KEY, at)).toEqual(fail("stale"));
  });

  it("rejects a signature replayed onto a modified body or checked with a wrong key", () => {
    expect(verifySignature(signed(), BODY.replace("ListTargets", "DeleteTarget"), KEY, at)).toEqual(fail("no_valid_signature"));
    expect(verifySignature(signed(), Buffer.from(`${BODY}\n`), KEY, at)).toEqual(fail("no_valid_signature"));
    expect(verifySignature(signed(), BODY, KEY.toLowerCase(), at)).toEqual(fail("no_valid_signature"));
    // A key that differs only in its last character.
    expect(verifySignature(signed(), BODY, `${KEY.slice(0, -1)}6`, at)).toEqual(fail("no_valid_signature"));
  });

  it.each([
    ["missing t", `v1=${v1(KEY, NOW)}`],
    ["non-numeric t", `t=now,v1=${v1(KEY, NOW)}`],
    ["t=NaN", `t=NaN,v1=${v1(KEY, NOW)}`],
    ["t=Infinity", `t=Infinity,v1=${v1(KEY, NOW)}`],
    ["negative t", `t=-${NOW},v1=${v1(KEY, NOW)}`],
    ["t with a sign", `t=+${NOW},v1=${v1(KEY, NOW)}`],
    ["t in exponent form", `t=1.75e9,v1=${v1(KEY, NOW)}`],
    ["fractional t", `t=${NOW}.5,v1=${v1(KEY, NOW)}`],
    ["hex t", `t=0x${NOW.toString(16)},v1=${v1(KEY, NOW)}`],
    ["t longer than 15 digits", `t=${"9".repeat(16)},v1=${v1(KEY, NOW)}`],
    ["non-ASCII digits in t", `t=١٧٥٠٠٠٠٠٠٠,v1=${v1(KEY, NOW)}`],
    ["empty t", `t=,v1=${v1(KEY, NOW)}`],
    ["an empty part", `t=${NOW},,v1=${v1(KEY, NOW)}`],
    ["a trailing comma", `${signed()},`],
    ["a leading comma", `,${signed()}`],
    ["a part without =", `t=${NOW},v1`],
    ["a part with two =", `t=${NOW},v1=${v1(KEY, NOW)}=`],
    ["only commas", ",,,"],
    ["only =", "="],
    ["whitespace", "   "],
    ["a header longer than 64 KiB", `${signed()},${"x=y,".repeat(20_000)}v1=00`],
  ])("answers malformed_header for %s without throwing", (_what, header) => {
    expect(verifySignature(header, BODY, KEY, at)).toEqual(fail("malformed_header"));
  });

  it.each([
    ["missing v1", `t=${NOW}`],
    ["empty v1", `t=${NOW},v1=`],
    ["non-hex v1", `t=${NOW},v1=${"g".repeat(64)}`],
    ["odd-length hex v1", `t=${NOW},v1=${v1(KEY, NOW).slice(1)}`],
    ["v1 one byte short", `t=${NOW},v1=${v1(KEY, NOW).slice(2)}`],
    ["v1 one byte long", `t=${NOW},v1=${v1(KEY, NOW)}00`],
    ["v1 of a single byte", `t=${NOW},v1=00`],
    ["a huge v1", `t=${NOW},v1=${"ab".repeat(30_000)}`],
    ["the digest under another scheme name", `t=${NOW},v0=${v1(KEY, NOW)}`],
    ["an uppercase scheme name", `t=${NOW},V1=${v1(KEY, NOW)}`],
    ["the signature of the legacy header", `t=${NOW},v1=${legacy(KEY).slice(7)}`],
  ])("answers no_valid_signature for %s without throwing", (_what, header) => {
    expect(verifySignature(header, BODY, KEY, at)).toEqual(fail("no_valid_signature"));
  });

  it("treats duplicate parts consistently: any valid v1 counts, the last t is the signed one", () => {
    expect(verifySignature(`t=${NOW},v1=${"00".repeat(32)},v1=${v1(KEY, NOW)},v1=${v1(KEY, NOW)}`, BODY, KEY, at).ok).toBe(true);
    // A second t re-dates the header, so the signature (over the first t) no longer matches.
    expect(verifySignature(`${signed()},t=${NOW + 1}`, BODY, KEY, at)).toEqual(fail("no_valid_signature"));
    expect(verifySignature(`t=${NOW - 1000},${signed()}`, BODY, KEY, at).ok).toBe(true);
    // A stale first t cannot smuggle a fresh signature past the age check, nor the other way round.
    expect(verifySignature(`${signed(NOW - 1000)},t=${NOW}`, BODY, KEY, at)).toEqual(fail("no_valid_signature"));
    expect(verifySignature(`${signed()},t=${NOW - 1000}`, BODY, KEY, at)).toEqual(fail("stale"));
  });

  it("answers quickly for the largest header it parses (many v1 values and several keys)", () => {
    const header = `t=${NOW},${Array.from({ length: 900 }, (_, i) => `v1=${v1(`k${i}`, NOW)}`).join(",")}`;
    expect(header.length).toBeLessThan(64 * 1024);
    const started = performance.now();
    expect(verifySignature(header, BODY, [KEY, "another-key-1", "another-key-2"], at)).toEqual(fail("no_valid_signature"));
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("parses array headers with hostile members the same way as the joined string", () => {
    expect(verifySignature([`t=${NOW}`, "", `v1=${v1(KEY, NOW)}`], BODY, KEY, at)).toEqual(fail("malformed_header"));
    expect(verifySignature([], BODY, KEY, at)).toEqual(fail("not_signed"));
    expect(verifySignature([signed(), signed(NOW - 1000)], BODY, KEY, at)).toEqual(fail("stale"));
  });
});

describe("verifySignature against receiver misconfiguration", () => {
  it("throws for an empty key instead of accepting an HMAC anyone can compute", () => {
    expect(() => verifySignature(signed(NOW, ""), BODY, "", at)).toThrow(TypeError);
  });

  it("throws for a missing key (an unset environment variable) with a clear message", () => {
    expect(() => verifySignature(signed(), BODY, undefined as unknown as string, at)).toThrow(/the signing key must be a non-empty string/);
    expect(() => verifySignature(signed(), BODY, [KEY, 5] as unknown as string[], at)).toThrow(/signing keys must be strings/);
  });

  it("skips empty or missing entries of a key list (an unused previous-key slot) and never verifies with them", () => {
    const slots = [KEY, "", undefined, null] as unknown as string[];
    expect(verifySignature(signed(), BODY, slots, at).ok).toBe(true);
    expect(verifySignature(signed(NOW, ""), BODY, slots, at)).toEqual(fail("no_valid_signature"));
    expect(verifySignature(signed(NOW, ""), BODY, ["", undefined] as unknown as string[], at)).toEqual(fail("no_valid_signature"));
  });

  it("throws for a parsed body, whose signed bytes are gone", () => {
    expect(() => verifySignature(signed(), JSON.parse(BODY) as string, KEY, at)).toThrow(/rawBody must be the raw request body/);
  });

  it.each([
    ["toleranceSec NaN", { nowSec: NOW, toleranceSec: Number.NaN }],
    ["toleranceSec negative", { nowSec: NOW, toleranceSec: -1 }],
    ["toleranceSec Infinity", { nowSec: NOW, toleranceSec: Number.POSITIVE_INFINITY }],
    ["nowSec NaN", { nowSec: Number.NaN }],
    ["nowSec Infinity", { nowSec: Number.POSITIVE_INFINITY }],
  ])("throws for %s instead of accepting a timestamp from 1970", (_what, options) => {
    expect(() => verifySignature(signed(1), BODY, KEY, options)).toThrow(RangeError);
  });

  it("checks the receiver's arguments even when the header is missing, so a misconfiguration shows at once", () => {
    expect(() => verifySignature(undefined, BODY, "", at)).toThrow(TypeError);
  });
});

describe("verifyLegacySignature against hostile input", () => {
  it("rejects a modified body and a wrong key", () => {
    expect(verifyLegacySignature(legacy(KEY), `${BODY} `, KEY)).toBe(false);
    expect(verifyLegacySignature(legacy(KEY), BODY, `${KEY.slice(0, -1)}6`)).toBe(false);
  });

  it.each([
    ["the hex without a scheme", legacy(KEY).slice(7)],
    ["another scheme", `sha512=${legacy(KEY).slice(7)}`],
    ["an uppercase scheme", `SHA256=${legacy(KEY).slice(7)}`],
    ["odd-length hex", `${legacy(KEY).slice(0, -1)}`],
    ["non-hex", `sha256=${"z".repeat(64)}`],
    ["two signatures", `${legacy(KEY)},${legacy(KEY)}`],
    ["an empty value", "sha256="],
    ["a huge header", `${legacy(KEY)}${" ".repeat(100_000)}`],
    ["the v1 header format", signed()],
  ])("answers false for %s without throwing", (_what, header) => {
    expect(verifyLegacySignature(header, BODY, KEY)).toBe(false);
  });

  it("answers false for an array with two values (a second header line)", () => {
    expect(verifyLegacySignature([legacy(KEY), legacy(KEY)], BODY, KEY)).toBe(false);
  });

  it("throws for an empty or missing key and for a parsed body, and never verifies with an empty list entry", () => {
    expect(verifyLegacySignature(legacy(""), BODY, [KEY, ""])).toBe(false);
    expect(() => verifyLegacySignature(legacy(""), BODY, "")).toThrow(TypeError);
    expect(() => verifyLegacySignature(legacy(KEY), BODY, null as unknown as string)).toThrow(TypeError);
    expect(() => verifyLegacySignature(legacy(KEY), { a: 1 } as unknown as string, KEY)).toThrow(TypeError);
  });
});
