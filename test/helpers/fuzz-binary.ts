// Schema-aware generators of binary protobuf requests, with wire-level damage: wrong wire types, unknown and
// malformed fields, invalid UTF-8, truncation, deep groups. Bytes are Buffers joined once per message.
import fc from "fast-check";
import { ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { bytesValue, stringFor, type FuzzContext } from "./fuzz-values.js";

const MAX_DEPTH = 4;
const U64 = (1n << 64n) - 1n;
/** Upper bound of one generated repeated field, so that it tests list handling rather than the size limit. */
const MANY_BYTES = 800_000;

const join = (parts: readonly Uint8Array[]): Buffer => Buffer.concat(parts);
const bytes = (...values: number[]): Buffer => Buffer.from(values);

/** Unsigned LEB128 of a 64-bit value; negative numbers are written as their two's complement (10 bytes). */
export function varint(value: bigint): Buffer {
  let v = value & U64;
  const out: number[] = [];
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}

/** A field tag: field number and wire type. */
export function tag(fieldNo: number, wireType: number): Buffer {
  return varint((BigInt(fieldNo) << 3n) | BigInt(wireType));
}

function delimited(fieldNo: number, body: Uint8Array): Buffer {
  return join([tag(fieldNo, 2), varint(BigInt(body.length)), body]);
}

function fixed(size: number, value: bigint): Buffer {
  return Buffer.from(Array.from({ length: size }, (_, i) => Number((value >> BigInt(8 * i)) & 0xffn)));
}

const INVALID_UTF8 = [bytes(0xff), bytes(0xc0, 0xaf), bytes(0xed, 0xa0, 0x80), bytes(0xe2, 0x82), bytes(0x80), bytes(0xf4, 0x90, 0x80, 0x80)];

function stringBytes(field: DescField, ctx: FuzzContext, clean: boolean): fc.Arbitrary<Buffer> {
  const text = stringFor(field, ctx, clean).map((s) => Buffer.from(s, "utf8"));
  if (clean) return text;
  const invalid = fc.tuple(text, fc.constantFrom(...INVALID_UTF8)).map(([s, bad]) => join([s, bad]));
  return fc.oneof({ arbitrary: text, weight: 8 }, { arbitrary: invalid, weight: 1 });
}

const INT_EDGES = [0n, 1n, -1n, 5n, 77n, 100n, 1000n, 1001n, 2n ** 31n - 1n, -(2n ** 31n), 2n ** 32n, 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n), U64];

function intValue(clean = false): fc.Arbitrary<bigint> {
  if (clean) return fc.bigInt({ min: 0n, max: 1100n });
  return fc.oneof({ arbitrary: fc.bigInt({ min: 0n, max: 2000n }), weight: 3 }, { arbitrary: fc.constantFrom(...INT_EDGES), weight: 2 });
}

/** One encoded value of a scalar or enum field, on its proper wire type. */
function scalarField(fieldNo: number, field: DescField, scalar: ScalarType, ctx: FuzzContext, clean: boolean): fc.Arbitrary<Buffer> {
  if (clean && field.enum) {
    const numbers = field.enum.values.map((v) => BigInt(v.number));
    return fc.constantFrom(...numbers).map((v) => join([tag(fieldNo, 0), varint(v)]));
  }
  if (clean && scalar === ScalarType.BOOL) return fc.boolean().map((b) => join([tag(fieldNo, 0), bytes(b ? 1 : 0)]));
  switch (scalar) {
    case ScalarType.STRING:
      return stringBytes(field, ctx, clean).map((b) => delimited(fieldNo, b));
    case ScalarType.BYTES:
      return bytesValue.map((b) => delimited(fieldNo, b));
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return intValue(clean).map((v) => join([tag(fieldNo, 1), fixed(8, v)]));
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return intValue(clean).map((v) => join([tag(fieldNo, 5), fixed(4, v)]));
    case ScalarType.SINT32:
    case ScalarType.SINT64:
      return intValue(clean).map((v) => join([tag(fieldNo, 0), varint(v >= 0n ? v << 1n : (-v << 1n) - 1n)]));
    default:
      // bool, int32, uint32, int64, uint64 and enums: varints, including non-canonical bools and negative enums
      return intValue(clean).map((v) => join([tag(fieldNo, 0), varint(v)]));
  }
}

/** Seconds and nanos for Timestamp and Duration; unless clean, also nanos out of range and mixed signs. */
function secondsNanos(clean: boolean): fc.Arbitrary<Buffer> {
  const encode = (s: bigint, n: bigint) => join([...(s === 0n ? [] : [tag(1, 0), varint(s)]), ...(n === 0n ? [] : [tag(2, 0), varint(n)])]);
  if (clean) return fc.tuple(fc.bigInt({ min: 0n, max: 4_000_000_000n }), fc.integer({ min: 0, max: 999 })).map(([s, ms]) => encode(s, BigInt(ms * 1_000_000)));
  return fc
    .tuple(
      fc.oneof(fc.bigInt({ min: -10n, max: 4_000_000_000n }), fc.constantFrom(-62135596801n, 253402300800n, 315576000001n, 2n ** 63n - 1n, -(2n ** 63n))),
      fc.oneof(fc.integer({ min: 0, max: 999_999_999 }), fc.constantFrom(-1, 1_000_000_000, -999_999_999, 2 ** 31 - 1)),
    )
    .map(([s, n]) => encode(s, BigInt(n)));
}

// Many copies of one encoded element (a repeated field may appear any number of times), at most MANY_BYTES.
function manyCopies(element: Buffer, n: number): Buffer {
  const count = Math.max(1, Math.min(n, Math.floor(MANY_BYTES / Math.max(1, element.length))));
  return join(Array.from({ length: count }, () => element));
}

