import { create } from "@bufbuild/protobuf";
import { DurationSchema, TimestampSchema, type Duration, type Timestamp } from "@bufbuild/protobuf/wkt";
import { invalidArgument } from "../domain/errors.js";
import { checkPage, type Page, type TextMatch, type TimeMatch } from "../domain/pagination.js";
import { MAX_FILTERS, MAX_LIST_ITEMS } from "../domain/queries.js";
import { PaginationResponseSchema, TextFilterMethod, TimestampFilterMethod, type PaginationRequest, type PaginationResponse } from "../../gen/zitadel/filter/v2/filter_pb.js";

const MAX_TIMESTAMP_SECONDS = 253402300799n; // 9999-12-31T23:59:59Z, the protobuf JSON limit
const MIN_TIMESTAMP_SECONDS = -62135596800n; // 0001-01-01T00:00:00Z

/** A Date as a protobuf Timestamp (millisecond precision). */
export function timestampFromDate(d: Date): Timestamp {
  const ms = d.getTime();
  const seconds = Math.floor(ms / 1000);
  return create(TimestampSchema, { seconds: BigInt(seconds), nanos: (ms - seconds * 1000) * 1_000_000 });
}

/** A protobuf Timestamp as a Date; out-of-range values are INVALID_ARGUMENT naming the field. */
export function dateFromTimestamp(field: string, t: Timestamp): Date {
  if (t.seconds < MIN_TIMESTAMP_SECONDS || t.seconds > MAX_TIMESTAMP_SECONDS) throw invalidArgument(field, "is outside 0001-01-01..9999-12-31");
  if (t.nanos < 0 || t.nanos > 999_999_999) throw invalidArgument(field, "has invalid nanos");
  return new Date(Number(t.seconds) * 1000 + Math.floor(t.nanos / 1_000_000));
}

/** A millisecond count as a protobuf Duration. */
export function durationFromMs(ms: number): Duration {
  const seconds = Math.trunc(ms / 1000);
  return create(DurationSchema, { seconds: BigInt(seconds), nanos: (ms - seconds * 1000) * 1_000_000 });
}

/** A protobuf Duration in milliseconds (may be fractional); malformed values are INVALID_ARGUMENT naming the field. */
export function msFromDuration(field: string, d: Duration): number {
  if (d.nanos <= -1_000_000_000 || d.nanos >= 1_000_000_000) throw invalidArgument(field, "has invalid nanos");
  if ((d.seconds > 0n && d.nanos < 0) || (d.seconds < 0n && d.nanos > 0)) throw invalidArgument(field, "has seconds and nanos of different signs");
  if (d.seconds > 315_576_000_000n || d.seconds < -315_576_000_000n) throw invalidArgument(field, "is out of range");
  return Number(d.seconds) * 1000 + d.nanos / 1_000_000;
}

/** Checks that an enum value is one the proto defines (binary and JSON decoding accept unknown numbers). */
export function checkEnum<T extends number>(field: string, value: T, known: Record<string, string | number>): T {
  if (typeof known[value] !== "string") throw invalidArgument(field, `unknown enum value ${value}`);
  return value;
}

/** A PaginationRequest as a validated page (defaults: offset 0, limit 100, descending). */
export function pageFromProto(p: PaginationRequest | undefined): Page {
  return checkPage(p && { offset: p.offset, limit: p.limit, asc: p.asc });
}

/** The pagination part of a list response. */
export function paginationToProto(total: number, page: Page): PaginationResponse {
  return create(PaginationResponseSchema, { totalResult: BigInt(total), appliedLimit: BigInt(page.limit) });
}

const TEXT_MATCH: Record<TextFilterMethod, TextMatch> = {
  [TextFilterMethod.EQUALS]: "equals",
  [TextFilterMethod.EQUALS_IGNORE_CASE]: "equals_ignore_case",
  [TextFilterMethod.STARTS_WITH]: "starts_with",
  [TextFilterMethod.STARTS_WITH_IGNORE_CASE]: "starts_with_ignore_case",
  [TextFilterMethod.CONTAINS]: "contains",
  [TextFilterMethod.CONTAINS_IGNORE_CASE]: "contains_ignore_case",
  [TextFilterMethod.ENDS_WITH]: "ends_with",
  [TextFilterMethod.ENDS_WITH_IGNORE_CASE]: "ends_with_ignore_case",
};

/** A TextFilterMethod as a domain text match. */
export function textMatchFromProto(field: string, m: TextFilterMethod): TextMatch {
  return TEXT_MATCH[checkEnum(field, m, TextFilterMethod)];
}

const TIME_MATCH: Record<TimestampFilterMethod, TimeMatch> = {
  [TimestampFilterMethod.EQUALS]: "equals",
  [TimestampFilterMethod.AFTER]: "after",
  [TimestampFilterMethod.AFTER_OR_EQUALS]: "after_or_equals",
  [TimestampFilterMethod.BEFORE]: "before",
  [TimestampFilterMethod.BEFORE_OR_EQUALS]: "before_or_equals",
};

/** A TimestampFilterMethod as a domain time match. */
export function timeMatchFromProto(field: string, m: TimestampFilterMethod): TimeMatch {
  return TIME_MATCH[checkEnum(field, m, TimestampFilterMethod)];
}

/** Checks a list of ids: at most 1000, each 1..200 code points, no duplicates. */
export function checkIdList(field: string, ids: readonly string[]): string[] {
  checkListSize(field, ids);
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    if (id === "") throw invalidArgument(`${field}[${i}]`, "must not be empty");
    if ([...id].length > 200) throw invalidArgument(`${field}[${i}]`, "must be at most 200 characters");
    if (seen.has(id)) throw invalidArgument(`${field}[${i}]`, `duplicate id ${JSON.stringify(id)}`);
    seen.add(id);
  });
  return [...ids];
}

/**
 * Refuses lists longer than {@link MAX_LIST_ITEMS}: each value is one bound parameter of one SQL statement,
 * and SQLite refuses more than 32766 of them (which was an INTERNAL error).
 */
export function checkListSize(field: string, items: readonly unknown[]): void {
  if (items.length > MAX_LIST_ITEMS) throw invalidArgument(field, `must hold at most ${MAX_LIST_ITEMS} values, got ${items.length}`);
}

/** Checks the filters of a list request: at most {@link MAX_FILTERS}, combined in one SQL statement. */
export function checkFilters<T>(filters: readonly T[]): readonly T[] {
  if (filters.length > MAX_FILTERS) throw invalidArgument("filters", `must hold at most ${MAX_FILTERS} filters, got ${filters.length}`);
  return filters;
}
