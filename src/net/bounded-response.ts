import type { Dispatcher } from "undici";

// Reading an undici response within a deadline and a size cap, and describing what went wrong.

/**
 * Settles with `pending` or rejects as soon as `signal` aborts: undici only honours an abort once the request
 * has a connection, so a slow DNS answer or connect would otherwise outlast the deadline.
 */
export async function raceAbort(pending: Promise<Dispatcher.ResponseData>, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([pending, aborted]);
  } catch (err) {
    // If the abort won, the request may still answer later: drop that response instead of leaking it.
    pending.then((res) => res.body.destroy(), () => undefined);
    throw err;
  } finally {
    if (onAbort) signal.removeEventListener("abort", onAbort);
  }
}

/** Reads at most `limit` bytes; undefined when the body is longer, after destroying it (which drops the connection). */
export async function readCapped(body: Dispatcher.ResponseData["body"], limit: number): Promise<Uint8Array | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** Response headers as one string per name (repeated headers joined with ", "). */
export function flattenHeaders(headers: Dispatcher.ResponseData["headers"]): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return flat;
}

/** A short, secret-free description of a network error (messages carry addresses and codes, never headers). */
export function describeError(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return err.errors.map(describeError).join("; ");
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  const message = err.message || err.name;
  return typeof code === "string" && !code.startsWith("UND_ERR") && !message.includes(code) ? `${code}: ${message}` : message;
}
