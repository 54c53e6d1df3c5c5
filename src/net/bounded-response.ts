import type { Dispatcher } from "undici";

// Flattening an undici response's headers, and describing what went wrong with a call.

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
