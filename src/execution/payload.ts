/** The identity fields every request/response payload carries (empty ones are omitted, as upstream). */
export interface PayloadContext {
  instanceID: string;
  orgID?: string | undefined;
  projectID?: string | undefined;
  userID?: string | undefined;
}

/** Incoming headers forwarded to targets, matched case-insensitively; everything else (Authorization!) is dropped. */
const FORWARDED_HEADERS: ReadonlyArray<[string, string]> = [
  ["content-type", "Content-Type"],
  ["host", "Host"],
  ["origin", "Origin"],
  ["x-forwarded-for", "X-Forwarded-For"],
  ["x-forwarded-host", "X-Forwarded-Host"],
];

/**
 * The allow-listed headers in canonical casing with their values, keys sorted (Go sorts map keys);
 * undefined when none is present, so the key is omitted.
 */
export function forwardedHeaders(get: (name: string) => string | null): Record<string, string[]> | undefined {
  const out: Record<string, string[]> = {};
  let any = false;
  for (const [lower, canonical] of [...FORWARDED_HEADERS].sort((a, b) => (a[1] < b[1] ? -1 : 1))) {
    const v = get(lower);
    if (v === null || v === "") continue;
    // One entry per header as received; repeated headers arrive joined by ", " (Headers semantics).
    out[canonical] = [v];
    any = true;
  }
  return any ? out : undefined;
}

/**
 * Serialises a payload the way ZITADEL's Go encoder does: compact, keys in the given order, empty strings
 * and undefined omitted by the caller, and `<`, `>`, `&`, U+2028, U+2029 escaped as \u003c … (HTML-safe).
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** The request-execution payload (`ContextInfoRequest`), fields in upstream order. */
export function requestPayload(
  fullMethod: string,
  ctx: PayloadContext,
  request: unknown,
  headers: Record<string, string[]> | undefined,
): Record<string, unknown> {
  return compact({ fullMethod, ...identity(ctx), request: request ?? {}, headers });
}

/** The response-execution payload (`ContextInfoResponse`): the request as the handler saw it, then the response. */
export function responsePayload(
  fullMethod: string,
  ctx: PayloadContext,
  request: unknown,
  response: unknown,
  headers: Record<string, string[]> | undefined,
): Record<string, unknown> {
  return compact({ fullMethod, ...identity(ctx), request: request ?? {}, response: response ?? {}, headers });
}

function identity(ctx: PayloadContext) {
  return { instanceID: ctx.instanceID, orgID: ctx.orgID, projectID: ctx.projectID, userID: ctx.userID };
}

/** Drops undefined and empty-string values, keeping key order. */
function compact(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== "") out[k] = v;
  return out;
}
