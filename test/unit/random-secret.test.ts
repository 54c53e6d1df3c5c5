import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { constantTimeEqual, generateSigningKey, generateToken, sha256 } from "../../src/crypto/random-secret.js";

describe("generateSigningKey", () => {
  it("returns 36 characters from [a-zA-Z0-9]", () => {
    for (let i = 0; i < 200; i++) expect(generateSigningKey()).toMatch(/^[a-zA-Z0-9]{36}$/);
  });

  it("never repeats a key", () => {
    const keys = new Set(Array.from({ length: 2000 }, generateSigningKey));
    expect(keys.size).toBe(2000);
  });

  it("uses all 62 characters with roughly uniform frequency", () => {
    const counts = new Map<string, number>();
    const n = 4000;
    for (let i = 0; i < n; i++) for (const c of generateSigningKey()) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(62);
    // 144,000 draws, ~2323 per character with sd ~48: a modulo bias (+25% on a-h) would be far outside ±15%.
    const expected = (n * 36) / 62;
    for (const [, count] of counts) {
      expect(count).toBeGreaterThan(expected * 0.85);
      expect(count).toBeLessThan(expected * 1.15);
    }
  });
});

describe("generateToken", () => {
  it("is the prefix followed by 43 base64url characters", () => {
    expect(generateToken("tthr_")).toMatch(/^tthr_[A-Za-z0-9_-]{43}$/);
    expect(generateToken("")).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("carries 32 random bytes", () => {
    expect(Buffer.from(generateToken("p_").slice(2), "base64url")).toHaveLength(32);
  });

  it("never repeats a token", () => {
    expect(new Set(Array.from({ length: 1000 }, () => generateToken("x"))).size).toBe(1000);
  });
});

describe("sha256", () => {
  it("hashes the UTF-8 bytes of a string", () => {
    expect(sha256("abc").toString("hex")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256("päss").equals(createHash("sha256").update(Buffer.from("päss", "utf8")).digest())).toBe(true);
  });

  it("returns 32 bytes for the empty string", () => {
    expect(sha256("")).toHaveLength(32);
  });
});

describe("constantTimeEqual", () => {
  it("is true for equal bytes", () => {
    expect(constantTimeEqual(Buffer.from("secret"), new TextEncoder().encode("secret"))).toBe(true);
    expect(constantTimeEqual(new Uint8Array(), new Uint8Array())).toBe(true);
  });

  it("is false for different bytes of the same length", () => {
    expect(constantTimeEqual(Buffer.from("secret"), Buffer.from("secreT"))).toBe(false);
  });

  it("is false, without throwing, for different lengths", () => {
    expect(constantTimeEqual(Buffer.from("secret"), Buffer.from("secret!"))).toBe(false);
    expect(constantTimeEqual(new Uint8Array(), Buffer.from("x"))).toBe(false);
  });
});
