/** The kinds of failure the domain and store report; mapped to Connect codes in one place (api/errors.ts). */
export type DomainErrorKind =
  | "invalid_argument"
  | "not_found"
  | "already_exists"
  | "failed_precondition"
  | "unauthenticated"
  | "permission_denied"
  | "internal";

/** A failure with a kind, a stable machine-readable reason (e.g. `target.not_found`) and a message safe to show a caller. */
export class DomainError extends Error {
  override name = "DomainError";
  constructor(
    readonly kind: DomainErrorKind,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** A validation failure; the message names the offending field first, e.g. `name: must not be empty`. */
export function invalidArgument(field: string, problem: string, reason = "invalid_argument"): DomainError {
  return new DomainError("invalid_argument", reason, `${field}: ${problem}`);
}

/** A missing resource. */
export function notFound(reason: string, message: string): DomainError {
  return new DomainError("not_found", reason, message);
}

/** A state that forbids the operation (e.g. removing the active key). */
export function failedPrecondition(reason: string, message: string): DomainError {
  return new DomainError("failed_precondition", reason, message);
}

/** A uniqueness conflict. */
export function alreadyExists(reason: string, message: string): DomainError {
  return new DomainError("already_exists", reason, message);
}
