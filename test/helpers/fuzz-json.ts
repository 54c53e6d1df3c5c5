// Schema-aware generators of protobuf-JSON request bodies, mostly plausible, sometimes malformed on purpose.
import fc from "fast-check";
import { ScalarType, type DescField, type DescMessage, type DescOneof } from "@bufbuild/protobuf";
import {
  bytesJson,
  bytesValue,
  durationJson,
  enumJson,
  int32Json,
  int64Json,
  junkJson,
  serializeJson,
  stringFor,
  timestampJson,
  validDurationJson,
  validTimestampJson,
  type FuzzContext,
} from "./fuzz-values.js";

type Json = unknown;
type Entry = readonly [key: string, value: Json];

const MAX_DEPTH = 4;

/** How much damage generators may do: `clean` requests are well-formed protobuf JSON (values may still be wrong). */
export interface Noise {
  clean: boolean;
}

/** A JSON value for a singular scalar. */
function scalarJson(field: DescField, scalar: ScalarType, ctx: FuzzContext, noise: Noise): fc.Arbitrary<Json> {
  switch (scalar) {
    case ScalarType.STRING:
      return stringFor(field, ctx, noise.clean);
    case ScalarType.BYTES:
      return noise.clean ? bytesValue.map((b) => Buffer.from(b).toString("base64")) : bytesJson;
    case ScalarType.BOOL:
      return noise.clean ? fc.boolean() : fc.oneof({ arbitrary: fc.boolean(), weight: 6 }, { arbitrary: fc.constantFrom("true", 1, 0, "yes"), weight: 1 });
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return noise.clean ? fc.bigInt({ min: 0n, max: 2000n }).map(String) : int64Json;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return noise.clean ? fc.double({ noNaN: true, noDefaultInfinity: true }) : fc.oneof(fc.double(), fc.constantFrom("NaN", "Infinity", "-Infinity", "1e999"));
    default:
      return noise.clean ? fc.integer({ min: 0, max: 1100 }) : int32Json;
  }
}

/** A JSON value for one element (or the singular value) of a field. */
function elementJson(field: DescField, ctx: FuzzContext, depth: number, noise: Noise): fc.Arbitrary<Json> {
  switch (field.fieldKind) {
    case "scalar":
      return scalarJson(field, field.scalar, ctx, noise);
    case "enum":
      return enumJson(field.enum, noise.clean);
    case "message":
      return messageJson(field.message, ctx, depth + 1, noise);
    case "list":
      if (field.listKind === "scalar") return scalarJson(field, field.scalar, ctx, noise);
      if (field.listKind === "enum") return enumJson(field.enum, noise.clean);
      return messageJson(field.message, ctx, depth + 1, noise);
    case "map":
      return fc.constant({});
  }
}

/** A JSON value for a field: the right type, or (unless clean) sometimes anything at all. */
export function fieldJson(field: DescField, ctx: FuzzContext, depth: number, noise: Noise): fc.Arbitrary<Json> {
  const element = elementJson(field, ctx, depth, noise);
  const right =
    field.fieldKind === "list"
      ? fc.oneof(
          { arbitrary: fc.array(element, { maxLength: 4 }), weight: 8 },
          // Big lists reach the stores' query builders (one bound parameter per element).
          { arbitrary: fc.tuple(element, fc.constantFrom(1001, 40_000)).map(([e, n]) => manyOf(e, n)), weight: 2 },
          { arbitrary: element, weight: 1 },
        )
      : field.fieldKind === "map"
        ? fc.dictionary(fc.string({ maxLength: 4 }), junkJson, { maxKeys: 2 })
        : element;
  return noise.clean ? right : fc.oneof({ arbitrary: right, weight: 12 }, { arbitrary: junkJson, weight: 1 });
}

// Many copies of one element, made distinct when they are strings (id lists refuse duplicates), kept to about
// 800 KB in all so that the list, not the body size limit, is what the server has to deal with.
function manyOf(element: Json, n: number): Json[] {
  const size = (serializeJson(element).length || 1) + 8;
  const count = Math.max(1, Math.min(n, Math.floor(800_000 / size)));
  return Array.from({ length: count }, (_, i) => (typeof element === "string" ? `${element}${i}` : element));
}

/** The key a field is sent under: lowerCamelCase or the proto name, as protobuf JSON parsers accept both. */
function keyOf(field: DescField): fc.Arbitrary<string> {
  return field.jsonName === field.name ? fc.constant(field.name) : fc.constantFrom(field.jsonName, field.jsonName, field.name);
}

function entry(field: DescField, ctx: FuzzContext, depth: number, noise: Noise): fc.Arbitrary<Entry> {
  return fc.tuple(keyOf(field), fieldJson(field, ctx, depth, noise));
}

/** A oneof: no member, one member, or (unless clean, rarely) two, which must be refused. */
function oneofEntries(oneof: DescOneof, ctx: FuzzContext, depth: number, noise: Noise): fc.Arbitrary<Entry[]> {
  const member = fc.constantFrom(...oneof.fields).chain((f) => entry(f, ctx, depth, noise));
  return fc.oneof(
    { arbitrary: fc.constant<Entry[]>([]), weight: 1 },
    { arbitrary: member.map((e) => [e]), weight: 8 },
    { arbitrary: fc.tuple(member, member).map(([a, b]) => [a, b]), weight: noise.clean ? 0 : 1 },
  );
}

