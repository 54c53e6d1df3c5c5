import { invalidArgument } from "./errors.js";

/** How a target is called: awaited for its status, awaited for a replacement payload, or fired and forgotten. */
export type TargetType = "webhook" | "call" | "async";

/** How a payload is encoded and secured. */
export type PayloadType = "json" | "jwt" | "jwe";

/** A stored target (without its signing keys, which never leave the store in clear except on create/rotate). */
export interface Target {
  id: string;
  name: string;
  type: TargetType;
  /** Always false for async targets. */
  interruptOnError: boolean;
  endpoint: string;
  timeoutMs: number;
  payloadType: PayloadType;
  createdAt: Date;
  changedAt: Date;
}

/** The validated fields of a new target. */
export type NewTarget = Omit<Target, "id" | "createdAt" | "changedAt">;

/** The fields an update changes; absent fields stay as they are. */
export interface TargetPatch {
  name?: string;
  /** Type and interrupt flag change together, as the proto oneof carries both. */
  kind?: { type: TargetType; interruptOnError: boolean };
  endpoint?: string;
  timeoutMs?: number;
  payloadType?: PayloadType;
  /** Rotate the signing key; the previous one stays valid for `graceMs` (0 = stops at once). */
  rotateSigningKey?: { graceMs: number };
}

/** Upper bound of a target timeout (upstream's 270 s). */
export const MAX_TARGET_TIMEOUT_MS = 270_000;
/** Upper bound of the signing-key rotation grace period (30 days). */
export const MAX_SIGNING_KEY_GRACE_MS = 30 * 24 * 3600 * 1000;
/** Maximum name length in code points. */
export const MAX_NAME_LENGTH = 1000;
/** Maximum endpoint length in code points. */
export const MAX_ENDPOINT_LENGTH = 2048;
/** Maximum id length in code points. */
export const MAX_ID_LENGTH = 200;

/** Length in Unicode code points, which is what the upstream length rules count. */
export function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Checks a string's length in code points; names the field in the error. */
export function checkLength(field: string, value: string, min: number, max: number): string {
  const n = codePoints(value);
  if (n < min) throw invalidArgument(field, min === 1 ? "must not be empty" : `must be at least ${min} characters`);
  if (n > max) throw invalidArgument(field, `must be at most ${max} characters, got ${n}`);
  return value;
}

/** Checks a resource id (1..200 code points, no surrounding whitespace). */
export function checkId(field: string, value: string): string {
  return checkLength(field, value.trim(), 1, MAX_ID_LENGTH);
}

/** Checks a target name: 1..1000 code points, not only whitespace. */
export function checkTargetName(field: string, value: string): string {
  checkLength(field, value, 1, MAX_NAME_LENGTH);
  if (value.trim() === "") throw invalidArgument(field, "must not be blank");
  return value;
}

/** Checks a timeout: required, > 0, ≤ 270 s, whole milliseconds. */
export function checkTimeoutMs(field: string, ms: number | undefined): number {
  if (ms === undefined) throw invalidArgument(field, "is required (e.g. \"10s\")");
  if (!Number.isFinite(ms) || ms <= 0) throw invalidArgument(field, "must be greater than 0s");
  if (ms > MAX_TARGET_TIMEOUT_MS) throw invalidArgument(field, "must be at most 270s");
  if (!Number.isInteger(ms)) throw invalidArgument(field, "must be a whole number of milliseconds");
  return ms;
}

/** Checks a signing-key rotation grace period: 0 (immediate) up to 30 days, whole milliseconds. */
export function checkGraceMs(field: string, ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw invalidArgument(field, "must not be negative");
  if (ms > MAX_SIGNING_KEY_GRACE_MS) throw invalidArgument(field, "must be at most 30 days (2592000s)");
  if (!Number.isInteger(ms)) throw invalidArgument(field, "must be a whole number of milliseconds");
  return ms;
}

/** The name key used for case-insensitive uniqueness. */
export function targetNameKey(name: string): string {
  return name.toLowerCase();
}
