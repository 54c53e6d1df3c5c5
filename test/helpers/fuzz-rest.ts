// REST requests for an RPC from its google.api.http rule: generated path variables, query and body.
import fc from "fast-check";
import { gzipSync } from "node:zlib";
import { getOption, hasOption, type DescField, type DescMethod } from "@bufbuild/protobuf";
import { http } from "../../gen/google/api/annotations_pb.js";
import { jsonBody } from "./fuzz-json.js";
import { stringFor, type FuzzContext } from "./fuzz-values.js";
import type { RawRequest } from "./fuzz-wire.js";

/** One HTTP binding of an RPC as the proto declares it. */
export interface RestBinding {
  verb: string;
  template: string;
  body: string;
}

/** The bindings of a method's `google.api.http` rule (none when it has no rule). */
export function restBindings(method: DescMethod): RestBinding[] {
  if (!hasOption(method, http)) return [];
  const rule = getOption(method, http);
  return [rule, ...rule.additionalBindings].flatMap((r) => {
    const p = r.pattern;
    if (p.case === undefined) return [];
    if (p.case === "custom") return [{ verb: p.value.kind.toUpperCase(), template: p.value.path, body: r.body }];
    return [{ verb: p.case.toUpperCase(), template: p.value, body: r.body }];
  });
}

const VARIABLE = /\{([^}=]+)(?:=[^}]*)?\}/g;

/** A path segment value: usually the field's plausible string percent-encoded, sometimes raw damage. */
function segment(field: DescField | undefined, ctx: FuzzContext): fc.Arbitrary<string> {
  const text = field ? stringFor(field, ctx) : fc.string({ maxLength: 8 });
  return fc.oneof(
    { arbitrary: text.filter((s) => s !== "").map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, "x"))), weight: 8 },
    { arbitrary: fc.constantFrom("%zz", "%", "%C0%AF", "%ED%A0%80", "..", ".", "%2F", "a%2Fb", "%00", "x".repeat(5000), "%20"), weight: 1 },
  );
}

/** A query string: field names (snake_case or lowerCamelCase, dotted) with generated values, and unknown keys. */
function query(method: DescMethod, ctx: FuzzContext): fc.Arbitrary<string> {
  const fields = method.input.fields;
  const pair = fields.length
    ? fc.tuple(fc.constantFrom(...fields), fc.boolean()).chain(([f, camel]) =>
        fc.tuple(fc.constant(camel ? f.jsonName : f.name), fc.oneof(stringFor(f, ctx), fc.constantFrom("true", "1", "-1", "1e3", "", "PAYLOAD_TYPE_JWT", "77"))),
      )
    : fc.tuple(fc.constant("x"), fc.string({ maxLength: 4 }));
  const odd = fc.tuple(fc.constantFrom("pagination.limit", "pagination.offset", "nope", "__proto__", "filters", "a.b.c"), fc.string({ maxLength: 6 }));
  return fc
    .array(fc.oneof({ arbitrary: pair, weight: 4 }, { arbitrary: odd, weight: 1 }), { maxLength: 3 })
    .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v.replace(/[\ud800-\udfff]/g, "x"))}`).join("&")}` : ""));
}

/** Content headers of a REST body: JSON, curl's form default, none, gzip, an unknown encoding. */
const contentHeaders = fc.constantFrom<Record<string, string>>(
  { "content-type": "application/json" },
  { "content-type": "application/json" },
  { "content-type": "application/x-www-form-urlencoded" },
  {},
  { "content-type": "text/plain" },
  { "content-type": "application/json", "content-encoding": "gzip" },
  { "content-type": "application/json", "content-encoding": "zstd" },
);

/** A generated REST request for one binding of a method (headers beyond content come from the caller). */
export function restRequest(method: DescMethod, binding: RestBinding, ctx: FuzzContext): fc.Arbitrary<RawRequest> {
  const names = [...binding.template.matchAll(VARIABLE)].map((m) => m[1]!);
  const segments = fc.tuple(...names.map((n) => segment(method.input.fields.find((f) => f.name === n), ctx)));
  const body = binding.body === "" ? fc.option(jsonBody(method.input, ctx), { freq: 4, nil: undefined }) : jsonBody(method.input, ctx);
  return fc.tuple(segments, query(method, ctx), body, contentHeaders).map(([values, q, bytes, headers]) => {
    let i = 0;
    const path = binding.template.replace(VARIABLE, () => values[i++] ?? "");
    const encoded = bytes && headers["content-encoding"] === "gzip" ? new Uint8Array(gzipSync(bytes)) : bytes;
    return { method: binding.verb, path: `${path}${q}`, headers, ...(encoded !== undefined ? { body: encoded } : {}) };
  });
}
