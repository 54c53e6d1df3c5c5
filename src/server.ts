// One TCP port for HTTP/1.1 and cleartext HTTP/2 (prior knowledge, as gRPC clients speak it).
import * as http from "node:http";
import * as http2 from "node:http2";
import type { Socket } from "node:net";

/** The HTTP/2 connection preface every prior-knowledge client sends first (RFC 9113 §3.4). */
const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** Options of {@link startServer}; every duration has a default suited to an API server. */
export interface ServerOptions {
  /** TCP port; 0 picks a free one (the bound port is reported). */
  port: number;
  /** Interface to bind (default: all interfaces). */
  host?: string;
  /** Serves every request, HTTP/1.1 and HTTP/2 alike; a returned promise is awaited for error reporting. */
  handler: (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void | Promise<void>;
  /** Where connection-level problems are reported (handler failures, HTTP/2 session errors, drain timeouts). */
  log?: (msg: string, fields?: object) => void;
  /** A connection that sends nothing for this long before its first bytes is closed (default 10 s). */
  firstBytesTimeoutMs?: number;
  /** Time to receive an HTTP/1.1 request's headers (default 20 s). */
  headersTimeoutMs?: number;
  /** Time to receive a whole HTTP/1.1 request, body included (default 60 s); responses may take longer. */
  requestTimeoutMs?: number;
  /** Idle keep-alive HTTP/1.1 connections are closed after this long (default 65 s, above common LB idle times). */
  keepAliveTimeoutMs?: number;
  /** An HTTP/2 session without frames for this long is closed gracefully with GOAWAY (default 5 min). */
  http2IdleTimeoutMs?: number;
  /** How long close() lets in-flight requests finish before it cuts connections (default 10 s). */
  drainTimeoutMs?: number;
}

/** A listening server. */
export interface RunningServer {
  port: number;
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** Graceful stop: no new connections, idle ones closed, in-flight requests finish (bounded by drainTimeoutMs). */
  close(): Promise<void>;
}

/**
 * Listens on one port and routes each connection by its first bytes: the HTTP/2 preface goes to an HTTP/2
 * server, anything else (including garbage, which gets a 400) to an HTTP/1.1 server.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const log = options.log ?? (() => {});
  let closing = false;
  const onRequest = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
    // While draining, an HTTP/1.1 connection closes after its current response instead of staying idle.
    if (closing && req.httpVersionMajor === 1) res.setHeader("connection", "close");
    const fail = (e: unknown) => {
      log("request handler failed", { url: req.url, err: e instanceof Error ? e.message : String(e) });
      if (res.headersSent) return void res.destroy();
      res.statusCode = 500;
      res.end();
    };
    try {
      void Promise.resolve(options.handler(req, res)).catch(fail);
    } catch (e) {
      fail(e);
    }
  };

  // The HTTP/1.1 server owns the listening socket so that Node's own connection tracking (headers and request
  // timeouts, closeIdleConnections, close) works; its `connection` listener is wrapped by the preface check.
  const h1 = http.createServer(
    {
      headersTimeout: options.headersTimeoutMs ?? 20_000,
      requestTimeout: options.requestTimeoutMs ?? 60_000,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 65_000,
    },
    onRequest,
  );
  const h2 = http2.createServer({ settings: { maxConcurrentStreams: 256 } }, onRequest);
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    session.setTimeout(options.http2IdleTimeoutMs ?? 300_000, () => session.close());
    if (closing) session.close();
  });
  h2.on("sessionError", (err) => log("http2 session error", { err: err.message }));

  const h1Listeners = h1.listeners("connection") as ((socket: Socket) => void)[];
  if (h1Listeners.length === 0) throw new Error("http.Server has no connection listener to wrap");
  h1.removeAllListeners("connection");
  const peeking = new Set<Socket>();
  h1.on("connection", (socket: Socket) => {
    peeking.add(socket);
    sniff(socket, options.firstBytesTimeoutMs ?? 10_000, (kind) => {
      peeking.delete(socket);
      if (kind === "h2") h2.emit("connection", socket);
      else {
        for (const listener of h1Listeners) listener.call(h1, socket);
        // We paused the socket to put the first bytes back; the HTTP/1.1 parser expects it flowing.
        socket.resume();
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    h1.once("error", reject);
    h1.listen({ port: options.port, ...(options.host !== undefined ? { host: options.host } : {}) }, () => {
      h1.off("error", reject);
      resolve();
    });
  });
  const address = h1.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  const url = `http://${urlHost(options.host)}:${port}`;

  let closed: Promise<void> | undefined;
  return {
    port,
    url,
    close() {
      closed ??= drain();
      return closed;
    },
  };

  async function drain(): Promise<void> {
    closing = true;
    // Resolves once every accepted socket (HTTP/1.1 and HTTP/2) is gone; close() also ends idle keep-alives.
    const done = new Promise<void>((resolve) => h1.close(() => resolve()));
    for (const socket of peeking) socket.destroy();
    for (const session of sessions) session.close();
    // A response in flight when close() began leaves its connection idle afterwards; close those as they appear.
    const sweep = setInterval(() => h1.closeIdleConnections(), 50);
    const deadline = setTimeout(() => {
      log("drain timeout: closing remaining connections");
      h1.closeAllConnections();
      for (const session of sessions) session.destroy();
    }, options.drainTimeoutMs ?? 10_000);
    try {
      await done;
    } finally {
      clearInterval(sweep);
      clearTimeout(deadline);
    }
  }
}

/** Waits for enough first bytes to tell the HTTP/2 preface from anything else, then puts them back. */
function sniff(socket: Socket, timeoutMs: number, route: (kind: "h1" | "h2") => void): void {
  const chunks: Buffer[] = [];
  let length = 0;
  const cleanup = () => {
    socket.off("data", onData);
    socket.off("error", onGone);
    socket.off("end", onGone);
    socket.off("timeout", onTimeout);
    socket.setTimeout(0);
  };
  const onData = (chunk: Buffer) => {
    chunks.push(chunk);
    length += chunk.length;
    const head = chunks.length === 1 ? chunk : Buffer.concat(chunks);
    const n = Math.min(head.length, H2_PREFACE.length);
    const isPrefix = head.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
    // A partial preface (the client's first write may be split) waits for more bytes.
    if (isPrefix && length < H2_PREFACE.length) return;
    cleanup();
    socket.pause();
    socket.unshift(head);
    route(isPrefix ? "h2" : "h1");
  };
  const onGone = () => {
    cleanup();
    socket.destroy();
  };
  const onTimeout = onGone;
  socket.on("data", onData);
  socket.on("error", onGone);
  socket.on("end", onGone);
  socket.on("timeout", onTimeout);
  socket.setTimeout(timeoutMs);
}

function urlHost(host: string | undefined): string {
  if (host === undefined || host === "" || host === "0.0.0.0" || host === "::") return "localhost";
  return host.includes(":") ? `[${host}]` : host;
}
