import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createSecretBox } from "../../src/crypto/secret-box.js";

const KEY = new Uint8Array(32).fill(7);
const AAD = "target-signing-key:123";
const SECRET = "aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5";

/** Returns the thrown error's message, failing when nothing is thrown. */
function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    return (e as Error).message;
  }
  throw new Error("expected a throw");
}

/** Flips one bit of a base64url segment's decoded bytes and re-encodes it. */
function flipBit(segment: string, byte: number): string {
  const buf = Buffer.from(segment, "base64url");
  buf[byte] = buf[byte]! ^ 1;
  return buf.toString("base64url");
}

describe("createSecretBox", () => {
  it("opens what it sealed", () => {
    const box = createSecretBox(KEY);
    expect(box.open(box.seal(SECRET, AAD), AAD)).toBe(SECRET);
  });

  it("round-trips empty and non-ASCII plaintexts", () => {
    const box = createSecretBox(KEY);
    for (const text of ["", "päss wörd ✓ 🔑", "x".repeat(10_000)]) expect(box.open(box.seal(text, AAD), AAD)).toBe(text);
  });

  it("produces v1.<12-byte iv>.<ciphertext plus 16-byte tag> in base64url", () => {
    const sealed = createSecretBox(KEY).seal(SECRET, AAD);
    const [version, iv, body, ...rest] = sealed.split(".");
    expect(version).toBe("v1");
    expect(rest).toEqual([]);
    expect(iv).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(body).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(iv!, "base64url")).toHaveLength(12);
    expect(Buffer.from(body!, "base64url")).toHaveLength(SECRET.length + 16);
  });

  it("uses a fresh IV for every seal of the same plaintext", () => {
    const box = createSecretBox(KEY);
    const ivs = new Set(Array.from({ length: 200 }, () => box.seal(SECRET, AAD).split(".")[1]));
    expect(ivs.size).toBe(200);
  });

  it("never contains the plaintext", () => {
    const sealed = createSecretBox(KEY).seal(SECRET, AAD);
    expect(sealed).not.toContain(SECRET);
    expect(sealed).not.toContain(Buffer.from(SECRET).toString("base64url").slice(0, 12));
  });

  it("opens with a second box built from the same key", () => {
    const sealed = createSecretBox(KEY).seal(SECRET, AAD);
    expect(createSecretBox(Uint8Array.from(KEY)).open(sealed, AAD)).toBe(SECRET);
  });

  it("refuses to open under a different master key", () => {
    const sealed = createSecretBox(KEY).seal(SECRET, AAD);
    const other = createSecretBox(randomBytes(32));
    expect(errorOf(() => other.open(sealed, AAD))).toMatch(/cannot open sealed value/);
  });

  it("refuses to open a value sealed for another owner", () => {
    const box = createSecretBox(KEY);
    const sealed = box.seal(SECRET, "target-signing-key:123");
    expect(errorOf(() => box.open(sealed, "target-signing-key:124"))).toMatch(/cannot open sealed value/);
  });

  it("detects a flipped bit in the IV, the ciphertext or the tag", () => {
    const box = createSecretBox(KEY);
    const [v, iv, body] = box.seal(SECRET, AAD).split(".") as [string, string, string];
    const bodyLen = Buffer.from(body, "base64url").length;
    for (const tampered of [
      `${v}.${flipBit(iv, 0)}.${body}`,
      `${v}.${iv}.${flipBit(body, 0)}`,
      `${v}.${iv}.${flipBit(body, bodyLen - 1)}`,
    ]) {
      expect(errorOf(() => box.open(tampered, AAD))).toMatch(/cannot open sealed value/);
    }
  });

  it("detects a truncated tag", () => {
    const box = createSecretBox(KEY);
    const [v, iv, body] = box.seal(SECRET, AAD).split(".") as [string, string, string];
    const cut = Buffer.from(body, "base64url").subarray(0, -1).toString("base64url");
    expect(errorOf(() => box.open(`${v}.${iv}.${cut}`, AAD))).toMatch(/cannot open sealed value/);
  });

  it.each([
    "",
    "v1",
    "v1..",
    "v2.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA",
    "v1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA.extra",
    "v1.AAAA.AAAAAAAAAAAAAAAAAAAAAA",
    "v1.AAAAAAAAAAAAAAAA.AAAA",
    "v1.AAAAAAAAAAAAAAA+.AAAAAAAAAAAAAAAAAAAAAA",
    "v1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA==",
    "v1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAA B",
  ])("rejects the malformed value %j", (sealed) => {
    expect(errorOf(() => createSecretBox(KEY).open(sealed, AAD))).toBe("secret box: sealed value is malformed");
  });

  it("rejects non-canonical base64url whose spare bits are set, though it decodes to the same bytes", () => {
    const box = createSecretBox(KEY);
    const [v, iv, body] = box.seal(SECRET, AAD).split(".") as [string, string, string];
    // 52 body bytes are 70 digits: the last one carries 4 spare bits, which seal leaves zero.
    expect(body.length % 4).toBe(2);
    const digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = digits.indexOf(body.at(-1)!);
    const spare = `${body.slice(0, -1)}${digits[last | 1]}`;
    expect(Buffer.from(spare, "base64url")).toEqual(Buffer.from(body, "base64url"));
    expect(errorOf(() => box.open(`${v}.${iv}.${spare}`, AAD))).toBe("secret box: sealed value is malformed");
    // A dangling digit (a length of 4n + 1) is dropped by Buffer.from; here it is refused.
    expect((body.length + 3) % 4).toBe(1);
    expect(errorOf(() => box.open(`${v}.${iv}.${body}AAA`, AAD))).toBe("secret box: sealed value is malformed");
    // Three spare-bit digits: an IV cut to 11 bytes (15 digits) with its last digit's 2 spare bits set.
    const iv11 = Buffer.from(iv, "base64url").subarray(0, 11).toString("base64url");
    const ivSpare = `${iv11.slice(0, -1)}${digits[digits.indexOf(iv11.at(-1)!) | 1]}`;
    expect(errorOf(() => box.open(`${v}.${ivSpare}.${body}`, AAD))).toBe("secret box: sealed value is malformed");
    expect(box.open(`${v}.${iv}.${body}`, AAD)).toBe(SECRET);
  });

  it("keeps the sealed value and the secret out of error messages", () => {
    const box = createSecretBox(KEY);
    const sealed = box.seal(SECRET, AAD);
    const message = errorOf(() => box.open(sealed, "someone-else"));
    expect(message).not.toContain(sealed);
    expect(message).not.toContain(SECRET);
  });

  it.each([0, 16, 31, 33, 64])("rejects a %i-byte master key", (n) => {
    expect(errorOf(() => createSecretBox(new Uint8Array(n)))).toBe("secret box: master key must be 32 bytes");
  });

  it("is unaffected by later changes to the caller's key buffer", () => {
    const key = Uint8Array.from(KEY);
    const box = createSecretBox(key);
    const sealed = box.seal(SECRET, AAD);
    key.fill(0);
    expect(box.open(sealed, AAD)).toBe(SECRET);
  });
});
