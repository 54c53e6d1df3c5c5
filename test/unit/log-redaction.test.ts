import { describe, expect, it } from "vitest";
import { captureLogs } from "../helpers/log-capture.js";

// The logger's redaction is the last line of defence: a secret that reaches a logged object by mistake
// must still not reach the log.

describe("log redaction", () => {
  it.each([
    ["a lower-case authorization header", { req: { headers: { authorization: "Bearer SECRET-1" } } }],
    ["a capitalised Authorization header", { headers: { Authorization: "Bearer SECRET-1" } }],
    ["request headers nested in an error", { err: { request: { headers: { authorization: "Bearer SECRET-1" } } } }],
    ["a capitalised header nested in an error", { err: { options: { headers: { Authorization: "Bearer SECRET-1" } } } }],
    ["a list of signing keys", { job: { signingKeys: ["SECRET-1", "SECRET-2"] } }],
    ["a private JWK", { key: { jwk: { kty: "EC", d: "SECRET-1" } } }],
    ["a private JWK at the top", { privateJwk: { d: "SECRET-1" } }],
    ["a top-level token", { token: "SECRET-1" }],
  ])("redacts %s", (_what, fields) => {
    const logs = captureLogs("trace");
    logs.logger.info(fields, "something happened");
    expect(logs.lines).toHaveLength(1);
    expect(logs.text()).not.toContain("SECRET-");
    expect(logs.text()).toContain("[redacted]");
  });
});
