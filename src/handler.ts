// The one Node request handler behind the port: Connect/gRPC/gRPC-Web routes, extra routes, the REST gateway.
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
    // Absolute request URLs are built from the authority; HTTP/1.0 may omit Host.
    if (!("authority" in req ? req.authority : req.headers.host)) {
      sendStatus(res, 400, new ConnectError("missing Host header", Code.InvalidArgument));
      return;
    }
    const handler = byPath.get((req.url ?? "").split("?", 1)[0] ?? "");
    if (!handler) return void fallback(req, res);
    // What connectNodeAdapter does for a matched path.
    handler(universalRequestFromNodeRequest(req, res, undefined, undefined))
      .then((uRes) => universalResponseToNodeResponse(uRes, res))
      .catch((e: unknown) => {
        // Aborted means the client went away mid-response; nothing is left to tell it.
        if (ConnectError.from(e).code !== Code.Aborted) report(`rpc ${handler.method.name} failed`, req, e);
      });
  };
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
