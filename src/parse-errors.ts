// connect-es reports a request it cannot decode as binary protobuf ("parse binary: …") with INTERNAL, before any
// interceptor runs. Bad input must be INVALID_ARGUMENT (decisions §3; connect-go, which ZITADEL uses, agrees), so
// this wrapper rewrites exactly that error in each protocol's response format.
import { Code } from "@connectrpc/connect";
import { encodeEnvelope, readAllBytes, type UniversalHandler, type UniversalServerRequest, type UniversalServerResponse } from "@connectrpc/connect/protocol";
import { trailerFlag, trailerParse, trailerSerialize } from "@connectrpc/connect/protocol-grpc-web";

const PARSE_PREFIX = "parse binary: ";
const INTERNAL = String(Code.Internal);

/** Wraps a universal handler so that undecodable binary requests fail with INVALID_ARGUMENT instead of INTERNAL. */
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

function isParseError(status: string | null, encodedMessage: string | null): boolean {
  if (status !== INTERNAL || encodedMessage === null) return false;
  try {
    return decodeURIComponent(encodedMessage).startsWith(PARSE_PREFIX);
  } catch {
    return false;
  }
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
  if (error?.code !== "internal" || typeof error.message !== "string" || !error.message.startsWith(PARSE_PREFIX))
    return { ...res, body: once(bytes) };
  const body = new TextEncoder().encode(JSON.stringify({ ...error, code: "invalid_argument" }));
  const header = new Headers(res.header);
  header.set("content-length", String(body.byteLength));
  return { ...res, status: 400, header, body: once(body) };
}

// gRPC sends the status in HTTP trailers, which are written after the body has been drained.
async function* fixGrpcTrailer(body: AsyncIterable<Uint8Array>, trailer: Headers | undefined): AsyncIterable<Uint8Array> {
  yield* body;
  if (trailer && isParseError(trailer.get("grpc-status"), trailer.get("grpc-message"))) trailer.set("grpc-status", String(Code.InvalidArgument));
}

// gRPC-Web sends the status as a final, uncompressed envelope flagged as trailer.
async function* fixGrpcWebTrailer(body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  for await (const chunk of body) {
    if (chunk.length < 5 || chunk[0] !== trailerFlag) {
      yield chunk;
      continue;
    }
    const trailer = trailerParse(chunk.subarray(5));
    if (!isParseError(trailer.get("grpc-status"), trailer.get("grpc-message"))) {
      yield chunk;
      continue;
    }
    trailer.set("grpc-status", String(Code.InvalidArgument));
    yield encodeEnvelope(trailerFlag, trailerSerialize(trailer));
  }
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}
