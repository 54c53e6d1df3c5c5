// What every fuzzed answer must satisfy: a proper error code or a success the output schema and the rules accept.
import { fromBinary, fromJson, type DescMethod, type JsonValue } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import type { Outcome } from "./fuzz-protocols.js";
import type { RawResponse } from "./fuzz-wire.js";

/** Standard gRPC infrastructure (health, reflection) is served without credentials (src/grpc/public-services.ts). */
export function isPublic(method: DescMethod): boolean {
  return method.parent.typeName.startsWith("grpc.");
}

/** Codes that mean the server failed rather than the input: never acceptable for any input. */
export const FORBIDDEN_CODES: ReadonlySet<Code> = new Set([Code.Unknown, Code.Internal, Code.DataLoss, Code.Unavailable]);

/** Codes a bad or unlucky request may get. */
export const ALLOWED_ERROR_CODES: ReadonlySet<Code> = new Set([
  Code.InvalidArgument,
  Code.NotFound,
  Code.AlreadyExists,
  Code.FailedPrecondition,
  Code.ResourceExhausted,
  Code.Unauthenticated,
  Code.PermissionDenied,
  Code.Unimplemented,
  Code.OutOfRange,
]);

/** How the request was authenticated, which bounds what the answer may be. */
export type AuthKind = "admin" | "none" | "bad";

/** Throws with a readable description when an answer breaks an invariant. */
export function checkRpcOutcome(method: DescMethod, outcome: Outcome, auth: AuthKind): void {
  const where = `${method.parent.typeName}/${method.name}`;
  if (!outcome.ok) {
    if (FORBIDDEN_CODES.has(outcome.code) || !ALLOWED_ERROR_CODES.has(outcome.code))
      throw new Error(`${where}: answered ${Code[outcome.code]} (HTTP ${outcome.httpStatus}): ${outcome.message}`);
    if (/\bat .+:\d+:\d+/.test(outcome.message)) throw new Error(`${where}: error message leaks a stack trace: ${outcome.message}`);
    return;
  }
  if (auth !== "admin" && !isPublic(method)) throw new Error(`${where}: succeeded without valid credentials (${auth})`);
  const streams = method.methodKind !== "unary";
  if (!streams && outcome.messages.length !== 1) throw new Error(`${where}: unary success with ${outcome.messages.length} messages`);
  for (const message of outcome.messages) {
    const response =
      outcome.codec === "proto" ? fromBinary(method.output, message) : fromJson(method.output, JSON.parse(new TextDecoder().decode(message)) as JsonValue);
    checkSuccess(method, response as unknown as Record<string, unknown>);
  }
}

/** Rules every successful answer keeps, whichever input produced it. */
export function checkSuccess(method: DescMethod, response: Record<string, unknown>): void {
  const where = `${method.parent.typeName}/${method.name}`;
  const fail = (problem: string) => {
    throw new Error(`${where}: ${problem}`);
  };
  if (method.name === "CreateTarget") {
    if (!/^\d+$/.test(String(response["id"]))) fail(`created target id ${String(response["id"])} is not numeric`);
    if (!/^[a-zA-Z0-9]{36}$/.test(String(response["signingKey"]))) fail("created target has no 36-character signing key");
  }
  const targets = (response["targets"] ?? (response["target"] ? [response["target"]] : [])) as { signingKey?: string }[];
  if (Array.isArray(targets) && targets.some((t) => typeof t === "object" && t.signingKey)) fail("a read returned a signing key");
  const pagination = response["pagination"] as { appliedLimit?: bigint; totalResult?: bigint } | undefined;
  if (pagination && method.name.startsWith("List")) {
    const limit = pagination.appliedLimit ?? 0n;
    if (limit < 1n || limit > 1000n) fail(`applied limit ${limit} outside 1..1000`);
    const items = Object.values(response).find(Array.isArray) as unknown[] | undefined;
    if (items && BigInt(items.length) > limit) fail(`${items.length} items exceed the applied limit ${limit}`);
  }
}

/** The HTTP status a REST error of each code may come with (grpc-gateway's mapping, plus 405/413/415 from the gateway). */
const REST_STATUS: Partial<Record<Code, number[]>> = {
  [Code.InvalidArgument]: [400],
  [Code.NotFound]: [404],
  [Code.AlreadyExists]: [409],
  [Code.FailedPrecondition]: [400],
  [Code.ResourceExhausted]: [413, 429],
  [Code.Unauthenticated]: [401],
  [Code.PermissionDenied]: [403],
  [Code.Unimplemented]: [405, 415, 501],
  [Code.OutOfRange]: [400],
};

/** Checks a REST answer: a success the output schema accepts, or a `google.rpc.Status` JSON with a matching HTTP status. */
export function checkRestOutcome(method: DescMethod, res: RawResponse, auth: AuthKind): void {
  const where = `REST ${method.parent.typeName}/${method.name}`;
  // Node's HTTP parser refuses request headers (URL included) over 16 KiB before any route runs.
  if (res.status === 431) return;
  const text = res.body.toString("utf8");
  if (!(res.headers["content-type"] ?? "").startsWith("application/json")) throw new Error(`${where}: HTTP ${res.status} with content-type ${res.headers["content-type"]}: ${text.slice(0, 200)}`);
  const json = JSON.parse(text) as JsonValue;
  if (res.status === 200) {
    if (auth !== "admin" && !isPublic(method)) throw new Error(`${where}: succeeded without valid credentials (${auth})`);
    // A generated path segment such as "search" can select a neighbouring route, so fields of another response are allowed.
    checkSuccess(method, fromJson(method.output, json, { ignoreUnknownFields: true }) as unknown as Record<string, unknown>);
    return;
  }
  const status = json as { code?: unknown; message?: unknown; details?: unknown };
  if (typeof status.code !== "number" || typeof status.message !== "string" || !Array.isArray(status.details))
    throw new Error(`${where}: HTTP ${res.status} body is not a google.rpc.Status: ${text.slice(0, 200)}`);
  const code = status.code as Code;
  if (FORBIDDEN_CODES.has(code) || res.status >= 500 && res.status !== 501) throw new Error(`${where}: HTTP ${res.status} code ${Code[code]}: ${status.message}`);
  if (!(REST_STATUS[code] ?? []).includes(res.status)) throw new Error(`${where}: HTTP ${res.status} does not fit code ${Code[code] ?? code}: ${status.message}`);
}
