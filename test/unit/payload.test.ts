import { describe, expect, it } from "vitest";
import { forwardedHeaders, goJson, requestPayload, responsePayload } from "../../src/execution/payload.js";

describe("payload encoding", () => {
  it("writes request payloads in upstream key order and omits empty identity fields", () => {
    const p = requestPayload("/a.B/C", { instanceID: "i", orgID: "", userID: "u" }, { id: "1" }, undefined);
    expect(goJson(p)).toBe('{"fullMethod":"/a.B/C","instanceID":"i","userID":"u","request":{"id":"1"}}');
  });

  it("puts response after request and headers last", () => {
    const p = responsePayload("/a.B/C", { instanceID: "i" }, {}, { ok: true }, { Host: ["h"] });
    expect(goJson(p)).toBe('{"fullMethod":"/a.B/C","instanceID":"i","request":{},"response":{"ok":true},"headers":{"Host":["h"]}}');
  });

  it("escapes HTML characters and line separators as Go does", () => {
    expect(goJson({ a: "<b>&\u2028" })).toBe('{"a":"\\u003cb\\u003e\\u0026\\u2028"}');
  });

  it("forwards only the allow-listed headers, canonically cased and sorted, never Authorization", () => {
    const h: Record<string, string> = { "content-type": "application/json", authorization: "Bearer x", host: "h:1", "x-forwarded-for": "1.1.1.1, 2.2.2.2", cookie: "c" };
    expect(forwardedHeaders((n) => h[n] ?? null)).toEqual({ "Content-Type": ["application/json"], Host: ["h:1"], "X-Forwarded-For": ["1.1.1.1, 2.2.2.2"] });
    expect(Object.keys(forwardedHeaders((n) => h[n] ?? null)!)).toEqual(["Content-Type", "Host", "X-Forwarded-For"]);
    expect(forwardedHeaders(() => null)).toBeUndefined();
  });
});
