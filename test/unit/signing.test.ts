import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signatureHeaders } from "../../src/execution/signing.js";

const NEW_KEY = "aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5";
const OLD_KEY = "zZ9yY8xX7wW6vV5uU4tT3sS2rR1qQ0pP9oO8";
const NOW = 1_750_000_000;

/** Independent reference: hex HMAC-SHA256 over the given byte parts. */
function hmac(key: string, ...parts: (string | Uint8Array)[]): string {
  const mac = createHmac("sha256", key);
  for (const p of parts) mac.update(p);
  return mac.digest("hex");
}

describe("signatureHeaders", () => {
  it("sends ZITADEL-Signature over \"<t>.<body>\" and X-ZITADEL-Signature over the body", () => {
    const body = '{"fullMethod":"/zitadel.user.v2.UserService/AddHumanUser"}';
    const headers = signatureHeaders(body, [NEW_KEY], NOW);
    expect(Object.keys(headers).sort()).toEqual(["X-ZITADEL-Signature", "ZITADEL-Signature"]);
    expect(headers["ZITADEL-Signature"]).toBe(`t=${NOW},v1=${hmac(NEW_KEY, `${NOW}.${body}`)}`);
    expect(headers["X-ZITADEL-Signature"]).toBe(`sha256=${hmac(NEW_KEY, body)}`);
  });

  it("carries one v1 per key, newest first, and signs the legacy header with the newest key only", () => {
    const body = "eyJhbGciOiJFUzI1NiJ9.e30.c2ln";
    const headers = signatureHeaders(body, [NEW_KEY, OLD_KEY], NOW);
    expect(headers["ZITADEL-Signature"]).toBe(
      `t=${NOW},v1=${hmac(NEW_KEY, `${NOW}.${body}`)},v1=${hmac(OLD_KEY, `${NOW}.${body}`)}`,
    );
    expect(headers["X-ZITADEL-Signature"]).toBe(`sha256=${hmac(NEW_KEY, body)}`);
  });

  it("sends no headers for a target without keys", () => {
    expect(signatureHeaders("{}", [], NOW)).toEqual({});
  });

  it("signs the UTF-8 bytes of a string body and raw bytes exactly as given", () => {
    const text = '{"name":"Zoë ✓ 🔑"}';
    const fromString = signatureHeaders(text, [NEW_KEY], NOW);
    const fromBytes = signatureHeaders(new TextEncoder().encode(text), [NEW_KEY], NOW);
    expect(fromBytes).toEqual(fromString);
    expect(fromString["ZITADEL-Signature"]).toBe(`t=${NOW},v1=${hmac(NEW_KEY, Buffer.from(`${NOW}.`), Buffer.from(text, "utf8"))}`);

    const binary = new Uint8Array([0xff, 0x00, 0xfe, 0x80]);
    expect(signatureHeaders(binary, [NEW_KEY], NOW)["X-ZITADEL-Signature"]).toBe(`sha256=${hmac(NEW_KEY, binary)}`);
  });

  it("writes the timestamp as whole unix seconds", () => {
    const headers = signatureHeaders("{}", [NEW_KEY], NOW + 0.75);
    expect(headers["ZITADEL-Signature"]).toBe(`t=${NOW},v1=${hmac(NEW_KEY, `${NOW}.{}`)}`);
  });

  it("produces lowercase hex digests of 64 characters", () => {
    const headers = signatureHeaders("x", [NEW_KEY], NOW);
    expect(headers["ZITADEL-Signature"]).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(headers["X-ZITADEL-Signature"]).toMatch(/^sha256=[0-9a-f]{64}$/);
  });
});
