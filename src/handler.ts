// The one Node request handler behind the port: Connect/gRPC/gRPC-Web routes, extra routes, the REST gateway.
import { constants as http2Constants } from "node:http2";
import type { DescService, Registry } from "@bufbuild/protobuf";
import { Code, ConnectError, createConnectRouter, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip, universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import { createRestGateway, type NodeRequest, type NodeResponse } from "./gateway/rest-gateway.js";
import { statusBytes } from "./gateway/status.js";
import { withParseErrorsAsInvalidArgument } from "./parse-errors.js";

export type { NodeRequest, NodeResponse } from "./gateway/rest-gateway.js";

/** A plain HTTP route served before the REST gateway (e.g. `/oauth/v2/keys`, `/healthz`). */
export interface ExtraRoute {
  /** Upper-case HTTP method, e.g. `GET`. */
  method: string;
  /** Exact path, without query string. */
  path: string;
  handle: (req: NodeRequest, res: NodeResponse) => void | Promise<void>;
}

/** Options of {@link createHttpHandler}. */
export interface HttpHandlerOptions {
  /** Registers the services on the Connect router (see routes.ts). */
  routes: (router: ConnectRouter) => void;
  /** Interceptors for every RPC, whichever protocol (REST included) carried it; outermost first. */
  interceptors: Interceptor[];
  /** Services whose `google.api.http` rules the REST gateway serves. */
  services: readonly DescService[];
  /** Largest request message on any protocol, in bytes (default 4 MiB). */
  readMaxBytes?: number;
  /** Plain routes tried before the REST gateway. */
  extraRoutes?: readonly ExtraRoute[];
  /** Types error details may carry, to expand them in REST `google.rpc.Status` bodies. */
  registry?: Registry;
  /** Reports failures outside any RPC (a throwing extra route, a gateway bug). */
  onError?: (message: string, fields: Record<string, unknown>) => void;
}

/** A Node request listener for `http` and `http2` servers alike. */
export type HttpHandler = (req: NodeRequest, res: NodeResponse) => void;

const DEFAULT_READ_MAX_BYTES = 4 * 1024 * 1024;

/**
 * Builds the handler that serves gRPC, gRPC-Web and Connect (JSON and binary) on the procedure paths, then the
 * extra routes, then the REST paths of the `google.api.http` rules; anything else is a 404 `google.rpc.Status`.
 */
export function createHttpHandler(options: HttpHandlerOptions): HttpHandler {
  const readMaxBytes = options.readMaxBytes ?? DEFAULT_READ_MAX_BYTES;
  const extra = new Map((options.extraRoutes ?? []).map((r) => [`${r.method.toUpperCase()} ${r.path}`, r.handle]));
  // One router, built here rather than inside connectNodeAdapter, so that the procedure paths and the REST
  // gateway share the very same handler instances: same interceptors, limits and JSON options on every protocol.
  const router = createConnectRouter({
    interceptors: options.interceptors,
    readMaxBytes,
    acceptCompression: [compressionGzip, compressionBrotli],
    jsonOptions: { ignoreUnknownFields: false, ...(options.registry ? { registry: options.registry } : {}) },
  });
  options.routes(router);
  const handlers = router.handlers.map(withParseErrorsAsInvalidArgument);
  const byPath = new Map(handlers.map((h) => [h.requestPath, h]));
  const gateway = createRestGateway({
    services: options.services,
    handlers,
    readMaxBytes,
    ...(options.registry ? { registry: options.registry } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  });
  const report = (message: string, req: NodeRequest, e: unknown) =>
    options.onError?.(message, { url: req.url, err: e instanceof Error ? e.stack : String(e) });

  async function fallback(req: NodeRequest, res: NodeResponse): Promise<void> {
    try {
      const route = extra.get(`${req.method ?? ""} ${(req.url ?? "/").split("?", 1)[0]}`);
      if (route) return await route(req, res);
      if (await gateway(req, res)) return;
      notFound(req, res);
    } catch (e) {
      report("request failed", req, e);
      if (res.headersSent || res.writableEnded) res.destroy();
      else {
        res.statusCode = 500;
        res.end();
      }
    }
  }

  return function handleHttp(req, res) {
    // An HTTP/2 response's own "finish" waits for the whole stream to close, so listen on the stream.
    if ("stream" in req) req.stream.once("finish", () => discardUnreadBody(req));
    else res.once("finish", () => discardUnreadBody(req));
    // Absolute request URLs are built from the authority; HTTP/1.0 may omit Host.
    if (!("authority" in req ? req.authority : req.headers.host)) {
      sendStatus(res, 400, new ConnectError("missing Host header", Code.InvalidArgument));
      return;
    }
    const handler = byPath.get((req.url ?? "").split("?", 1)[0] ?? "");
    if (!handler) return void fallback(req, res);
    // What connectNodeAdapter does for a matched path, except for how the body is read (see requestBody).
    handler({ ...universalRequestFromNodeRequest(req, res, undefined, undefined), body: requestBody(req) })
      .then((uRes) => universalResponseToNodeResponse(uRes, res))
      .catch((e: unknown) => {
        // Aborted means the client went away mid-response; nothing is left to tell it.
        if (ConnectError.from(e).code !== Code.Aborted) report(`rpc ${handler.method.name} failed`, req, e);
      });
  };
}

/**
 * The request body as connect-es reads it. connect-node iterates the request with `for await`, so stopping
 * early (a message over `readMaxBytes`, a second message for a unary method) destroyed it, and the rest of an
 * HTTP/1.1 body then stayed in the connection: the next request on it was never parsed (gRPC-Web clients hung).
 */
function requestBody(req: NodeRequest): AsyncIterable<Uint8Array> {
  return req.iterator({ destroyOnReturn: false }) as AsyncIterable<Uint8Array>;
}

/** An HTTP/2 request still open after its answer is reset once its client sent nothing for this long. */
const UNREAD_BODY_IDLE_MS = 200;
/** …or once this long has passed since the answer, however busy its client is. */
const UNREAD_BODY_MAX_MS = 10_000;

/**
 * An answer can be complete before its request is read (an oversized body refused after `readMaxBytes`, an
 * unknown path). Node discards the rest of an HTTP/1.1 body only when nothing read from it, so a partly read one
 * blocked its keep-alive connection. On HTTP/2 nothing discarded it: a stream whose body had arrived unread never
 * closed, a client still sending waited forever, one that gave up (as connect-node's do) left the stream
 * half-open, and the bytes and streams held that way soon made the session refuse every new stream
 * (ENHANCE_YOUR_CALM). So once the answer is written the rest is read and dropped, and an HTTP/2 stream whose
 * client has not finished is reset with CANCEL when the client goes quiet (or after a bound).
 * (RST_STREAM(NO_ERROR), as RFC 9113 §8.1 suggests, can overtake the answer's trailers; Node's client then
 * loses them or hangs.)
 */
function discardUnreadBody(req: NodeRequest): void {
  if (!("stream" in req)) {
    if (req.complete || req.destroyed) return;
    // A reader that stopped early may still listen for "readable", which keeps the request from flowing.
    req.removeAllListeners("readable");
    // resume() alone does not restart a request that is already flowing but whose socket reads were paused.
    req.on("data", () => {});
    req.resume();
    return;
  }
  const stream = req.stream;
  // A stream closes only once its readable side ended too, even when the client sent everything already.
  if (stream.destroyed || stream.readableEnded) return;
  // The compatibility layer's own listener pauses the stream again whenever its finished request refuses data.
  stream.removeAllListeners("data");
  stream.resume();
  if (stream.state.remoteClose) return;
  const deadline = Date.now() + UNREAD_BODY_MAX_MS;
  const timer = setTimeout(() => {
    if (!stream.closed) stream.close(http2Constants.NGHTTP2_CANCEL);
  }, UNREAD_BODY_IDLE_MS);
  timer.unref();
  stream.once("close", () => clearTimeout(timer));
  stream.on("data", () => {
    if (Date.now() < deadline) timer.refresh();
  });
}

// gRPC clients only read grpc-status, so they get a trailers-only UNIMPLEMENTED; everyone else a Status body.
function notFound(req: NodeRequest, res: NodeResponse): void {
  const contentType = req.headers["content-type"] ?? "";
  if (contentType.startsWith("application/grpc")) {
    res.statusCode = 200;
    res.setHeader("content-type", contentType.split(";", 1)[0] ?? contentType);
    res.setHeader("grpc-status", String(Code.Unimplemented));
    res.setHeader("grpc-message", encodeURIComponent(`unknown method ${req.url ?? ""}`));
    res.end();
    return;
  }
  sendStatus(res, 404, new ConnectError(`no route for ${req.method ?? ""} ${(req.url ?? "/").split("?", 1)[0]}`, Code.NotFound));
}

function sendStatus(res: NodeResponse, status: number, error: ConnectError): void {
  const body = statusBytes(error);
  res.statusCode = status;
  res.setHeader("content-type", "application/json");
  res.setHeader("content-length", body.byteLength);
  res.end(body);
}