function fieldBytes(field: DescField, ctx: FuzzContext, depth: number, clean: boolean): fc.Arbitrary<Buffer> {
  const n = field.number;
  switch (field.fieldKind) {
    case "scalar":
      return scalarField(n, field, field.scalar, ctx, clean);
    case "enum":
      return scalarField(n, field, ScalarType.INT32, ctx, clean);
    case "message":
      return messageBytes(field.message, ctx, depth + 1, clean).map((b) => delimited(n, b));
    case "list": {
      const one =
        field.listKind === "message"
          ? messageBytes(field.message, ctx, depth + 1, clean).map((b) => delimited(n, b))
          : scalarField(n, field, field.listKind === "enum" ? ScalarType.INT32 : field.scalar, ctx, clean);
      const unpacked = fc.array(one, { maxLength: 4 }).map(join);
      const many = fc.tuple(one, fc.constantFrom(1001, 40_000)).map(([b, count]) => manyCopies(b, count));
      const lists = fc.oneof({ arbitrary: unpacked, weight: 8 }, { arbitrary: many, weight: 1 });
      if (field.listKind === "message" || field.scalar === ScalarType.STRING || field.scalar === ScalarType.BYTES) return lists;
      // Packed: a length-delimited run of varints.
      const packed = fc.array(intValue(clean), { maxLength: 6 }).map((vs) => delimited(n, join(vs.map(varint))));
      return fc.oneof(lists, packed);
    }
    case "map":
      return fc.constant(Buffer.alloc(0));
  }
}

/**
 * A binary message: known fields in any order (repeats and both oneof members included) and, unless clean,
 * unknown fields and known numbers on the wrong wire type.
 */
export function messageBytes(desc: DescMessage, ctx: FuzzContext, depth = 0, clean = false): fc.Arbitrary<Buffer> {
  if (desc.typeName === "google.protobuf.Timestamp" || desc.typeName === "google.protobuf.Duration") return secondsNanos(clean);
  if (depth > MAX_DEPTH || desc.fields.length === 0)
    return clean ? fc.constant(Buffer.alloc(0)) : fc.option(unknownField(), { freq: 4, nil: undefined }).map((u) => u ?? Buffer.alloc(0));
  const known = fc.constantFrom(...desc.fields).chain((f) => fieldBytes(f, ctx, depth, clean));
  const part = clean ? known : fc.oneof({ arbitrary: known, weight: 12 }, { arbitrary: unknownField(), weight: 1 }, { arbitrary: wrongWireType(desc), weight: 1 });
  return fc.array(part, { maxLength: 6 }).map(join);
}

/** A field number the message does not define, with any wire type (groups included). */
function unknownField(): fc.Arbitrary<Buffer> {
  return fc.tuple(fc.constantFrom(99, 1000, 2 ** 29 - 1), fc.bigInt({ min: 0n, max: 300n })).chain(([no, v]) =>
    fc.constantFrom(
      join([tag(no, 0), varint(v)]),
      join([tag(no, 1), fixed(8, v)]),
      delimited(no, bytes(1, 2, 3)),
      join([tag(no, 3), tag(no, 4)]),
      join([tag(no, 5), fixed(4, v)]),
    ),
  );
}

/** A known field number sent with a wire type it cannot have. */
function wrongWireType(desc: DescMessage): fc.Arbitrary<Buffer> {
  return fc.tuple(fc.constantFrom(...desc.fields), fc.constantFrom(0, 1, 2, 5)).map(([f, wt]) => {
    if (wt === 0) return join([tag(f.number, 0), varint(300n)]);
    if (wt === 1) return join([tag(f.number, 1), fixed(8, 7n)]);
    if (wt === 5) return join([tag(f.number, 5), fixed(4, 7n)]);
    return delimited(f.number, bytes(0xff, 0xfe));
  });
}

/** Wire-level damage that no schema walk produces. */
const malformed: fc.Arbitrary<Buffer> = fc.oneof(
  fc.constantFrom(
    bytes(0x08), // tag without a value
    bytes(0x0a, 0x10, 0x61), // length past the end
    bytes(0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f), // 4 GiB length
    bytes(0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), // varint of 11 bytes
    bytes(0x00, 0x00), // field number 0
    bytes(0x0e, 0x01), // wire type 6
    bytes(0x0f, 0x01), // wire type 7
    bytes(0x0c), // end group without a start
    bytes(0x0b, 0x01), // start group never ended
  ),
  fc.constantFrom(100, 10_000, 100_000).map((n) => join([...Array.from({ length: n }, () => tag(99, 3)), ...Array.from({ length: n }, () => tag(99, 4))])),
  fc.uint8Array({ maxLength: 32 }).map((b) => Buffer.from(b)),
);

/** A binary request body for a message: clean, schema-shaped with damage, truncated, or malformed. */
export function binaryBody(desc: DescMessage, ctx: FuzzContext): fc.Arbitrary<Uint8Array> {
  const shaped = messageBytes(desc, ctx);
  return fc.oneof(
    { arbitrary: messageBytes(desc, ctx, 0, true), weight: 12 },
    { arbitrary: shaped, weight: 12 },
    { arbitrary: fc.tuple(shaped, fc.nat()).map(([b, at]) => b.subarray(0, b.length === 0 ? 0 : at % b.length)), weight: 2 },
    { arbitrary: fc.tuple(shaped, malformed).map(([b, bad]) => join([b, bad])), weight: 2 },
  );
}
