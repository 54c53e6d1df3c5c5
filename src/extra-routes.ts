// Plain HTTP routes served next to the RPCs: health checks, the JWKS and the Prometheus metrics.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { HealthStatus } from "./grpc/health-status.js";

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

/** `GET /oauth/v2/keys`: the JWKS that verifies JWT payloads (the path ZITADEL instances use). */
export function jwksRoute(engine: { jwks(): Promise<unknown> }) {
  return {
    method: "GET",
    path: "/oauth/v2/keys",
    handle: async (_req: Req, res: Res) => {
      const body = JSON.stringify(await engine.jwks());
      res.setHeader("content-type", "application/json");
      res.setHeader("cache-control", "public, max-age=300");
      res.end(body);
    },
  };
}

/**
 * `GET /healthz` (the process answers) and `GET /readyz` (serving: the database answers and no shutdown has
 * begun — the same state `grpc.health.v1.Health` reports, so a load balancer stops routing before the drain).
 */
export function healthRoutes(health: Pick<HealthStatus, "serving" | "shuttingDown">): Array<{ method: string; path: string; handle: (req: Req, res: Res) => void }> {
  return [
    { method: "GET", path: "/healthz", handle: (_req, res) => void res.end("ok\n") },
    {
      method: "GET",
      path: "/readyz",
      handle: (_req, res) => {
        if (health.serving()) {
          res.end("ready\n");
          return;
        }
        res.statusCode = 503;
        res.end(health.shuttingDown ? "shutting down\n" : "database unavailable\n");
      },
    },
  ];
}

/**
 * `GET /metrics`: this app's Prometheus metrics in the text format. Unauthenticated, like the health checks,
 * so scrapers need no token; block it at the proxy where it must not be public.
 */
export function metricsRoute(metrics: { scrape(): Promise<{ contentType: string; body: string }> }) {
  return {
    method: "GET",
    path: "/metrics",
    handle: async (_req: Req, res: Res) => {
      const { contentType, body } = await metrics.scrape();
      res.setHeader("content-type", contentType);
      res.setHeader("cache-control", "no-store");
      res.end(body);
    },
  };
}
