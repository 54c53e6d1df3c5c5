// What server reflection looks things up in: the proto files behind the served services, by file name,
// by symbol and by extension, built from the descriptors the generated code already embeds.
import { toBinary, type DescEnum, type DescExtension, type DescFile, type DescMessage, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";

/** The files and symbols reachable from a set of services, for answering reflection requests. */
export interface DescriptorIndex {
  /** Full names of the services, in the order given. */
  readonly services: readonly string[];
  /** The file with this name (`zitadel/action/v2/target.proto`). */
  fileByName(name: string): DescFile | undefined;
  /** The file declaring a fully qualified symbol: service, method, message, field, oneof, enum, enum value or extension. */
  fileBySymbol(symbol: string): DescFile | undefined;
  /** The file declaring the extension `number` of message `extendee`. */
  fileByExtension(extendee: string, number: number): DescFile | undefined;
  /** The extension numbers known for a message, or undefined when the message is unknown. */
  extensionNumbers(message: string): readonly number[] | undefined;
  /** A file's `FileDescriptorProto` in binary form (serialized once, then cached). */
  serialized(file: DescFile): Uint8Array;
}

/** Indexes the services' files and, transitively, every file they import (google/api, well-known types, …). */
export function createDescriptorIndex(services: readonly DescService[]): DescriptorIndex {
  const files = new Map<string, DescFile>();
  const symbols = new Map<string, DescFile>();
  const messages = new Set<string>();
  const extensions = new Map<string, Map<number, DescFile>>();
  const bytes = new Map<DescFile, Uint8Array>();

  const addExtension = (ext: DescExtension) => {
    symbols.set(ext.typeName, ext.file);
    const byNumber = extensions.get(ext.extendee.typeName) ?? new Map<number, DescFile>();
    byNumber.set(ext.number, ext.file);
    extensions.set(ext.extendee.typeName, byNumber);
  };
  const addEnum = (e: DescEnum) => {
    symbols.set(e.typeName, e.file);
    // Enum values are scoped like siblings of their enum (C++ scoping), e.g. `pkg.PAYLOAD_TYPE_JSON`.
    const scope = e.parent ? e.parent.typeName : e.file.proto.package;
    for (const v of e.values) symbols.set(scope ? `${scope}.${v.name}` : v.name, e.file);
  };
  const addMessage = (m: DescMessage) => {
    symbols.set(m.typeName, m.file);
    messages.add(m.typeName);
    for (const f of m.fields) symbols.set(`${m.typeName}.${f.name}`, m.file);
    for (const o of m.oneofs) symbols.set(`${m.typeName}.${o.name}`, m.file);
    m.nestedMessages.forEach(addMessage);
    m.nestedEnums.forEach(addEnum);
    m.nestedExtensions.forEach(addExtension);
  };
  const addFile = (file: DescFile) => {
    const name = file.proto.name;
    if (files.has(name)) return;
    files.set(name, file);
    file.messages.forEach(addMessage);
    file.enums.forEach(addEnum);
    file.extensions.forEach(addExtension);
    for (const s of file.services) {
      symbols.set(s.typeName, file);
      for (const m of s.methods) symbols.set(`${s.typeName}.${m.name}`, file);
    }
    file.dependencies.forEach(addFile);
  };
  for (const s of services) addFile(s.file);

  return {
    services: services.map((s) => s.typeName),
    fileByName: (name) => files.get(name),
    fileBySymbol: (symbol) => symbols.get(symbol.startsWith(".") ? symbol.slice(1) : symbol),
    fileByExtension: (extendee, number) => extensions.get(extendee)?.get(number),
    extensionNumbers: (message) => (messages.has(message) ? [...(extensions.get(message)?.keys() ?? [])].sort((a, b) => a - b) : undefined),
    serialized(file) {
      let b = bytes.get(file);
      if (!b) bytes.set(file, (b = toBinary(FileDescriptorProtoSchema, file.proto)));
      return b;
    },
  };
}