const WKT_JSON: Record<string, (noise: Noise) => fc.Arbitrary<Json>> = {
  "google.protobuf.Timestamp": (noise) => (noise.clean ? validTimestampJson : timestampJson),
  "google.protobuf.Duration": (noise) => (noise.clean ? validDurationJson : durationJson),
};

/** A protobuf-JSON object for a message, with optional fields present or not, and (unless clean) an unknown key now and then. */
export function messageJson(desc: DescMessage, ctx: FuzzContext, depth = 0, noise: Noise = { clean: false }): fc.Arbitrary<Json> {
  const wkt = WKT_JSON[desc.typeName];
  if (wkt) return wkt(noise);
  if (depth > MAX_DEPTH) return fc.constant({});
  const parts: fc.Arbitrary<Entry[]>[] = [];
  for (const member of desc.members) {
    if (member.kind === "oneof") parts.push(oneofEntries(member, ctx, depth, noise));
    else parts.push(fc.option(entry(member, ctx, depth, noise), { freq: 3, nil: undefined }).map((e) => (e ? [e] : [])));
  }
  const unknownKey = fc.tuple(fc.constantFrom("nope", "__proto__", "constructor", "@type", "id ", ""), junkJson);
  const unknown = noise.clean ? fc.constant(undefined) : fc.option(unknownKey, { freq: 12, nil: undefined });
  return fc.tuple(fc.tuple(...parts), unknown).map(([groups, extra]) => {
    const object: Record<string, Json> = {};
    for (const [key, value] of groups.flat()) defineKey(object, key, value);
    if (extra) defineKey(object, extra[0], extra[1]);
    return object;
  });
}

// A plain assignment of "__proto__" would set the prototype instead of adding a key.
function defineKey(object: Record<string, Json>, key: string, value: Json): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

const encoder = new TextEncoder();

/** Text mutations applied after serialisation: what a JSON value cannot express. */
function mutatedText(text: string, how: number, at: number): Uint8Array {
  const cut = text.length === 0 ? 0 : at % text.length;
  switch (how) {
    case 0: // truncated
      return encoder.encode(text.slice(0, cut));
    case 1: {
      // invalid UTF-8 (a lone continuation byte, an overlong "/", a CESU surrogate) spliced in
      const bytes = encoder.encode(text);
      const bad = [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82]][at % 4]!;
      const pos = Math.min(bytes.length, cut);
      return Buffer.concat([bytes.subarray(0, pos), Uint8Array.from(bad), bytes.subarray(pos)]);
    }
    case 2: // a duplicated member
      return text.startsWith("{") && text.length > 2 ? encoder.encode(`${text.slice(0, -1)},${text.slice(1)}`) : encoder.encode(text);
    case 3: // byte-order mark and padding
      return encoder.encode(`\ufeff${text}`);
    default: // comments and trailing commas, which JSON does not allow
      return encoder.encode(text.startsWith("{") && text.length > 2 ? `${text.slice(0, -1)},}` : `//\n${text}`);
  }
}

/** Deeply nested JSON as text (up to 100,000 levels): arrays, objects, or inside a known field. */
export const deepJsonText: fc.Arbitrary<Uint8Array> = fc
  .tuple(fc.constantFrom(1_000, 10_000, 100_000), fc.constantFrom("array", "object", "field"))
  .map(([depth, kind]) => {
    if (kind === "array") return encoder.encode("[".repeat(depth) + "]".repeat(depth));
    if (kind === "object") return encoder.encode('{"a":'.repeat(depth) + "1" + "}".repeat(depth));
    return encoder.encode(`{"filters":${"[".repeat(depth)}${"]".repeat(depth)}}`);
  });

/** A request body for a message as UTF-8 JSON bytes: clean, schema-shaped with damage, or malformed at the byte level. */
export function jsonBody(desc: DescMessage, ctx: FuzzContext): fc.Arbitrary<Uint8Array> {
  const shaped = messageJson(desc, ctx, 0, { clean: false });
  return fc.oneof(
    { arbitrary: messageJson(desc, ctx, 0, { clean: true }).map((v) => encoder.encode(serializeJson(v))), weight: 30 },
    { arbitrary: shaped.map((v) => encoder.encode(serializeJson(v))), weight: 30 },
    { arbitrary: fc.tuple(shaped, fc.integer({ min: 0, max: 4 }), fc.nat()).map(([v, how, at]) => mutatedText(serializeJson(v), how, at)), weight: 5 },
    { arbitrary: junkJson.map((v) => encoder.encode(serializeJson(v))), weight: 2 },
    { arbitrary: deepJsonText, weight: 1 },
    { arbitrary: fc.uint8Array({ maxLength: 32 }), weight: 1 },
    { arbitrary: fc.constant(new Uint8Array(0)), weight: 1 },
  );
}
