import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { DomainError, type DomainErrorKind } from "../domain/errors.js";

const CODES: Record<DomainErrorKind, Code> = {
  invalid_argument: Code.InvalidArgument,
  not_found: Code.NotFound,
  already_exists: Code.AlreadyExists,
  failed_precondition: Code.FailedPrecondition,
  unauthenticated: Code.Unauthenticated,
  permission_denied: Code.PermissionDenied,
  internal: Code.Internal,
};

/** Logs an unexpected error without exposing it to the caller. */
export type ErrorLogger = (message: string, fields: Record<string, unknown>) => void;

/**
 * The one place errors become Connect codes: DomainErrors keep their message (it is written for callers),
 * ConnectErrors pass through, anything else is logged and becomes a generic INTERNAL.
 */
export function toConnectError(e: unknown, procedure: string, log: ErrorLogger): ConnectError {
  if (e instanceof ConnectError) return e;
  if (e instanceof DomainError) {
    const err = new ConnectError(e.message, CODES[e.kind]);
    return err;
  }
  log("unexpected error", { procedure, err: e instanceof Error ? { name: e.name, message: e.message, stack: e.stack } : String(e) });
  return new ConnectError("internal error", Code.Internal);
}

/** An interceptor that maps every error a handler throws through {@link toConnectError}; mount it outermost. */
export function createErrorInterceptor(log: ErrorLogger): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (e) {
      throw toConnectError(e, req.url, log);
    }
  };
}
