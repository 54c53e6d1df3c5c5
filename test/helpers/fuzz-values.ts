// Generators for single field values: strings of every shape, numbers at the edges, enums, timestamps, durations.
import fc from "fast-check";
import type { DescEnum, DescField } from "@bufbuild/protobuf";
import { readFileSync } from "node:fs";
import type { FuzzPool } from "./fuzz-server.js";

/** What the generators may name to get past validation: existing ids, catalog entries. */
export interface FuzzContext {
  pool: FuzzPool;
  /** Methods from ListExecutionMethods (leading slash). */
  methods: string[];
  /** Services from ListExecutionServices. */
  services: string[];
  /** Event types conditions may name. */
  eventTypes: string[];
  /** Function names from ListExecutionFunctions. */
  functions: string[];
}

const LONE_SURROGATES = ["\ud800", "\udfff", "a\ud83d", "\ude00b"];

/** Strings that break careless code: empty, blank, control characters, lone surrogates, every plane, huge. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ maxLength: 12 }), weight: 4 },
  { arbitrary: fc.string({ unit: "grapheme", maxLength: 12 }), weight: 3 },
  { arbitrary: fc.string({ unit: "binary", maxLength: 12 }), weight: 2 },
  { arbitrary: fc.string({ unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)), maxLength: 8 }), weight: 1 },
  { arbitrary: fc.constantFrom("", " ", "\t", "\u0000", "\u00a0", "\u2028", "\ufeff", "..", "/", "%", "%00", "\\", "null", "__proto__", "constructor"), weight: 2 },
  { arbitrary: fc.constantFrom(...LONE_SURROGATES), weight: 1 },
  { arbitrary: lengthAtEdge(), weight: 2 },
  { arbitrary: hugeString(), weight: 1 },
);

/** Strings of exactly the lengths that validation rules sit at (200, 1000, 2048 code points and one past). */
export function lengthAtEdge(): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(199, 200, 201, 999, 1000, 1001, 2047, 2048, 2049, 8192, 8193), fc.constantFrom("x", "é", "😀", "\u0301"))
    .map(([n, c]) => c.repeat(n));
}

/** Large strings: 10 KB to 1 MB (within the default 4 MiB body limit even after JSON escaping). */
export function hugeString(): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom(10_000, 100_000, 1_000_000), fc.constantFrom("a", "\u0001", "😀", "\"")).map(([n, c]) => c.repeat(n / c.length));
}

/** An id-like string: usually one that exists, otherwise digits or junk. */
export function idString(ctx: FuzzContext): fc.Arbitrary<string> {
  const known = [...ctx.pool.targetIds, ...ctx.pool.keyIds, ...ctx.pool.deliveryIds];
  return fc.oneof(
    { arbitrary: fc.constantFrom(...known), weight: 6 },
    { arbitrary: fc.bigInt({ min: 0n, max: 2n ** 64n }).map(String), weight: 2 },
    { arbitrary: fc.constantFrom(...known).map((id) => ` ${id} `), weight: 1 },
    { arbitrary: nastyString, weight: 2 },
  );
}

const ENDPOINTS = [
  "https://hooks.example.net/fuzz",
  "https://hooks.example.net:8443/a?b=c#d",
  "https://xn--bcher-kva.example/",
  "https://user:pass@hooks.example.net/",
  "http://hooks.example.net/",
  "http://localhost:1/",
  "https://127.0.0.1/",
  "https://[::1]/",
  "https://[::ffff:127.0.0.1]/",
  "https://169.254.169.254/latest/meta-data",
  "https://10.0.0.1/",
  "https://0x7f000001/",
  "https://2130706433/",
  "ftp://hooks.example.net/",
  "javascript:alert(1)",
  "https://",
  "https:///path",
  "//hooks.example.net",
  "not a url",
];

/** A target endpoint: valid https URLs, private and loopback addresses, wrong schemes, junk. */
export const endpointString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...ENDPOINTS), weight: 5 },
  { arbitrary: fc.webUrl({ withQueryParameters: true, withFragments: true }), weight: 3 },
  { arbitrary: nastyString.map((s) => `https://hooks.example.net/${s}`), weight: 1 },
  { arbitrary: nastyString, weight: 1 },
);

/**
 * A string for a field, chosen by the field's name so that many requests pass validation; `clean` leaves out the
 * nasty strings so that whole requests get through to the stores.
 */
