// Fixes two things connect-es gets wrong for bad input, in each protocol's response format:
// - It answers bytes it cannot use with INTERNAL before any interceptor runs: undecodable binary protobuf
//   ("parse binary: …"), a body that is not valid gzip or brotli ("decompression failed"), and a gRPC(-Web)
//   envelope flagged as compressed without a grpc-encoding (its own docs say INVALID_ARGUMENT there). Bad input
//   must be INVALID_ARGUMENT (decisions §3; connect-go, which ZITADEL uses, agrees for the first two).
// - Status messages may quote the input (an unknown JSON key, an unknown service name), and a gRPC status
//   message travels in a trailer: one of 100 KB was more than HTTP/2 clients accept, so they saw no status at all.
import { Code } from "@connectrpc/connect";
import { encodeEnvelope, readAllBytes, type UniversalHandler, type UniversalServerRequest, type UniversalServerResponse } from "@connectrpc/connect/protocol";
import { trailerFlag, trailerParse, trailerSerialize } from "@connectrpc/connect/protocol-grpc-web";

/** Messages of the INTERNAL errors that connect-es raises for a client's bytes. */
const INPUT_ERROR_PREFIXES = ["parse binary: ", "decompression failed", "received compressed envelope, but do not know how to decompress"];
const isInputError = (message: string) => INPUT_ERROR_PREFIXES.some((prefix) => message.startsWith(prefix));
const INTERNAL = String(Code.Internal);

/** Longest gRPC status message sent, in code points; longer ones are cut (well under common 8–16 KiB header limits). */
export const MAX_GRPC_MESSAGE_CHARS = 1024;

/**
 * Wraps a universal handler so that undecodable or undecompressable requests fail with INVALID_ARGUMENT instead
 * of INTERNAL, and gRPC(-Web) status messages stay short enough to be delivered.
 */
export function withParseErrorsAsInvalidArgument(handler: UniversalHandler): UniversalHandler {
  const wrapped = async (req: UniversalServerRequest): Promise<UniversalServerResponse> => {
    const res = await handler(req);
    const contentType = res.header?.get("content-type") ?? "";
    if (contentType.startsWith("application/grpc-web")) return res.body ? { ...res, body: fixGrpcWebTrailer(res.body) } : res;
    if (contentType.startsWith("application/grpc")) return res.body ? { ...res, body: fixGrpcTrailer(res.body, res.trailer) } : res;
    if (res.status === 500 && contentType.startsWith("application/json") && !res.header?.has("content-encoding")) return fixConnectUnary(res);
    return res;
  };
  return Object.assign(wrapped, {
    protocolNames: handler.protocolNames,
    service: handler.service,
    method: handler.method,
    requestPath: handler.requestPath,
    allowedMethods: handler.allowedMethods,
    supportedContentType: handler.supportedContentType,
  });
}

/** Rewrites a gRPC status held in trailers (HTTP/2 trailers or gRPC-Web's trailer frame) in place. */
function fixStatus(trailer: Headers): void {
  const encoded = trailer.get("grpc-message");
  if (encoded === null) return;
  let message: string;
  try {
    message = decodeURIComponent(encoded);
  } catch {
    return;
  }
  if (trailer.get("grpc-status") === INTERNAL && isInputError(message)) trailer.set("grpc-status", String(Code.InvalidArgument));
  const chars = [...message];
  if (chars.length > MAX_GRPC_MESSAGE_CHARS) trailer.set("grpc-message", encodeURIComponent(`${chars.slice(0, MAX_GRPC_MESSAGE_CHARS).join("")}… (cut)`));
}

// Connect unary errors are a small JSON body: {"code":"internal","message":"parse binary: …"}.
async function fixConnectUnary(res: UniversalServerResponse): Promise<UniversalServerResponse> {
  const bytes = res.body ? await readAllBytes(res.body, Number.MAX_SAFE_INTEGER) : new Uint8Array(0);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    json = undefined;
  }
  const error = json as { code?: unknown; message?: unknown } | undefined;
  if (error?.code !== "internal" || typeof error.message !== "string" || !isInputError(error.message)) return { ...res, body: once(bytes) };
  const body = new TextEncoder().encode(JSON.stringify({ ...error, code: "invalid_argument" }));
  const header = new Headers(res.header);
  header.set("content-length", String(body.byteLength));
  return { ...res, status: 400, header, body: once(body) };
}

// gRPC sends the status in HTTP trailers, which are written after the body has been drained.
async function* fixGrpcTrailer(body: AsyncIterable<Uint8Array>, trailer: Headers | undefined): AsyncIterable<Uint8Array> {
  yield* body;
  if (trailer) fixStatus(trailer);
}

// gRPC-Web sends the status as a final, uncompressed envelope flagged as trailer.
async function* fixGrpcWebTrailer(body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  for await (const chunk of body) {
    if (chunk.length < 5 || chunk[0] !== trailerFlag) {
      yield chunk;
      continue;
    }
    const trailer = trailerParse(chunk.subarray(5));
    fixStatus(trailer);
    yield encodeEnvelope(trailerFlag, trailerSerialize(trailer));
  }
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}
