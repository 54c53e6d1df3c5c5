import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signatureHeaders } from "../../src/execution/signing.js";
import { verifyLegacySignature, verifySignature } from "../../src/receiver/verify-signature.js";

const KEY = "aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5";
const OLD_KEY = "zZ9yY8xX7wW6vV5uU4tT3sS2rR1qQ0pP9oO8";
const OTHER_KEY = "000000000000000000000000000000000000";
const NOW = 1_750_000_000;
const BODY = '{"fullMethod":"/zitadel.user.v2.UserService/AddHumanUser","instanceID":"1"}';

/** An independent signer, built only on node:crypto. */
function v1(key: string, t: number | string, body: string = BODY): string {
  return createHmac("sha256", key).update(`${t}.${body}`).digest("hex");
}

const at = { nowSec: NOW };

describe("verifySignature", () => {
  it("accepts a header signed with the key and returns the timestamp", () => {
    expect(verifySignature(`t=${NOW},v1=${v1(KEY, NOW)}`, BODY, KEY, at)).toEqual({ ok: true, timestamp: NOW });
  });

  it("accepts the body as bytes and the hex digest in uppercase", () => {
    const header = `t=${NOW},v1=${v1(KEY, NOW).toUpperCase()}`;
    expect(verifySignature(header, new TextEncoder().encode(BODY), KEY, at).ok).toBe(true);
  });

  it("accepts any matching v1 during a rotation grace period, for either key list order", () => {
    const header = `t=${NOW},v1=${v1(KEY, NOW)},v1=${v1(OLD_KEY, NOW)}`;
    expect(verifySignature(header, BODY, KEY, at).ok).toBe(true);
    expect(verifySignature(header, BODY, OLD_KEY, at).ok).toBe(true);
    expect(verifySignature(`t=${NOW},v1=${v1(OLD_KEY, NOW)}`, BODY, [KEY, OLD_KEY], at).ok).toBe(true);
  });

  it("reports not_signed for a missing or empty header", () => {
    for (const header of [undefined, null, ""]) expect(verifySignature(header, BODY, KEY, at)).toEqual({ ok: false, reason: "not_signed" });
  });

  it("reports malformed_header when a part does not split into exactly two pieces or t is not an integer", () => {
    const sig = v1(KEY, NOW);
    for (const header of [`t=${NOW},v1`, `t=${NOW},v1=${sig}=`, `t=${NOW},,v1=${sig}`, `t=abc,v1=${sig}`, `t=-5,v1=${sig}`, `v1=${sig}`, "garbage"]) {
      expect(verifySignature(header, BODY, KEY, at), header).toEqual({ ok: false, reason: "malformed_header" });
    }
  });

  it("ignores unknown keys and skips non-hex v1 values", () => {
    const header = `t=${NOW},v0=deadbeef,v1=not-hex,v1=abc,v1=${v1(KEY, NOW)},scheme=x`;
    expect(verifySignature(header, BODY, KEY, at).ok).toBe(true);
    expect(verifySignature(`t=${NOW},v1=zz`, BODY, KEY, at)).toEqual({ ok: false, reason: "no_valid_signature" });
  });

  it("rejects a timestamp older than the tolerance as stale and accepts one at the boundary", () => {
    expect(verifySignature(`t=${NOW - 300},v1=${v1(KEY, NOW - 300)}`, BODY, KEY, at).ok).toBe(true);
    expect(verifySignature(`t=${NOW - 301},v1=${v1(KEY, NOW - 301)}`, BODY, KEY, at)).toEqual({ ok: false, reason: "stale" });
    expect(verifySignature(`t=${NOW - 60},v1=${v1(KEY, NOW - 60)}`, BODY, KEY, { nowSec: NOW, toleranceSec: 30 })).toEqual({ ok: false, reason: "stale" });
  });

  it("rejects a timestamp further in the future than the tolerance (stricter than upstream)", () => {
    expect(verifySignature(`t=${NOW + 300},v1=${v1(KEY, NOW + 300)}`, BODY, KEY, at).ok).toBe(true);
    expect(verifySignature(`t=${NOW + 301},v1=${v1(KEY, NOW + 301)}`, BODY, KEY, at)).toEqual({ ok: false, reason: "future" });
  });

  it("uses the system clock when no time is given", () => {
    const now = Math.floor(Date.now() / 1000);
    expect(verifySignature(`t=${now},v1=${v1(KEY, now)}`, BODY, KEY).ok).toBe(true);
  });

  it("rejects a modified body, a wrong key, a re-dated signature and an empty key list", () => {
    const header = `t=${NOW},v1=${v1(KEY, NOW)}`;
    const fail = { ok: false, reason: "no_valid_signature" };
    expect(verifySignature(header, BODY.replace("1", "2"), KEY, at)).toEqual(fail);
    expect(verifySignature(header, `${BODY} `, KEY, at)).toEqual(fail);
    expect(verifySignature(header, BODY, OTHER_KEY, at)).toEqual(fail);
    expect(verifySignature(`t=${NOW - 1},v1=${v1(KEY, NOW)}`, BODY, KEY, at)).toEqual(fail);
    expect(verifySignature(header, BODY, [], at)).toEqual(fail);
  });

  it("signs the decimal form of t, as upstream does", () => {
    expect(verifySignature(`t=0${NOW},v1=${v1(KEY, NOW)}`, BODY, KEY, at).ok).toBe(true);
  });

  it("accepts Node's array form and the comma-space joining of repeated header lines", () => {
    expect(verifySignature([`t=${NOW}`, `v1=${v1(KEY, NOW)}`], BODY, KEY, at).ok).toBe(true);
    expect(verifySignature(`t=${NOW}, v1=${v1(KEY, NOW)}`, BODY, KEY, at).ok).toBe(true);
  });
});

describe("verifyLegacySignature", () => {
  const legacy = (key: string, body: string = BODY) => `sha256=${createHmac("sha256", key).update(body).digest("hex")}`;

  it("accepts sha256=<hex HMAC of the body> for any of the keys", () => {
    expect(verifyLegacySignature(legacy(KEY), BODY, KEY)).toBe(true);
    expect(verifyLegacySignature(legacy(OLD_KEY), new TextEncoder().encode(BODY), [KEY, OLD_KEY])).toBe(true);
  });

  it("rejects a wrong key, a modified body and malformed or missing headers", () => {
    expect(verifyLegacySignature(legacy(KEY), BODY, OTHER_KEY)).toBe(false);
    expect(verifyLegacySignature(legacy(KEY), `${BODY}x`, KEY)).toBe(false);
    const hex = legacy(KEY).slice("sha256=".length);
    for (const header of [undefined, null, "", hex, `sha1=${hex}`, `sha256=${hex.slice(2)}`, `sha256=${hex}00`]) {
      expect(verifyLegacySignature(header, BODY, KEY)).toBe(false);
    }
  });
});

describe("signatureHeaders and the receiver helpers together", () => {
  it("verify what the engine sends, including during a grace period", () => {
    const headers = signatureHeaders(BODY, [KEY, OLD_KEY], NOW);
    expect(verifySignature(headers["ZITADEL-Signature"], BODY, OLD_KEY, at)).toEqual({ ok: true, timestamp: NOW });
    expect(verifyLegacySignature(headers["X-ZITADEL-Signature"], BODY, KEY)).toBe(true);
    expect(verifyLegacySignature(headers["X-ZITADEL-Signature"], BODY, OLD_KEY)).toBe(false);
  });
});
