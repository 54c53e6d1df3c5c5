import { describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { MAX_JSON_DEPTH, parseJsonBody } from "../../src/gateway/json-body.js";

const bytes = (text: string) => new TextEncoder().encode(text);

function refusal(text: string | Uint8Array): ConnectError {
  try {
    parseJsonBody(typeof text === "string" ? bytes(text) : text);
  } catch (e) {
    expect(e).toBeInstanceOf(ConnectError);
    expect((e as ConnectError).code).toBe(Code.InvalidArgument);
    return e as ConnectError;
  }
  throw new Error("the body should have been refused");
}

describe("parseJsonBody", () => {
  it("reads an empty or blank body as no body and a JSON value as itself", () => {
    expect(parseJsonBody(bytes(""))).toBeUndefined();
    expect(parseJsonBody(bytes(" \n"))).toBeUndefined();
    expect(parseJsonBody(bytes('{"a":[1,{"b":"}"}],"c":"\\"{["}'))).toEqual({ a: [1, { b: "}" }], c: '"{[' });
  });

  // Regression (found by the fuzz suite): 5,000 levels overflowed the stack when the gateway re-serialised the body.
  it.each([
    ["objects", '{"a":'.repeat(100_000) + "1" + "}".repeat(100_000)],
    ["arrays in a field", `{"filters":${"[".repeat(10_000)}${"]".repeat(10_000)}}`],
  ])("refuses %s nested deeper than the limit", (_what, text) => {
    expect(refusal(text).rawMessage).toBe(`request body nests deeper than ${MAX_JSON_DEPTH} levels`);
  });

  it("accepts nesting up to the limit", () => {
    expect(parseJsonBody(bytes("[".repeat(MAX_JSON_DEPTH) + "]".repeat(MAX_JSON_DEPTH)))).toBeDefined();
  });

  // Regression (found by the fuzz suite): REST kept the last of duplicate members; Connect JSON refuses them.
  it.each([
    ['{"name":"a","name":"b"}', "name"],
    ['{"x":{"name":"a","\\u006eame":"b"}}', "name"],
    ['{"a":[{"k":1},{"k":2}],"a":1}', "a"],
  ])("refuses %s for its duplicate member", (text, name) => {
    expect(refusal(text).rawMessage).toBe(`request body has the member "${name}" twice`);
  });

  it("allows the same name in sibling objects and as a string value", () => {
    expect(parseJsonBody(bytes('{"a":[{"k":1},{"k":2}],"b":"a","c":{"a":"a"}}'))).toBeDefined();
  });

  it("refuses invalid UTF-8 and malformed JSON", () => {
    expect(refusal(Uint8Array.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])).rawMessage).toBe("request body is not valid UTF-8");
    expect(refusal('{"a":').rawMessage).toMatch(/^request body is not valid JSON: /);
  });
});
