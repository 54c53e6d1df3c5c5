import net from "node:net";
import { once } from "node:events";
import type { AddressInfo } from "node:net";

/**
 * How a hostile target misbehaves once it has read a whole request:
 * - `silent`: never answers, keeps the connection open;
 * - `drip-headers`: sends the status line and headers one byte per `intervalMs`, forever;
 * - `drip-body`: sends complete headers (a 1 MB content-length), then the body one byte per `intervalMs`;
 * - `endless-body`: a chunked 200 body written as fast as the socket takes it, forever;
 * - `endless-headers`: header lines written as fast as the socket takes them, forever;
 * - `garbage`: answers bytes that are not HTTP;
 * - `reset`: aborts the connection with a TCP RST;
 * - `truncated`: declares a longer body than it sends, then closes;
 * - `answer`: a well-formed answer after `delayMs` (default 0), kept alive unless `close`.
 */
export type HostileBehaviour =
  | { kind: "silent" }
  | { kind: "drip-headers"; intervalMs?: number }
  | { kind: "drip-body"; intervalMs?: number }
  | { kind: "endless-body" }
  | { kind: "endless-headers" }
  | { kind: "garbage" }
  | { kind: "reset" }
  | { kind: "truncated" }
  | { kind: "answer"; status?: number; body?: string; headers?: Record<string, string>; delayMs?: number; close?: boolean };

/** One request the hostile target read in full. */
export interface HostileRequest {
  head: string;
  body: Buffer;
}

const HEAD_END = Buffer.from("\r\n\r\n");

/** Splits complete requests (content-length bodies only, which is all Tether sends) off the front of `buf`. */
function takeRequests(buf: Buffer): { requests: HostileRequest[]; rest: Buffer } {
  const requests: HostileRequest[] = [];
  let rest = buf;
  for (;;) {
    const end = rest.indexOf(HEAD_END);
    if (end < 0) break;
    const head = rest.subarray(0, end).toString("latin1");
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
    const total = end + HEAD_END.length + length;
    if (rest.length < total) break;
    requests.push({ head, body: Buffer.from(rest.subarray(end + HEAD_END.length, total)) });
    rest = rest.subarray(total);
  }
  return { requests, rest };
}

/** Writes `next()` until the socket pushes back, then again on every drain, until the socket is gone. */
function flood(socket: net.Socket, next: () => Buffer | string): void {
  const pump = () => {
    while (!socket.destroyed && socket.write(next()));
  };
  socket.on("drain", pump);
  pump();
}

function drip(socket: net.Socket, text: string, intervalMs: number): void {
  let at = 0;
  const timer = setInterval(() => {
    if (socket.destroyed) return clearInterval(timer);
    socket.write(text[at % text.length]!);
    at++;
  }, intervalMs);
  socket.on("close", () => clearInterval(timer));
}

function answer(socket: net.Socket, b: Extract<HostileBehaviour, { kind: "answer" }>): void {
  const body = Buffer.from(b.body ?? "");
  const headers = { "content-type": "application/json", "content-length": String(body.length), ...(b.close ? { connection: "close" } : {}), ...b.headers };
  const head = `HTTP/1.1 ${b.status ?? 200} X\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`;
  const send = () => {
    if (socket.destroyed) return;
    socket.write(Buffer.concat([Buffer.from(head, "latin1"), body]));
    if (b.close) socket.end();
  };
  if (!b.delayMs) return send();
  const timer = setTimeout(send, b.delayMs);
  socket.on("close", () => clearTimeout(timer));
}

function misbehave(socket: net.Socket, b: HostileBehaviour): void {
  switch (b.kind) {
    case "silent":
      return;
    case "drip-headers":
      return drip(socket, "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-drip: ", b.intervalMs ?? 20);
    case "drip-body":
      socket.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n");
      return drip(socket, " ", b.intervalMs ?? 20);
    case "endless-body": {
      socket.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n");
      const chunk = `4000\r\n${" ".repeat(0x4000)}\r\n`;
      return flood(socket, () => chunk);
    }
    case "endless-headers": {
      socket.write("HTTP/1.1 200 OK\r\n");
      let n = 0;
      // Batches of header lines: one syscall per ~11 KB, as a real flood would send them.
      return flood(socket, () => Array.from({ length: 100 }, () => `x-h${n++}: ${"v".repeat(100)}\r\n`).join(""));
    }
    case "garbage":
      socket.end("SSH-2.0-OpenSSH_9.6\r\n\0\0\0garbage");
      return;
    case "reset":
      socket.resetAndDestroy();
      return;
    case "truncated":
      socket.end("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"user");
      return;
    case "answer":
      return answer(socket, b);
  }
}

/**
 * A raw TCP "HTTP" target on 127.0.0.1 that misbehaves as told, and accounts for what that cost: open and
 * accepted connections, and the bytes it managed to write before each connection closed.
 */
export async function startHostileTarget(initial: HostileBehaviour) {
  let behaviour = initial;
  const open = new Set<net.Socket>();
  const requests: HostileRequest[] = [];
  let accepted = 0;
  let bytesWrittenClosed = 0;
  const server = net.createServer((socket) => {
    accepted++;
    open.add(socket);
    socket.on("error", () => undefined); // resets by the client are expected
    socket.on("close", () => {
      open.delete(socket);
      bytesWrittenClosed += socket.bytesWritten;
    });
    let buf: Buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      const taken = takeRequests(Buffer.concat([buf, chunk]));
      buf = taken.rest;
      for (const req of taken.requests) {
        requests.push(req);
        misbehave(socket, behaviour);
      }
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (path = "/hook") => `http://127.0.0.1:${port}${path}`,
    /** Requests read in full. */
    requests,
    /** Changes how later requests are answered. */
    behave(next: HostileBehaviour) {
      behaviour = next;
    },
    /** Connections open right now. */
    openConnections: () => open.size,
    /** Connections accepted so far. */
    acceptedConnections: () => accepted,
    /** Bytes written on every connection, closed or open. */
    bytesWritten: () => bytesWrittenClosed + [...open].reduce((n, s) => n + s.bytesWritten, 0),
    /** Waits (bounded polling) until at most `n` connections are open; throws with the count otherwise. */
    async waitForOpenConnections(n: number, timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs;
      while (open.size > n) {
        if (Date.now() > deadline) throw new Error(`${open.size} connections still open, expected at most ${n}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The hostile target's type. */
export type HostileTarget = Awaited<ReturnType<typeof startHostileTarget>>;
