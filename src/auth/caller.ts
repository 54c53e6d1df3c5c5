import { createContextKey, type ContextValues, type HandlerContext } from "@connectrpc/connect";
import { DomainError } from "../domain/errors.js";

/** The authenticated identity behind a request; handlers and the execution engine read it from the context. */
export interface Caller {
  userId: string;
  /** The caller's organisation (OIDC resource-owner claim); absent for personal access tokens. */
  orgId?: string;
  /** The caller's project, when the configured claim carries one. */
  projectId?: string;
  permissions: ReadonlySet<string>;
  /** How the caller proved its identity. */
  via: "pat" | "oidc";
}

/** The Connect context key under which the auth interceptor stores the {@link Caller}. */
export const callerKey = createContextKey<Caller | undefined>(undefined, { description: "tether.caller" });

/**
 * The caller of the current RPC, from a handler context or its context values; throws UNAUTHENTICATED
 * when none was stored, so a route mounted without the auth interceptor fails closed.
 */
export function callerFrom(ctx: HandlerContext | ContextValues): Caller {
  const values = "values" in ctx ? ctx.values : ctx;
  const caller = values.get(callerKey);
  if (!caller) throw new DomainError("unauthenticated", "auth.no_caller", "no authenticated caller");
  return caller;
}
