// Builds raw requests for each RPC protocol and reads any answer back as a code, without trusting the server.
import { Code } from "@connectrpc/connect";
import { codeFromHttpStatus as connectCodeFromHttp, codeFromString } from "@connectrpc/connect/protocol-connect";
import { codeFromHttpStatus as grpcCodeFromHttp } from "@connectrpc/connect/protocol-grpc";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import type { RawRequest, RawResponse } from "./fuzz-wire.js";

// The server may compress answers with the encoding a fuzzed request named (gzip and br are all it speaks).
function decompress(encoding: string | undefined, data: Buffer): Buffer {
  if (encoding === "gzip") return gunzipSync(data);
  if (encoding === "br") return brotliDecompressSync(data);
  if (encoding === undefined || encoding === "identity") return data;
  throw new Error(`answer in an encoding nobody asked for: ${encoding}`);
}

/** The RPC protocols a procedure path serves. */
export type RpcProtocol = "connect" | "grpc" | "grpc-web";
/** The message codec. */
export type Codec = "json" | "proto";

/** A normalised answer: success with the response messages (one for unary RPCs), or an error code and message. */
export type Outcome =
  | { ok: true; httpStatus: number; messages: Uint8Array[]; codec: Codec }
  | { ok: false; httpStatus: number; code: Code; message: string };

/** Extra envelope damage for gRPC and gRPC-Web bodies. */
export type EnvelopeFault = "none" | "compressed-flag" | "short-length" | "long-length" | "two-messages" | "no-envelope" | "trailing-garbage";

/** Frames a message in the 5-byte gRPC envelope, optionally damaged. */
export function envelope(message: Uint8Array, fault: EnvelopeFault = "none"): Uint8Array {
  const frame = (flags: number, length: number, body: Uint8Array) => {
    const out = new Uint8Array(5 + body.length);
    out[0] = flags;
    new DataView(out.buffer).setUint32(1, length >>> 0);
    out.set(body, 5);
    return out;
  };
  switch (fault) {
    case "none":
      return frame(0, message.length, message);
    case "compressed-flag":
      return frame(1, message.length, message);
    case "short-length":
      return frame(0, Math.max(0, message.length - 1), message);
    case "long-length":
      return frame(0, message.length + 7, message);
    case "two-messages":
      return Buffer.concat([frame(0, message.length, message), frame(0, message.length, message)]);
    case "no-envelope":
      return message;
    case "trailing-garbage":
      return Buffer.concat([frame(0, message.length, message), Uint8Array.of(0x80, 0x00)]);
  }
}

/** The raw request for one RPC call on a procedure path. */
export function rpcRequest(protocol: RpcProtocol, codec: Codec, procedure: string, body: Uint8Array, headers: Record<string, string>, fault: EnvelopeFault = "none"): RawRequest {
  switch (protocol) {
    case "connect":
      return { method: "POST", path: procedure, headers: { "content-type": `application/${codec}`, "connect-protocol-version": "1", ...headers }, body };
    case "grpc":
      return { method: "POST", path: procedure, headers: { "content-type": `application/grpc+${codec}`, te: "trailers", ...headers }, body: envelope(body, fault) };
    case "grpc-web":
      return { method: "POST", path: procedure, headers: { "content-type": `application/grpc-web+${codec}`, "x-grpc-web": "1", ...headers }, body: envelope(body, fault) };
  }
}

/** Reads an RPC answer into an {@link Outcome}; throws when the answer breaks the protocol itself (framing, status). */
export function rpcOutcome(protocol: RpcProtocol, codec: Codec, res: RawResponse): Outcome {
  if (protocol === "connect") return connectOutcome(codec, res);
  return grpcOutcome(protocol, codec, res);
}

function connectOutcome(codec: Codec, raw: RawResponse): Outcome {
  const res = { ...raw, body: decompress(raw.headers["content-encoding"], raw.body) };
  if (res.status === 200) return { ok: true, httpStatus: 200, messages: [res.body], codec };
  // The Connect protocol answers a content type it does not serve with a bare 415, outside the code mapping.
  if (res.status === 415) return { ok: false, httpStatus: 415, code: Code.Unimplemented, message: "unsupported media type" };
  let parsed: { code?: unknown; message?: unknown } | undefined;
  try {
    parsed = JSON.parse(res.body.toString("utf8")) as typeof parsed;
  } catch {
    parsed = undefined;
  }
  const code = typeof parsed?.code === "string" ? codeFromString(parsed.code) : undefined;
  return { ok: false, httpStatus: res.status, code: code ?? connectCodeFromHttp(res.status), message: typeof parsed?.message === "string" ? parsed.message : res.body.toString("utf8").slice(0, 200) };
}

/** Splits a gRPC(-Web) body into frames; gRPC-Web's trailer frame has flag 0x80. */
function frames(body: Buffer): { flags: number; data: Buffer }[] {
  const out: { flags: number; data: Buffer }[] = [];
  let at = 0;
  while (at + 5 <= body.length) {
    const length = body.readUInt32BE(at + 1);
    out.push({ flags: body[at]!, data: body.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  if (at !== body.length) throw new Error(`malformed response framing (${body.length - at} stray bytes)`);
  return out;
}

function grpcWebTrailers(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of data.toString("utf8").split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0) out[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return out;
}

function grpcOutcome(protocol: "grpc" | "grpc-web", codec: Codec, res: RawResponse): Outcome {
  // A bidirectional stream needs HTTP/2; over HTTP/1.1 the server says so with 505, outside the code mapping.
  if (res.status === 505) return { ok: false, httpStatus: 505, code: Code.Unimplemented, message: "HTTP version not supported" };
  if (res.status !== 200) {
    const fromHttp = grpcCodeFromHttp(res.status);
    return { ok: false, httpStatus: res.status, code: fromHttp, message: `HTTP ${res.status}` };
  }
  const all = frames(res.body);
  const messages = all.filter((f) => (f.flags & 0x80) === 0);
  const trailerFrame = all.find((f) => (f.flags & 0x80) !== 0);
  const trailers = protocol === "grpc-web" && trailerFrame ? grpcWebTrailers(trailerFrame.data) : { ...res.headers, ...res.trailers };
  const status = trailers["grpc-status"];
  if (status === undefined) throw new Error(`${protocol} answer without grpc-status`);
  const code = Number(status);
  if (!Number.isInteger(code) || code < 0 || code > 16) throw new Error(`${protocol} answer with grpc-status ${JSON.stringify(status)}`);
  const message = decodeURIComponent(trailers["grpc-message"] ?? "");
  if (code !== 0) return { ok: false, httpStatus: 200, code: code as Code, message };
  const data = messages.map((m) => (m.flags & 1 ? decompress(res.headers["grpc-encoding"], m.data) : m.data));
  return { ok: true, httpStatus: 200, messages: data, codec };
}
