import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { once } from "node:events";
import type { AddressInfo, Socket } from "node:net";

/** One request a target received, as raw as the tests need it. */
export interface Received {
  path: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
  at: number;
}

/** What the target answers for a path: a status and body, after an optional delay, or a custom handler. */
export type Responder =
  | { status?: number; body?: string | Buffer; delayMs?: number; headers?: Record<string, string> }
  | ((req: IncomingMessage, body: Buffer, res: ServerResponse) => void);

/** A local HTTP target on 127.0.0.1 that records every call and answers as told per path. */
export async function startRecordingTarget() {
  const received: Received[] = [];
  const responders = new Map<string, Responder>();
  const sockets = new Set<Socket>();
  const waiters: Array<() => void> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const path = req.url ?? "/";
      received.push({ path, headers: req.headers, body, at: Date.now() });
      for (const w of waiters.splice(0)) w();
      const r = responders.get(path) ?? {};
      if (typeof r === "function") return r(req, body, res);
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(r.status ?? 200, { "content-type": "application/json", ...r.headers });
        res.end(r.body ?? "");
      };
      if (r.delayMs) setTimeout(send, r.delayMs);
      else send();
    });
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    received,
    /** Calls received on `path`. */
    on: (path: string) => received.filter((r) => r.path === path),
    respond(path: string, responder: Responder) {
      responders.set(path, responder);
    },
    /** Waits (bounded) until `predicate` holds over the received calls. */
    async waitFor(predicate: (all: Received[]) => boolean, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for target calls; got ${received.length}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.min(left, 50));
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** The recording target's type. */
export type RecordingTarget = Awaited<ReturnType<typeof startRecordingTarget>>;
