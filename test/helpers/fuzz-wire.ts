// Raw HTTP/1.1 and HTTP/2 exchanges for the fuzz suite: any bytes out, everything back, and a hard time limit.
import * as http2 from "node:http2";
import { Readable } from "node:stream";
import { Agent, request } from "undici";

/** What came back, whichever HTTP version carried it. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** HTTP trailers (gRPC status lives here); empty for HTTP/1.1. */
  trailers: Record<string, string>;
}

/** One request as bytes on the wire. */
export interface RawRequest {
  method: string;
  /** Path and query, sent as is (no normalisation). */
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array;
  /** HTTP/1.1: send the body with chunked transfer encoding instead of a content-length (HTTP/2 never declares one). */
  chunked?: boolean;
}

/** A request that got no complete answer within the limit: a hung connection is a failure. */
export class HungRequestError extends Error {
  override name = "HungRequestError";
}

/** Longest time any fuzz request may take before it counts as hung. */
export const REQUEST_TIMEOUT_MS = 15_000;

/** HTTP/1.1 and HTTP/2 clients bound to one server; close() when done. */
export interface WireClients {
  h1(req: RawRequest): Promise<RawResponse>;
  h2(req: RawRequest): Promise<RawResponse>;
  close(): Promise<void>;
}

function flat(headers: Record<string, string | string[] | number | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !k.startsWith(":")) out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : String(v);
  return out;
}

function* chunksOf(body: Uint8Array): Generator<Buffer> {
  for (let at = 0; at < body.length; at += 16 * 1024) yield Buffer.from(body.subarray(at, at + 16 * 1024));
}

function headerBytes(req: RawRequest): number {
  return req.path.length + Object.entries(req.headers).reduce((n, [k, v]) => n + k.length + v.length, 0);
}

/**
 * Creates the clients: an undici agent for HTTP/1.1 (keep-alive, `h1Connections` per origin, default 8) and one
 * prior-knowledge HTTP/2 session (re-opened if it dies).
 */
export function createWireClients(baseUrl: string, options: { h1Connections?: number } = {}): WireClients {
  const agent = new Agent({ keepAliveTimeout: 5_000, connections: options.h1Connections ?? 8 });
  let session: http2.ClientHttp2Session | undefined;
  const sessions = new Set<http2.ClientHttp2Session>();
  const h2session = () => {
    if (!session || session.closed || session.destroyed) {
      const s = http2.connect(baseUrl);
      s.on("error", () => {});
      // After GOAWAY (the server ends a session that sent an oversized header block) new streams need a new session.
      s.on("goaway", () => {
        if (session === s) session = undefined;
      });
      s.on("close", () => sessions.delete(s));
      sessions.add(s);
      session = s;
    }
    return session;
  };
  return {
    async h1(req) {
      const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
      try {
        const res = await request(`${baseUrl}${req.path}`, {
          method: req.method as "POST",
          headers: req.headers,
          ...(req.body !== undefined ? { body: req.chunked ? Readable.from(chunksOf(req.body)) : req.body } : {}),
          dispatcher: agent,
          signal,
        });
        const body = Buffer.from(await res.body.arrayBuffer());
        return { status: res.statusCode, headers: flat(res.headers), body, trailers: flat(res.trailers) };
      } catch (e) {
        if (signal.aborted) throw new HungRequestError(`no answer within ${REQUEST_TIMEOUT_MS} ms: ${req.method} ${req.path}`);
        throw e;
      }
    },
    async h2(req) {
      try {
        return await h2once(req);
      } catch (e) {
        // A refused stream was not processed (RFC 9113 §8.7), e.g. it raced the server's GOAWAY; try once more.
        if (!(e instanceof RefusedStreamError)) throw e;
        session = undefined;
        return h2once(req);
      }
    },
    async close() {
      await Promise.all([...sessions].map((s) => new Promise<void>((resolve) => (s.closed ? resolve() : s.close(() => resolve())))));
      await agent.close();
    },
  };

  function h2once(req: RawRequest): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      // Node ends GET and DELETE streams at once unless told otherwise; a fuzzed DELETE may carry a body.
      const stream = h2session().request({ ":method": req.method, ":path": req.path, ...req.headers }, { endStream: req.body === undefined });
      const timer = setTimeout(() => {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        reject(new HungRequestError(`no answer within ${REQUEST_TIMEOUT_MS} ms: ${req.method} ${req.path} (HTTP/2)`));
      }, REQUEST_TIMEOUT_MS);
      let status = 0;
      let headers: Record<string, string> = {};
      let trailers: Record<string, string> = {};
      const chunks: Buffer[] = [];
      stream.on("response", (h) => {
        status = Number(h[":status"]);
        headers = flat(h);
      });
      stream.on("trailers", (t) => (trailers = flat(t)));
      stream.on("data", (c: Buffer) => chunks.push(c));
      // Errors end in "close" too, where the outcome is decided.
      stream.on("error", () => {});
      stream.on("close", () => {
        clearTimeout(timer);
        // HTTP/2's answer to a header block over the server's limit (64 KiB) is REFUSED_STREAM; HTTP/1.1's is 431.
        if (status === 0 && stream.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM && headerBytes(req) > 16 * 1024)
          resolve({ status: 431, headers: {}, body: Buffer.alloc(0), trailers: {} });
        else if (status === 0 && stream.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM) reject(new RefusedStreamError(req.path));
        else if (status === 0) reject(new Error(`HTTP/2 stream closed without a response (code ${stream.rstCode}): ${req.path}`));
        else resolve({ status, headers, body: Buffer.concat(chunks), trailers });
      });
      if (req.body !== undefined) stream.end(Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength));
    });
  }
}

class RefusedStreamError extends Error {
  override name = "RefusedStreamError";
  constructor(path: string) {
    super(`HTTP/2 stream refused twice: ${path}`);
  }
}