export function stringFor(field: DescField, ctx: FuzzContext, clean = false): fc.Arbitrary<string> {
  const known = (values: string[]) => (values.length > 0 ? fc.constantFrom(...values) : nastyString);
  const plausible = (() => {
    switch (field.name) {
      case "id":
      case "target_id":
      case "key_id":
      case "targets":
      case "target_ids":
      case "ids":
        return idString(ctx);
      case "name":
        return field.parent.typeName.endsWith("FunctionExecution")
          ? known(ctx.functions)
          : fc.oneof(known(ctx.pool.targetNames), fc.string({ minLength: 1, maxLength: 16 }).map((s) => `fz-${s}`));
      case "endpoint":
        return endpointString;
      case "method":
        return fc.oneof(known(ctx.methods), known(ctx.methods).map((m) => m.slice(1)));
      case "service":
        return known(ctx.services);
      case "event":
      case "event_type":
        return known(ctx.eventTypes);
      case "group":
        return fc.oneof(known(ctx.eventTypes).map((t) => t.split(".").slice(0, -1).join(".")), known(ctx.eventTypes).map((t) => `${t}.*`));
      case "target_name":
        return fc.oneof(known(ctx.pool.targetNames), fc.string({ maxLength: 8 }));
      default:
        return fc.string({ maxLength: 16 });
    }
  })();
  return clean ? plausible : fc.oneof({ arbitrary: plausible, weight: 4 }, { arbitrary: nastyString, weight: 1 });
}

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));
const PEMS = ["ec.pub", "rsa.pub", "rsa1024.pub", "ed25519.pub", "rsa-pkcs1.pub", "ec.key"].map(fixture);

/** Bytes for a `bytes` field: real PEM keys (good and bad kinds), mangled PEM, random bytes, too many bytes. */
export const bytesValue: fc.Arbitrary<Uint8Array> = fc.oneof(
  { arbitrary: fc.constantFrom(...PEMS), weight: 4 },
  { arbitrary: fc.tuple(fc.constantFrom(...PEMS), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([p, i, b]) => mangle(p, i, b)), weight: 2 },
  { arbitrary: fc.uint8Array({ maxLength: 64 }), weight: 2 },
  { arbitrary: fc.constantFrom(8192, 8193, 100_000).map((n) => new Uint8Array(n).fill(0x41)), weight: 1 },
);

function mangle(pem: Uint8Array, index: number, byte: number): Uint8Array {
  const copy = Uint8Array.from(pem);
  copy[index % copy.length] = byte;
  return copy;
}

/** A JSON value for a `bytes` field: base64 (standard or URL-safe) of {@link bytesValue}, or not base64 at all. */
export const bytesJson: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: bytesValue.map((b) => Buffer.from(b).toString("base64")), weight: 6 },
  { arbitrary: bytesValue.map((b) => Buffer.from(b).toString("base64url")), weight: 1 },
  { arbitrary: fc.constantFrom("!!!!", "====", "a", "ab=c", " QUJD "), weight: 1 },
);

const INT32_EDGES = [0, 1, -1, 5, 100, 1000, 1001, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER, 1e21];

/** A JSON value for a 32-bit integer field: in range, at the edges, as a string, fractional or absurd. */
export const int32Json: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 2000 }), weight: 4 },
  { arbitrary: fc.constantFrom(...INT32_EDGES), weight: 3 },
  { arbitrary: fc.constantFrom(...INT32_EDGES).map(String), weight: 1 },
  { arbitrary: fc.constantFrom(1.5, -0.5, 1e-7, "1e3", " 1", "0x10", "NaN", "Infinity", "-Infinity", ""), weight: 1 },
);

const INT64_EDGES = ["0", "1", "-1", "100", "9007199254740991", "9007199254740993", "9223372036854775807", "9223372036854775808", "18446744073709551615", "18446744073709551616", "-9223372036854775809"];

/** A JSON value for a 64-bit integer field: decimal strings at the edges, numbers, garbage. */
export const int64Json: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.bigInt({ min: 0n, max: 1000n }).map(String), weight: 3 },
  { arbitrary: fc.constantFrom(...INT64_EDGES), weight: 3 },
  { arbitrary: fc.constantFrom(0, 1, 2 ** 53, 1.5, -1), weight: 1 },
  { arbitrary: fc.constantFrom("1.0", "1e2", "abc", "", " 1"), weight: 1 },
);

