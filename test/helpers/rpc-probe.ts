import type { DescMethod, DescMethodStreaming, DescMethodUnary } from "@bufbuild/protobuf";
import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import { codeFromString } from "@connectrpc/connect/protocol-connect";
import { createAsyncIterable } from "@connectrpc/connect/protocol";
import { routesOfMethod } from "../../src/gateway/http-rules.js";

/** What one call of an RPC came back with: its code ("ok" on success) and everything the caller could read. */
export interface Outcome {
  code: Code | "ok";
  /** Status, headers, body, message, details and metadata as text, to search for leaked secrets. */
  seen: string;
}

const TIMEOUT_MS = 10_000;

function headersText(headers: Headers): string {
  return [...headers].map(([k, v]) => `${k}: ${v}`).join("\n");
}

function authorization(value: string | undefined): Record<string, string> {
  return value === undefined ? {} : { authorization: value };
}

/** Calls a unary RPC over Connect JSON with a raw fetch, sending `authorizationHeader` verbatim (none when undefined). */
export async function probeConnectUnary(baseUrl: string, method: DescMethod, authorizationHeader: string | undefined): Promise<Outcome> {
  const res = await fetch(`${baseUrl}/${method.parent.typeName}/${method.name}`, {
    method: "POST",
    headers: { "content-type": "application/json", "connect-protocol-version": "1", ...authorization(authorizationHeader) },
    body: "{}",
  });
  const body = await res.text();
  const seen = `${res.status}\n${headersText(res.headers)}\n${body}`;
  if (res.status === 200) return { code: "ok", seen };
  const name = (JSON.parse(body) as { code?: string }).code ?? "";
  return { code: codeFromString(name) ?? Code.Unknown, seen };
}

/** The REST path and verb of a method's first `google.api.http` binding with every path variable filled; undefined without one. */
export function restBinding(method: DescMethod): { verb: string; path: string; hasBody: boolean } | undefined {
  const route = routesOfMethod(method)[0];
  if (!route) return undefined;
  // `{id}` becomes a value; `{name=targets/*}` keeps its literal segments.
  const path = route.template.replace(/\{([^}=]+)(?:=([^}]*))?\}/g, (_m, _field: string, pattern?: string) =>
    pattern === undefined ? "matrix-1" : pattern.replace(/\*\*?/g, "matrix-1"),
  );
  return { verb: route.verb, path, hasBody: route.body.kind !== "none" };
}

/** Calls an RPC through its REST binding, sending `authorizationHeader` verbatim; the body is `{}` where the rule takes one. */
export async function probeRest(baseUrl: string, method: DescMethod, authorizationHeader: string | undefined): Promise<Outcome> {
  const binding = restBinding(method);
  if (!binding) throw new Error(`${method.parent.typeName}.${method.name} has no REST binding`);
  const res = await fetch(`${baseUrl}${binding.path}`, {
    method: binding.verb,
    headers: { ...(binding.hasBody ? { "content-type": "application/json" } : {}), ...authorization(authorizationHeader) },
    ...(binding.hasBody ? { body: "{}" } : {}),
  });
  const body = await res.text();
  const seen = `${res.status}\n${headersText(res.headers)}\n${body}`;
  if (res.status === 200) return { code: "ok", seen };
  const code = (JSON.parse(body) as { code?: number }).code;
  return { code: typeof code === "number" && code in Code ? (code as Code) : Code.Unknown, seen };
}

/**
 * Calls any RPC through a connect-es transport (gRPC, gRPC-Web or Connect) with an empty request; a stream
 * counts as answered once its first message arrives, and is then cancelled.
 */
export async function probeTransport(transport: Transport, method: DescMethod, authorizationHeader: string | undefined): Promise<Outcome> {
  const header = authorization(authorizationHeader);
  const abort = new AbortController();
  try {
    if (method.methodKind === "unary") {
      const res = await transport.unary(method as DescMethodUnary, abort.signal, TIMEOUT_MS, header, {});
      return { code: "ok", seen: `${headersText(res.header)}\n${headersText(res.trailer)}` };
    }
    const res = await transport.stream(method as DescMethodStreaming, abort.signal, TIMEOUT_MS, header, createAsyncIterable([{}]));
    for await (const message of res.message) {
      void message;
      break;
    }
    return { code: "ok", seen: `${headersText(res.header)}\n${headersText(res.trailer)}` };
  } catch (e) {
    const error = ConnectError.from(e);
    const seen = [error.message, JSON.stringify(error.details, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString("latin1") : v)), headersText(error.metadata)].join("\n");
    return { code: error.code, seen };
  } finally {
    abort.abort();
  }
}
