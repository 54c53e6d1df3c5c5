import type { Db } from "./db.js";
import type { EventLog } from "./event-log.js";

/**
 * A version for the execution router: it changes when this process appends an event of the given
 * kinds, and when another connection (another process on the same file) commits anything
 * (`PRAGMA data_version`), so out-of-process edits are seen too.
 */
export function createChangeWatch(db: Db, events: EventLog, relevant: (eventType: string) => boolean): () => string {
  let local = 0;
  events.onAppend((e) => {
    if (relevant(e.type)) local++;
  });
  const dataVersion = db.prepare("PRAGMA data_version").pluck();
  return () => `${local}:${dataVersion.get() as number}`;
}
