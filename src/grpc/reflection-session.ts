// The logic of one ServerReflectionInfo stream, shared by grpc.reflection.v1 and v1alpha (their messages
// have the same fields; only the package differs, so the version adapters copy these plain shapes in).
import type { DescFile } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import type { DescriptorIndex } from "./descriptor-index.js";

/** A reflection request's `message_request` oneof, as both protocol versions generate it. */
export type ReflectionQuery =
  | { case: "fileByFilename"; value: string }
  | { case: "fileContainingSymbol"; value: string }
  | { case: "fileContainingExtension"; value: { containingType: string; extensionNumber: number } }
  | { case: "allExtensionNumbersOfType"; value: string }
  | { case: "listServices"; value: string }
  | { case: undefined; value?: undefined };

/** A reflection response's `message_response` oneof, in the init shape of both protocol versions. */
export type ReflectionAnswer =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: "listServicesResponse"; value: { service: Array<{ name: string }> } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

/** Answers the requests of one reflection stream. */
export interface ReflectionSession {
  /** The answer to one request; lookup failures are `errorResponse`s, never thrown, so the stream goes on. */
  answer(query: ReflectionQuery): ReflectionAnswer;
}

/**
 * Starts a stream's session over the index of the moment. Each file is sent at most once per stream
 * (the protocol lets a server skip files the client already has), except that the file asked for
 * always comes first so that the answer is never empty.
 */
export function createReflectionSession(index: DescriptorIndex): ReflectionSession {
  const sent = new Set<string>();

  function withDependencies(file: DescFile): ReflectionAnswer {
    const out: Uint8Array[] = [];
    const queue = [file];
    for (let f = queue.shift(); f; f = queue.shift()) {
      if (f !== file && sent.has(f.proto.name)) continue; // its imports went out with it earlier
      sent.add(f.proto.name);
      out.push(index.serialized(f));
      queue.push(...f.dependencies.filter((d) => !sent.has(d.proto.name) && !queue.includes(d)));
    }
    return { case: "fileDescriptorResponse", value: { fileDescriptorProto: out } };
  }

  const files = (file: DescFile | undefined, what: string): ReflectionAnswer => (file ? withDependencies(file) : notFound(what));

  return {
    answer(query) {
      switch (query.case) {
        case "listServices":
          return { case: "listServicesResponse", value: { service: index.services.map((name) => ({ name })) } };
        case "fileByFilename":
          return files(index.fileByName(query.value), `file "${query.value}"`);
        case "fileContainingSymbol":
          return files(index.fileBySymbol(query.value), `symbol "${query.value}"`);
        case "fileContainingExtension": {
          const { containingType, extensionNumber } = query.value;
          return files(index.fileByExtension(containingType, extensionNumber), `extension ${extensionNumber} of "${containingType}"`);
        }
        case "allExtensionNumbersOfType": {
          const numbers = index.extensionNumbers(query.value);
          if (!numbers) return notFound(`type "${query.value}"`);
          return { case: "allExtensionNumbersResponse", value: { baseTypeName: query.value, extensionNumber: [...numbers] } };
        }
        default:
          return { case: "errorResponse", value: { errorCode: Code.InvalidArgument, errorMessage: "message_request must be set" } };
      }
    },
  };
}

function notFound(what: string): ReflectionAnswer {
  return { case: "errorResponse", value: { errorCode: Code.NotFound, errorMessage: `${what} not found` } };
}
