// REST transcoding: serves the google.api.http paths by calling the same Connect handlers gRPC and Connect use.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { brotliDecompress, gunzip, inflate, type InputType, type ZlibOptions } from "node:zlib";
import type { DescMethod, DescService, JsonValue, Registry } from "@bufbuild/protobuf";
import { Code, ConnectError, type ContextValues } from "@connectrpc/connect";
import { createAsyncIterable, readAllBytes, type UniversalHandler, type UniversalServerResponse } from "@connectrpc/connect/protocol";
import { codeFromHttpStatus, errorFromJsonBytes } from "@connectrpc/connect/protocol-connect";
import { universalRequestFromNodeRequest } from "@connectrpc/connect-node";
import { createHttpRouteTable, type HttpRoute, type PathParam } from "./http-rules.js";
import { parseJsonBody } from "./json-body.js";
import { requestJson } from "./request-json.js";
import { httpStatusFromCode, statusBytes } from "./status.js";

/** A request as Node's http and http2 (compatibility API) servers hand it over. */
export type NodeRequest = IncomingMessage | Http2ServerRequest;
/** A response as Node's http and http2 (compatibility API) servers hand it over. */
export type NodeResponse = ServerResponse | Http2ServerResponse;

/** Options of {@link createRestGateway}. */
export interface RestGatewayOptions {
  /** Services whose `google.api.http` rules are served. */
  services: readonly DescService[];
  /** The Connect router's handlers (`router.handlers`), so REST runs the very same interceptors. */
  handlers: readonly UniversalHandler[];
  /** Largest request body accepted, after decompression; larger bodies get 413 RESOURCE_EXHAUSTED. */
  readMaxBytes: number;
  /** Types that error details may carry; details of other types are left out of the Status JSON. */
  registry?: Registry;
  /** Context values for the handler context, as the Connect adapter's `contextValues`. */
  contextValues?: (req: NodeRequest) => ContextValues;
  /** Reports failures of the gateway itself (never the RPC's own errors). */
  onError?: (message: string, fields: Record<string, unknown>) => void;
}

/** Serves a REST request; resolves `false` when no rule's path matches, so the caller can fall through. */
export type RestGateway = (req: NodeRequest, res: NodeResponse) => Promise<boolean>;

// HTTP statuses for errors the gateway raises itself where the code's usual status does not fit (405, 413, 415).
// A WeakMap, not a ConnectError subclass: ConnectError's Symbol.hasInstance makes every ConnectError an
// instance of any subclass, so `instanceof` cannot tell them apart.
const httpStatusOverrides = new WeakMap<ConnectError, number>();

function restError(message: string, code: Code, httpStatus: number): ConnectError {
  const error = new ConnectError(message, code);
  httpStatusOverrides.set(error, httpStatus);
  return error;
}

// Request headers that describe the REST message or the hop, not the call; the synthesized request sets its own.
const NOT_FORWARDED = new Set([
  "accept-encoding",
  "connect-accept-encoding",
  "connect-content-encoding",
  "connect-protocol-version",
  "connection",
  "content-encoding",
  "content-length",
  "content-type",
  "grpc-accept-encoding",
  "grpc-encoding",
  "http2-settings",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

// Response headers the gateway sets itself; Connect's unary trailers ("trailer-*") are not REST headers.
const NOT_RETURNED = /^(content-(type|length|encoding)|connect-.*|trailer-.*)$/;

/**
 * Creates the REST gateway: matches the request against the services' `google.api.http` rules, turns the
 * body, path variables and query into protobuf JSON, and invokes the method's Connect handler with a
 * synthesized Connect unary JSON request, translating Connect errors to `google.rpc.Status` JSON.
 * A known path with another verb gets 405 with code UNIMPLEMENTED (12) and an `Allow` header.
 */
export function createRestGateway(options: RestGatewayOptions): RestGateway {
  const table = createHttpRouteTable(options.services);
  const handlers = new Map(options.handlers.map((h) => [methodKey(h.method), h]));
  return async function restGateway(req, res) {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const found = table.match(req.method ?? "", path);
    if (found.kind === "no_route") return false;
    try {
      if (found.kind === "wrong_verb") {
        res.setHeader("allow", found.allowed.join(", "));
        throw restError(`method ${req.method} is not allowed on ${path}; allowed: ${found.allowed.join(", ")}`, Code.Unimplemented, 405);
      }
      if (found.kind === "bad_path") throw new ConnectError(found.message, Code.InvalidArgument);
      const handler = handlers.get(methodKey(found.route.method));
      if (!handler) throw new ConnectError(`${found.route.method.parent.typeName}.${found.route.method.name} is not served`, Code.Unimplemented);
      const query = new URLSearchParams(q < 0 ? "" : url.slice(q + 1));
      const json = await readRequestJson(req, found.route, found.params, query, options.readMaxBytes);
      const uReq = universalRequestFromNodeRequest(req, res, undefined, options.contextValues?.(req));
      const bytes = new TextEncoder().encode(JSON.stringify(json));
      // Re-encoding can grow a body that was within the limit ("1e9" is written out as 1000000000); the handler
      // would then refuse it as RESOURCE_EXHAUSTED with a size the client never sent, and REST would say 429.
      if (bytes.byteLength > options.readMaxBytes) throw tooLarge(options.readMaxBytes, "once re-encoded as protobuf JSON");
      const uRes = await handler({
        ...uReq,
        method: "POST",
        url: new URL(handler.requestPath, uReq.url).toString(),
        header: connectHeaders(uReq.header, bytes.byteLength),
        body: createAsyncIterable([bytes]),
      });
      await sendConnectResponse(res, found.route, uRes, options.registry);
    } catch (e) {
      if (!(e instanceof ConnectError)) options.onError?.("REST gateway failed", { path, err: e instanceof Error ? e.stack : String(e) });
      const error = e instanceof ConnectError ? e : new ConnectError("internal error", Code.Internal);
      send(res, httpStatusOverrides.get(error) ?? httpStatusFromCode(error.code), statusBytes(error, options.registry));
    }
    return true;
  };
}

function methodKey(method: DescMethod): string {
  return `${method.parent.typeName}/${method.name}`;
}

async function readRequestJson(req: NodeRequest, route: HttpRoute, params: PathParam[], query: URLSearchParams, limit: number) {
  const raw = await readBody(req, limit);
  // A rule without a body mapping ignores the body, so it is neither decoded nor parsed.
  const body = route.body.kind === "none" ? undefined : parseJsonBody(await decompress(raw, req.headers["content-encoding"], limit));
  return requestJson(route, body, params, query);
}

function tooLarge(limit: number, when?: string): ConnectError {
  return restError(`request body is larger than the limit of ${limit} bytes${when ? ` ${when}` : ""}`, Code.ResourceExhausted, 413);
}

// Event-based on purpose: leaving a for-await loop early destroys the request, and with it the socket, so the
// client would see a reset instead of the 413. The rest of an oversized body is read and discarded.
function readBody(req: NodeRequest, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (declared > limit) {
    req.resume();
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onFail);
      req.off("close", onFail);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size <= limit) return void chunks.push(chunk);
      cleanup();
      req.resume();
      reject(tooLarge(limit));
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onFail = () => {
      cleanup();
      reject(new ConnectError("the client went away before the request body was complete", Code.Canceled));
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onFail);
    req.on("close", onFail);
  });
}

