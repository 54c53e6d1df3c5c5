import type { Db } from "./db.js";
import type { Actor, StoredEvent } from "../domain/events.js";

/** What a store passes to {@link EventLog.append}. */
export interface NewEvent {
  type: string;
  aggregateType: string;
  aggregateId: string;
  actor: Actor;
  /** JSON-serialisable; never a secret (events are delivered to targets). */
  payload: Record<string, unknown>;
  createdAt: Date;
}

/** The append-only event table; `append` must run inside the transaction of the change it records. */
export interface EventLog {
  append(event: NewEvent): StoredEvent;
  /** Events after a position, oldest first (for tests and later delivery). */
  readAfter(position: number, limit: number): StoredEvent[];
  /** Calls `listener` for every appended event, inside the appending transaction (keep it cheap). */
  onAppend(listener: (event: StoredEvent) => void): () => void;
}

interface EventRow {
  position: number;
  event_type: string;
  aggregate_type: string;
  aggregate_id: string;
  sequence: number;
  creator: string;
  resource_owner: string;
  payload: string;
  created_at: number;
}

/** Creates the event log over a database; `instanceId` owns events whose actor has no org. */
export function createEventLog(db: Db, deps: { instanceId: string }): EventLog {
  // The newest sequence by a descending seek of the unique index: about twice as fast as MAX(), which sets up an
  // aggregate per call (measured 20 -> 8-12 µs per event; it runs once per appended event).
  const lastSeq = db
    .prepare<[string, string], number>("SELECT sequence FROM events WHERE aggregate_type = ? AND aggregate_id = ? ORDER BY sequence DESC LIMIT 1")
    .pluck();
  const insert = db.prepare<[string, string, string, number, string, string, string, number]>(
    `INSERT INTO events (event_type, aggregate_type, aggregate_id, sequence, creator, resource_owner, payload, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const listeners = new Set<(event: StoredEvent) => void>();
  const after = db.prepare<[number, number], EventRow>("SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?");
  return {
    append(e) {
      if (!db.inTransaction) throw new Error("events must be appended inside the transaction of their change");
      const sequence = (lastSeq.get(e.aggregateType, e.aggregateId) ?? 0) + 1;
      const resourceOwner = e.actor.orgId ?? deps.instanceId;
      const result = insert.run(e.type, e.aggregateType, e.aggregateId, sequence, e.actor.userId, resourceOwner, JSON.stringify(e.payload), e.createdAt.getTime());
      const stored: StoredEvent = {
        position: Number(result.lastInsertRowid),
        type: e.type,
        aggregateType: e.aggregateType,
        aggregateId: e.aggregateId,
        sequence,
        creator: e.actor.userId,
        resourceOwner,
        payload: e.payload,
        createdAt: e.createdAt,
      };
      for (const listener of listeners) listener(stored);
      return stored;
    },
    onAppend(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    readAfter(position, limit) {
      return after.all(position, limit).map((r) => ({
        position: r.position,
        type: r.event_type,
        aggregateType: r.aggregate_type,
        aggregateId: r.aggregate_id,
        sequence: r.sequence,
        creator: r.creator,
        resourceOwner: r.resource_owner,
        payload: JSON.parse(r.payload) as unknown,
        createdAt: new Date(r.created_at),
      }));
    },
  };
}
