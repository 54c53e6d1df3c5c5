import type { TextMatch, TimeMatch } from "../domain/pagination.js";

/** A WHERE fragment with its parameters. */
export interface SqlPart {
  sql: string;
  params: unknown[];
}

/** Joins fragments with AND (true when empty). */
export function and(parts: SqlPart[]): SqlPart {
  if (parts.length === 0) return { sql: "1", params: [] };
  return { sql: parts.map((p) => `(${p.sql})`).join(" AND "), params: parts.flatMap((p) => p.params) };
}

/**
 * A text comparison. Case-insensitive variants compare `foldedColumn` (stored lower-cased in JS)
 * with the lower-cased value; substr/instr avoid LIKE's wildcard escaping.
 */
export function textMatch(column: string, foldedColumn: string, method: TextMatch, value: string): SqlPart {
  const ignoreCase = method.endsWith("_ignore_case");
  const col = ignoreCase ? foldedColumn : column;
  const v = ignoreCase ? value.toLowerCase() : value;
  if (method.startsWith("equals")) return { sql: `${col} = ?`, params: [v] };
  if (method.startsWith("starts_with")) return { sql: `substr(${col}, 1, length(?)) = ?`, params: [v, v] };
  if (method.startsWith("ends_with")) return { sql: `length(${col}) >= length(?) AND substr(${col}, -length(?)) = ?`, params: [v, v, v] };
  return { sql: `instr(${col}, ?) > 0`, params: [v] };
}

/**
 * A timestamp comparison on a nullable column where NULL means "never" (infinitely late):
 * it satisfies AFTER / AFTER_OR_EQUALS and nothing else.
 */
export function timeMatch(column: string, method: TimeMatch, atMs: number): SqlPart {
  switch (method) {
    case "equals":
      return { sql: `${column} = ?`, params: [atMs] };
    case "after":
      return { sql: `${column} IS NULL OR ${column} > ?`, params: [atMs] };
    case "after_or_equals":
      return { sql: `${column} IS NULL OR ${column} >= ?`, params: [atMs] };
    case "before":
      return { sql: `${column} < ?`, params: [atMs] };
    case "before_or_equals":
      return { sql: `${column} <= ?`, params: [atMs] };
  }
}

/** `column IN (?, ?, …)`; an empty list matches nothing. */
export function inList(column: string, values: readonly string[]): SqlPart {
  if (values.length === 0) return { sql: "0", params: [] };
  return { sql: `${column} IN (${values.map(() => "?").join(", ")})`, params: [...values] };
}
