import type { HandlerContext } from "@connectrpc/connect";
import type { Actor } from "../domain/events.js";
import { callerFrom } from "../auth/caller.js";

/** The authenticated caller of a handler as the actor recorded on events (fails closed without one). */
export function actorFrom(ctx: HandlerContext): Actor {
  const caller = callerFrom(ctx);
  return caller.orgId === undefined ? { userId: caller.userId } : { userId: caller.userId, orgId: caller.orgId };
}