/** A JSON value for an enum field: known names and numbers, and unless `clean`, unknown ones and lower-cased names. */
export function enumJson(e: DescEnum, clean = false): fc.Arbitrary<unknown> {
  const names = e.values.map((v) => v.name);
  const numbers = e.values.map((v) => v.number);
  if (clean) return fc.oneof({ arbitrary: fc.constantFrom(...names), weight: 3 }, { arbitrary: fc.constantFrom(...numbers), weight: 1 });
  return fc.oneof(
    { arbitrary: fc.constantFrom(...names), weight: 5 },
    { arbitrary: fc.constantFrom(...numbers), weight: 2 },
    { arbitrary: fc.constantFrom(-1, 77, 2 ** 31 - 1, 2 ** 31, 1.5), weight: 1 },
    { arbitrary: fc.constantFrom(...names).map((n) => n.toLowerCase()), weight: 1 },
    { arbitrary: fc.constantFrom(`${e.name.toUpperCase()}_NOPE`, "", String(numbers[1] ?? 1)), weight: 1 },
  );
}

/** Valid RFC 3339 instants between 1970 and 2999. */
export const validTimestampJson: fc.Arbitrary<unknown> = fc
  .date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("2999-12-31T00:00:00Z"), noInvalidDate: true })
  .map((d) => d.toISOString());

/** Timestamps as protobuf JSON: valid past and future instants, the range edges, and strings that are not RFC 3339. */
export const timestampJson: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: validTimestampJson, weight: 4 },
  {
    arbitrary: fc.constantFrom(
      "0001-01-01T00:00:00Z",
      "9999-12-31T23:59:59.999999999Z",
      "10000-01-01T00:00:00Z",
      "0000-01-01T00:00:00Z",
      "2024-02-30T00:00:00Z",
      "2024-13-01T00:00:00Z",
      "2024-01-01T24:00:00Z",
      "2024-01-01T00:00:00+25:00",
      "2030-01-01T00:00:00.1234567891Z",
      "2030-01-01T00:00:00-08:00",
      "2030-01-01",
      "2030-01-01 00:00:00Z",
      "",
    ),
    weight: 2,
  },
  { arbitrary: fc.constantFrom(0, 1700000000, -1, true), weight: 1 },
);

/** Durations that protobuf JSON accepts, most of which validation accepts too. */
export const validDurationJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom("0s", "1s", "1.5s", "10s", "270s", "0.001s", "271s"),
  fc.integer({ min: 0, max: 300_000 }).map((ms) => `${ms / 1000}s`),
);

/** Durations as protobuf JSON: the ones validation accepts, the edges around them, and malformed strings. */
export const durationJson: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constantFrom("0s", "1s", "1.5s", "10s", "270s", "0.001s"), weight: 4 },
  {
    arbitrary: fc.constantFrom(
      "270.001s",
      "271s",
      "-1s",
      "-0.5s",
      "0.0000001s",
      "1.0000000001s",
      "315576000000s",
      "315576000001s",
      "-315576000001s",
      "99999999999999999999s",
      "2592000s",
      "2592000.001s",
      "1m",
      "1",
      "s",
      ".5s",
      "1.s",
      "1e3s",
      "-0s",
      "",
    ),
    weight: 3,
  },
  { arbitrary: fc.integer({ min: 0, max: 300_000 }).map((ms) => `${ms / 1000}s`), weight: 2 },
  { arbitrary: fc.constantFrom(5, { seconds: 1 }, null), weight: 1 },
);

/** Any JSON value, to put where the schema expects something else (wrong types, nulls, arrays for objects). */
export const junkJson: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constant(null), weight: 3 },
  { arbitrary: fc.boolean(), weight: 1 },
  { arbitrary: fc.double(), weight: 1 },
  { arbitrary: fc.integer(), weight: 1 },
  { arbitrary: nastyString, weight: 2 },
  { arbitrary: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }), weight: 2 },
  { arbitrary: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }), weight: 2 },
  { arbitrary: fc.constantFrom(10, 1000, 10_000).map(deepMarker), weight: 1 },
);

// Deep nesting is spliced in as text by serializeJson: JSON.stringify itself overflows the stack on it.
const DEEP = /"\\u0000deep:(\d+)\\u0000"/g;

/** A placeholder that {@link serializeJson} replaces with arrays nested `depth` levels deep. */
export function deepMarker(depth: number): string {
  return `\u0000deep:${depth}\u0000`;
}

/** JSON.stringify, with every {@link deepMarker} expanded into nested arrays. */
export function serializeJson(value: unknown): string {
  return (JSON.stringify(value) ?? "").replace(DEEP, (_, n: string) => "[".repeat(Number(n)) + "]".repeat(Number(n)));
}
