import { Code, ConnectError } from "@connectrpc/connect";
import type { CallOutcome } from "./http-client.js";

/** What one target call amounted to: success with a body to apply, or the error the caller would see. */
export type TargetResult = { ok: true; body: Uint8Array } | { ok: false; error: ConnectError; kind: string };

const FORWARDED_CODES: Record<number, Code> = {
  400: Code.InvalidArgument,
  401: Code.Unauthenticated,
  403: Code.PermissionDenied,
  404: Code.NotFound,
  409: Code.AlreadyExists,
  429: Code.ResourceExhausted,
};

/**
 * Classifies an HTTP outcome as runtime.md (c)/(e) prescribe: non-2xx → FAILED_PRECONDITION; a 2xx body
 * carrying `forwardedStatusCode`/`forwardedErrorMessage` → the mapped code (4xx) or FAILED_PRECONDITION,
 * with the forwarded message; transport failures and timeouts → UNKNOWN (upstream surfaces them so).
 */
export function classifyOutcome(target: { id: string; name: string }, outcome: CallOutcome): TargetResult {
  const who = `target ${JSON.stringify(target.name)} (${target.id})`;
  switch (outcome.kind) {
    case "ok": {
      const forwarded = forwardedError(outcome.body);
      if (!forwarded) return { ok: true, body: outcome.body };
      const code = forwarded.status >= 400 && forwarded.status <= 499 ? (FORWARDED_CODES[forwarded.status] ?? Code.Unknown) : Code.FailedPrecondition;
      return { ok: false, kind: "forwarded_error", error: new ConnectError(forwarded.message || `${who} forwarded status ${forwarded.status}`, code) };
    }
    case "http_error":
      return { ok: false, kind: "http_error", error: new ConnectError(`${who} failed: HTTP ${outcome.status}`, Code.FailedPrecondition) };
    case "timeout":
      return { ok: false, kind: "timeout", error: new ConnectError(`${who} timed out`, Code.Unknown) };
    case "unreachable":
      return { ok: false, kind: "unreachable", error: new ConnectError(`${who} unreachable: ${outcome.message}`, Code.Unknown) };
    case "too_large":
      return { ok: false, kind: "too_large", error: new ConnectError(`${who} answered with more than ${outcome.limitBytes} bytes`, Code.Unknown) };
    case "blocked":
      return { ok: false, kind: "blocked", error: new ConnectError(`${who} refused: ${outcome.problem}`, Code.Unknown) };
    case "canceled":
      return { ok: false, kind: "canceled", error: new ConnectError(`${who} call canceled`, Code.Canceled) };
  }
}

/** The forwarded error in a 2xx JSON object body, if any (a non-zero status or a non-empty message). */
function forwardedError(body: Uint8Array): { status: number; message: string } | undefined {
  if (body.length === 0 || body[0] !== 0x7b /* { */ && !/^\s*\{/.test(Buffer.from(body.subarray(0, 64)).toString())) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body).toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
  const o = parsed as Record<string, unknown>;
  const status = typeof o.forwardedStatusCode === "number" ? o.forwardedStatusCode : 0;
  const message = typeof o.forwardedErrorMessage === "string" ? o.forwardedErrorMessage : "";
  if (status === 0 && message === "") return undefined;
  return { status, message };
}
