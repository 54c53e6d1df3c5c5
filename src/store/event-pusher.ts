import type { Db } from "./db.js";
import type { EventLog } from "./event-log.js";
import type { Clock } from "../domain/clock.js";
import type { StoredEvent } from "../domain/events.js";
import type { EventTypeRegistry } from "../domain/event-types.js";
import { invalidArgument } from "../domain/errors.js";

/** An event a host application pushes. */
export interface HostEvent {
  /** A registered type, e.g. `user.human.added`. */
  type: string;
  aggregateType: string;
  aggregateId: string;
  /** JSON-serialisable event data, delivered as `event_payload`. */
  payload: Record<string, unknown>;
  /** Who caused it (`userID` in the payload); default "system". */
  creator?: string;
  /** The owning organisation (`resourceOwner`); default the instance. */
  orgId?: string;
}

/** Appends host events in one transaction; matching event executions are enqueued in that same transaction. */
export type PushEvents = (events: readonly HostEvent[]) => StoredEvent[];

/** Creates {@link PushEvents} over the event log; unknown types are INVALID_ARGUMENT and nothing is written. */
export function createEventPusher(db: Db, deps: { events: EventLog; registry: EventTypeRegistry; clock: Clock }): PushEvents {
  return db.transaction((events: readonly HostEvent[]) => {
    const at = deps.clock();
    return events.map((e, i) => {
      if (!deps.registry.has(e.type)) throw invalidArgument(`events[${i}].type`, `event type ${JSON.stringify(e.type)} is not registered`);
      if (e.aggregateType === "" || e.aggregateId === "") throw invalidArgument(`events[${i}]`, "aggregateType and aggregateId are required");
      return deps.events.append({
        type: e.type,
        aggregateType: e.aggregateType,
        aggregateId: e.aggregateId,
        actor: { userId: e.creator ?? "system", ...(e.orgId ? { orgId: e.orgId } : {}) },
        payload: e.payload,
        createdAt: at,
      });
    });
  });
}