function decompress(raw: Buffer, encoding: string | undefined, limit: number): Promise<Buffer> {
  const name = (encoding ?? "identity").trim().toLowerCase();
  const codec = { gzip: gunzip, "x-gzip": gunzip, deflate: inflate, br: brotliDecompress }[name];
  if (name === "identity" || name === "") return Promise.resolve(raw);
  if (!codec) return Promise.reject(restError(`content-encoding "${name}" is not supported`, Code.Unimplemented, 415));
  return new Promise((resolve, reject) => {
    const done = (err: (Error & { code?: string }) | null, out: Buffer) => {
      if (!err) return resolve(out);
      reject(err.code === "ERR_BUFFER_TOO_LARGE" ? tooLarge(limit) : new ConnectError(`request body is not valid ${name}`, Code.InvalidArgument));
    };
    (codec as (buf: InputType, opts: ZlibOptions, cb: typeof done) => void)(raw, { maxOutputLength: limit }, done);
  });
}

// Caller headers (authorization, x-forwarded-for, host, origin, timeouts...) pass through; the message headers
// describe the synthesized Connect unary JSON request.
function connectHeaders(incoming: Headers, contentLength: number): Headers {
  const header = new Headers();
  incoming.forEach((value, key) => {
    if (!NOT_FORWARDED.has(key)) header.append(key, value);
  });
  header.set("content-type", "application/json");
  header.set("content-length", String(contentLength));
  header.set("connect-protocol-version", "1");
  return header;
}

async function sendConnectResponse(res: NodeResponse, route: HttpRoute, uRes: UniversalServerResponse, registry?: Registry): Promise<void> {
  const bytes = uRes.body ? await readAllBytes(uRes.body, Number.MAX_SAFE_INTEGER) : new Uint8Array(0);
  uRes.header?.forEach((value, key) => {
    if (!NOT_RETURNED.test(key)) res.setHeader(key, value);
  });
  if (uRes.status === 200) return send(res, 200, route.responseBody ? pickField(bytes, route.responseBody.jsonName) : bytes);
  let error: ConnectError;
  try {
    error = errorFromJsonBytes(bytes, undefined, new ConnectError(`HTTP ${uRes.status}`, codeFromHttpStatus(uRes.status)));
  } catch (fallback) {
    error = ConnectError.from(fallback);
  }
  send(res, httpStatusFromCode(error.code), statusBytes(error, registry));
}

// `response_body` sends one field of the response instead of the whole message.
function pickField(bytes: Uint8Array, jsonName: string): Uint8Array {
  const json = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, JsonValue>;
  return new TextEncoder().encode(JSON.stringify(json[jsonName] ?? null));
}

function send(res: NodeResponse, status: number, body: Uint8Array): void {
  if (res.headersSent) {
    // Too late for a status: end what was started rather than leave the client waiting.
    res.end();
    return;
  }
  res.statusCode = status;
  res.setHeader("content-type", "application/json");
  res.setHeader("content-length", body.byteLength);
  res.end(body);
}
