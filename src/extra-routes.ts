import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { Db } from "./store/db.js";

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

/** `GET /healthz` (the process answers) and `GET /readyz` (the database answers). */
export function healthRoutes(db: Db): Array<{ method: string; path: string; handle: (req: Req, res: Res) => void }> {
  return [
    { method: "GET", path: "/healthz", handle: (_req, res) => void res.end("ok\n") },
    {
      method: "GET",
      path: "/readyz",
      handle: (_req, res) => {
        try {
          db.prepare("SELECT 1").get();
          res.end("ready\n");
        } catch {
          res.statusCode = 503;
          res.end("database unavailable\n");
        }
      },
    },
  ];
}
