import { create, fromBinary, toBinary, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";

/**
 * Re-reads a message as another type that uses the same field numbers and kinds (a v2beta message as its
 * v2 namesake and back). Fields the other type lacks are dropped rather than kept as unknown fields, so a
 * v2-only field (`payload_type`) never crosses into v2beta and a stray one sent to v2beta never reaches v2.
 * test/unit/v2beta-wire.test.ts proves that every v2beta field has its v2 twin.
 */
export function reinterpret<From extends DescMessage, To extends DescMessage>(from: From, to: To, message: MessageInitShape<From>): MessageShape<To> {
  const bytes = toBinary(from, create(from, message), { writeUnknownFields: false });
  return fromBinary(to, bytes, { readUnknownFields: false });
}
