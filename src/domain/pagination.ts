import { invalidArgument } from "./errors.js";

/** Default page size when none (or 0) is given. */
export const DEFAULT_LIMIT = 100;
/** Largest page size a caller may ask for. */
export const MAX_LIMIT = 1000;

/** A validated page request. */
export interface Page {
  offset: number;
  limit: number;
  asc: boolean;
}

/** Applies defaults (limit 100, descending) and the 1000 maximum to a page request. */
export function checkPage(input: { offset?: bigint; limit?: number; asc?: boolean } | undefined): Page {
  const offset = input?.offset ?? 0n;
  if (offset > BigInt(Number.MAX_SAFE_INTEGER)) throw invalidArgument("pagination.offset", "is too large");
  const limit = input?.limit ?? 0;
  if (limit > MAX_LIMIT) throw invalidArgument("pagination.limit", `must be at most ${MAX_LIMIT}, got ${limit}`);
  return { offset: Number(offset), limit: limit === 0 ? DEFAULT_LIMIT : limit, asc: input?.asc ?? false };
}

/** Text comparison of a name filter. */
export type TextMatch = "equals" | "equals_ignore_case" | "starts_with" | "starts_with_ignore_case" | "contains" | "contains_ignore_case" | "ends_with" | "ends_with_ignore_case";

/** Timestamp comparison of a date filter. */
export type TimeMatch = "equals" | "after" | "after_or_equals" | "before" | "before_or_equals";
