import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { DomainError } from "../domain/errors.js";
import type { Authenticator } from "./authenticator.js";
import { callerKey } from "./caller.js";
import { AUTHENTICATED, requiredPermission as defaultRequiredPermission } from "./permissions.js";

/** Options of {@link createAuthInterceptor}. */
export interface AuthInterceptorOptions {
  authenticator: Authenticator;
  /** Maps a full procedure (`/<service>/<method>`) to its permission; default the table in permissions.ts. */
  requiredPermission?: (procedure: string) => string;
}

/**
 * An interceptor that authenticates every RPC (UNAUTHENTICATED otherwise), checks the procedure's
 * permission (PERMISSION_DENIED naming it) and stores the caller under `callerKey` for handlers.
 */
export function createAuthInterceptor(options: AuthInterceptorOptions): Interceptor {
  const permissionOf = options.requiredPermission ?? defaultRequiredPermission;
  return (next) => async (req) => {
    let caller;
    try {
      caller = await options.authenticator.authenticate(req.header.get("authorization"));
    } catch (e) {
      // Only credential failures become UNAUTHENTICATED; anything else is a bug for the error interceptor.
      if (e instanceof DomainError && e.kind === "unauthenticated") throw new ConnectError(e.message, Code.Unauthenticated);
      throw e;
    }
    const procedure = `/${req.service.typeName}/${req.method.name}`;
    const permission = permissionOf(procedure);
    if (permission !== AUTHENTICATED && !caller.permissions.has(permission)) {
      throw new ConnectError(`missing permission "${permission}" for ${req.method.name}`, Code.PermissionDenied);
    }
    req.contextValues.set(callerKey, caller);
    return next(req);
  };
}
