import type { Db } from "./db.js";
import type { Clock } from "../domain/clock.js";
import type { Delivery, DeliveryAttempt, DeliveryState, NewDelivery } from "../domain/delivery.js";
import type { Paged } from "../domain/queries.js";
import type { Page } from "../domain/pagination.js";
import type { SecretBox } from "../crypto/secret-box.js";
import { and, inList, type SqlPart } from "./sql.js";
import { createSnapshotParser, readableSnapshot, rowToAttempt, rowToDelivery, successAttempt, type AttemptRow, type DeliveryRow } from "./delivery-rows.js";

/** The owner a job's sealed payload is bound to, so it cannot be moved to another job's row. */
export function deliveryPayloadAad(jobId: string): string {
  return `delivery-payload:${jobId}`;
}

/**
 * A job's JSON body. Async payloads are sealed at rest (they can hold anything a request or response carried,
 * a freshly rotated signing key included, and exist nowhere else); event payloads are stored plain, since the
 * events table holds the same content in the clear (sealing a copy would hide nothing and cost ~20 µs per
 * job). Rows written without a secret box are plain JSON too. Throws when a sealed payload cannot be opened.
 */
export function openDeliveryPayload(secrets: Pick<SecretBox, "open">, job: { id: string; payload: string }): string {
  return job.payload.startsWith("{") ? job.payload : secrets.open(job.payload, deliveryPayloadAad(job.id));
}

/** Filters of {@link DeliveryStore.list}; combined with AND. */
export interface DeliveryQuery {
  targetId?: string;
  states?: DeliveryState[];
  eventType?: string;
  createdFrom?: Date;
  createdTo?: Date;
  page: Page;
}

/**
 * The outbox: delivery jobs and their attempts.
 *
 * "In flight" lives in this store's memory, not in the job's row: a claim is a read, and only the outcome is
 * written (one row write per delivered job). A claimed job's row stays `pending`, so a crash re-sends it,
 * which is exactly what at-least-once asks of jobs that were in flight; every read here reports it as
 * `in_flight` while this process holds it. One process claims from a database at a time (its worker).
 */
export interface DeliveryStore {
  /** Adds a job; call inside the transaction that produced it. Returns its id (the webhook-id). */
  enqueue(job: NewDelivery): string;
  /**
   * Takes up to `limit` due jobs in flight and returns them, oldest first. A job waits while an earlier
   * job with the same ordering key and target is not final; targets in `busyTargets` are skipped. Writes
   * nothing: the jobs are held in memory until {@link finish} or {@link releaseInFlight}.
   */
  claim(limit: number, busyTargets?: ReadonlySet<string>): Delivery[];
  /**
   * Records an attempt and the job's new state in one transaction. The job is named by its id, or by the
   * row number of a claimed job (the worker's way: no lookup through the id index). A job that is gone is skipped.
   */
  finish(job: string | Pick<Delivery, "n">, attempt: DeliveryAttempt, next: { state: "delivered" } | { state: "pending"; at: Date } | { state: "dead"; reason: string }): void;
  /**
   * Puts in-flight jobs back to pending: the named ones, or all (start-up; this also clears rows an older
   * version marked `in_flight` in the database).
   */
  releaseInFlight(ids?: readonly string[]): number;
  get(id: string): (Delivery & { attemptLog: DeliveryAttempt[] }) | undefined;
  list(query: DeliveryQuery): Paged<Delivery>;
  /** Replays one dead (or pending) job now; false when it is missing or already delivered or in flight. */
  retry(id: string): boolean;
  /** Replays every dead job matching the filter; returns how many. */
  retryDead(filter: { targetId?: string; from?: Date; to?: Date }): number;
  /** Job counts per state, and the age of the oldest due pending job (queue lag). */
  stats(): { pending: number; inFlight: number; delivered: number; dead: number; oldestDueMs: number };
  /** When the next pending job is due, if any (the worker sleeps until then). */
  nextDueAt(): Date | undefined;
  /** Open and dead job counts from the state index, plus the jobs held in flight (cheap enough for every metrics scrape). */
  queueDepth(): { pending: number; inFlight: number; dead: number };
  /**
   * Deletes up to `limit` jobs in `state` that ended before `before`, with their attempts; returns how many.
   * Retention: a range of the state index, oldest first, so each call is one bounded write.
   */
  purge(state: "delivered" | "dead", before: Date, limit: number): number;
}

/** Dependencies of {@link createDeliveryStore}. */
export interface DeliveryStoreDeps {
  clock: Clock;
  /** Job ids (sent as webhook-id). */
  newId: () => string;
  /** Seals async payloads at rest; without it (the admin CLI, which has no master key and writes only event jobs) they are stored as plain JSON. */
  secrets?: Pick<SecretBox, "seal">;
  /** Told about a job a claim set aside as dead because its row cannot be read back. */
  onUnreadable?: (job: { id: string; targetId: string }) => void;
}

/** Creates the delivery store. */
export function createDeliveryStore(db: Db, deps: DeliveryStoreDeps): DeliveryStore {
  const parseSnapshot = createSnapshotParser();
  const insert = db.prepare<[string, string, string, string, string, string, string | null, number | null, string | null, number, number, number]>(
    `INSERT INTO deliveries (id, kind, execution_id, target_id, target, payload, event_type, event_position, ordering_key, state, next_attempt_at, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
  );
  // Oldest due first; an ordered job waits for earlier open jobs of its aggregate and target; targets
  // at their concurrency limit are excluded in SQL so a long backlog of one target cannot starve others.
  // Jobs this process holds in flight are pending rows too: left out by row number (json_each of the held set).
  const due = db.prepare<[number, string, string, number], DeliveryRow>(
    `SELECT d.* FROM deliveries d
     WHERE d.state = 'pending' AND d.next_attempt_at <= ?
       AND d.target_id NOT IN (SELECT value FROM json_each(?))
       AND d.n NOT IN (SELECT value FROM json_each(?))
       AND (d.ordering_key IS NULL OR NOT EXISTS (
         SELECT 1 FROM deliveries e WHERE e.target_id = d.target_id AND e.ordering_key = d.ordering_key
           AND e.n < d.n AND e.state IN ('pending', 'in_flight')))
     ORDER BY d.next_attempt_at, d.n LIMIT ?`,
  );
  const byId = db.prepare<[string], DeliveryRow>("SELECT * FROM deliveries WHERE id = ?");
  const attemptsOf = db.prepare<[number], AttemptRow>("SELECT * FROM delivery_attempts WHERE delivery_n = ? ORDER BY attempt");
  // Keyed by the row number (the table's rowid), with positional parameters: the worker's per-attempt writes.
  // The job row is updated first, so a job that is gone writes nothing (an attempt row would break its foreign key).
  const update = db.prepare<[string, number, number | null, number, number | null, string | null, number]>(
    `UPDATE deliveries SET state = ?, attempts = ?, next_attempt_at = COALESCE(?, next_attempt_at), updated_at = ?,
       last_status = ?, last_error = ? WHERE n = ?`,
  );
  // A success ends the job: its attempt goes on the row, so delivering costs one row write (no attempt row).
  // A final job's next_attempt_at becomes the time it ended: retention counts from there.
  const delivered = db.prepare<[number, number, number, number | null, number, number, string | null, number]>(
    `UPDATE deliveries SET state = 'delivered', attempts = ?, next_attempt_at = ?, updated_at = ?, last_status = ?, last_error = NULL,
       success_started_at = ?, success_latency_ms = ?, success_response_body = ? WHERE n = ?`,
  );
  // A row that cannot be read back (its snapshot is not JSON any more) can never be sent: it is set aside.
  const unreadable = db.prepare<[number, number, number]>(
    "UPDATE deliveries SET state = 'dead', next_attempt_at = ?, updated_at = ?, last_error = 'the stored job cannot be read' WHERE n = ? AND state = 'pending'",
  );
  const insertAttempt = db.prepare<[number, number, number, number, string, number | null, string | null, string | null]>(
    `INSERT INTO delivery_attempts (delivery_n, attempt, started_at, latency_ms, outcome, status, error, response_body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const rowNumber = db.prepare<[string], { n: number }>("SELECT n FROM deliveries WHERE id = ?");
  const nextDue = db.prepare<[string], { at: number | null }>(
    "SELECT MIN(next_attempt_at) AS at FROM deliveries WHERE state = 'pending' AND n NOT IN (SELECT value FROM json_each(?))",
  );
  // Leaves delivered rows out, which grow without bound; the other states are ranges of the deliveries_due index.
  const openCounts = db.prepare<[], { state: DeliveryState; n: number }>(
    "SELECT state, COUNT(*) AS n FROM deliveries WHERE state IN ('pending', 'in_flight', 'dead') GROUP BY state",
  );
  const heldPending = db.prepare<[string], { n: number }>(
    "SELECT COUNT(*) AS n FROM deliveries WHERE n IN (SELECT value FROM json_each(?)) AND state = 'pending'",
  );

  // next_attempt_at of a final job is when it ended: the age retention goes by (a range of deliveries_due, no extra index).
  const purgeFinal = db.prepare<[DeliveryState, number, number]>(
    "DELETE FROM deliveries WHERE n IN (SELECT n FROM deliveries WHERE state = ? AND next_attempt_at < ? ORDER BY next_attempt_at LIMIT ?)",
  );

  /** Jobs this process has claimed and not yet finished or released: row number -> job id. */
  const held = new Map<number, string>();
  const heldJson = () => (held.size === 0 ? "[]" : JSON.stringify([...held.keys()]));
  /** How many held jobs still have a pending row (one deleted under a held job no longer counts). */
  const heldStillPending = () => (held.size === 0 ? 0 : heldPending.get(heldJson())!.n);
  const withHeld = (r: DeliveryRow): Delivery => rowToDelivery(r, held.has(r.n) ? "in_flight" : r.state, readableSnapshot(r, parseSnapshot));
  /** A state filter over the rows plus the held set: held jobs are pending rows reported as in flight. */
  const stateFilter = (states: readonly DeliveryState[]): SqlPart => {
    const ors: SqlPart[] = [];
    const plain = states.filter((st) => st === "delivered" || st === "dead");
    if (plain.length > 0) ors.push(inList("state", plain));
    if (states.includes("pending")) ors.push({ sql: "(state = 'pending' AND n NOT IN (SELECT value FROM json_each(?)))", params: [heldJson()] });
    if (states.includes("in_flight")) ors.push({ sql: "(state = 'in_flight' OR n IN (SELECT value FROM json_each(?)))", params: [heldJson()] });
    if (ors.length === 0) return { sql: "0", params: [] };
    return { sql: `(${ors.map((o) => o.sql).join(" OR ")})`, params: ors.flatMap((o) => o.params) };
  };

  // Plain functions run inside the caller's transaction (the worker's round) without a savepoint each;
  // called on their own they get a transaction of their own.
  const inTransaction = <A extends unknown[], R>(fn: (...args: A) => R) => {
    const wrapped = db.transaction(fn);
    return (...args: A): R => (db.inTransaction ? fn(...args) : wrapped(...args));
  };

  // A read: the claimed jobs are held in memory, registered only once every row has been read back.
  const claim = (limit: number, busy?: ReadonlySet<string>): Delivery[] => {
    const now = deps.clock().getTime();
    const rows = due.all(now, busy && busy.size > 0 ? JSON.stringify([...busy]) : "[]", heldJson(), limit);
    const jobs: Delivery[] = [];
    for (const r of rows) {
      try {
        jobs.push(rowToDelivery(r, "in_flight", parseSnapshot(r.target)));
      } catch {
        unreadable.run(now, now, r.n);
        deps.onUnreadable?.({ id: r.id, targetId: r.target_id });
      }
    }
    for (const job of jobs) held.set(job.n, job.id);
    return jobs;
  };

  const finish = inTransaction((job: string | Pick<Delivery, "n">, a: DeliveryAttempt, next: Parameters<DeliveryStore["finish"]>[2]) => {
    const n = typeof job === "string" ? rowNumber.get(job)?.n : job.n;
    if (n === undefined) return; // the job is gone
    held.delete(n);
    const at = deps.clock().getTime();
    const status = a.status ?? null;
    if (next.state === "delivered" && a.outcome === "ok") {
      delivered.run(a.attempt, at, at, status, a.startedAt.getTime(), a.latencyMs, a.responseBody ?? null, n);
      return;
    }
    const error = next.state === "dead" ? next.reason : a.outcome === "ok" ? null : (a.error ?? a.outcome);
    const updated = update.run(next.state, a.attempt, next.state === "pending" ? next.at.getTime() : at, at, status, error, n);
    if (updated.changes === 0) return; // the job is gone
    insertAttempt.run(n, a.attempt, a.startedAt.getTime(), a.latencyMs, a.outcome, status, a.error ?? null, a.responseBody ?? null);
  });

  return {
    enqueue(job) {
      const id = deps.newId();
      const at = deps.clock().getTime();
      insert.run(
        id,
        job.kind,
        job.executionId,
        job.target.id,
        JSON.stringify(job.target),
        deps.secrets && job.kind === "async" ? deps.secrets.seal(job.payload, deliveryPayloadAad(id)) : job.payload,
        job.eventType ?? null,
        job.eventPosition ?? null,
        job.orderingKey ?? null,
        at,
        at,
        at,
      );
      return id;
    },
    claim,
    finish: (job, a, next) => finish(job, a, next),
    releaseInFlight(ids) {
      if (!ids) {
        const count = held.size;
        held.clear();
        return count + db.prepare("UPDATE deliveries SET state = 'pending', updated_at = ? WHERE state = 'in_flight'").run(deps.clock().getTime()).changes;
      }
      // Only this process's claims: rows an older version marked in flight are all released at start-up.
      const wanted = new Set(ids);
      let count = 0;
      for (const [n, id] of held) {
        if (!wanted.has(id)) continue;
        held.delete(n);
        count++;
      }
      return count;
    },
    get(id) {
      const row = byId.get(id);
      if (!row) return undefined;
      const attemptLog = attemptsOf.all(row.n).map(rowToAttempt);
      const success = successAttempt(row);
      if (success) attemptLog.push(success);
      return { ...withHeld(row), attemptLog };
    },
    list(q) {
      const parts: SqlPart[] = [];
      if (q.targetId !== undefined) parts.push({ sql: "target_id = ?", params: [q.targetId] });
      if (q.states && q.states.length > 0) parts.push(stateFilter(q.states));
      if (q.eventType !== undefined) parts.push({ sql: "event_type = ?", params: [q.eventType] });
      if (q.createdFrom) parts.push({ sql: "created_at >= ?", params: [q.createdFrom.getTime()] });
      if (q.createdTo) parts.push({ sql: "created_at < ?", params: [q.createdTo.getTime()] });
      const where = and(parts);
      const total = (db.prepare(`SELECT COUNT(*) AS n FROM deliveries WHERE ${where.sql}`).get(...where.params) as { n: number }).n;
      const dir = q.page.asc ? "ASC" : "DESC";
      const rows = db.prepare(`SELECT * FROM deliveries WHERE ${where.sql} ORDER BY n ${dir} LIMIT ? OFFSET ?`).all(...where.params, q.page.limit, q.page.offset) as DeliveryRow[];
      return { total, items: rows.map(withHeld) };
    },
    retry(id) {
      const at = deps.clock().getTime();
      const n = rowNumber.get(id)?.n;
      if (n !== undefined && held.has(n)) return false; // in flight
      return db.prepare("UPDATE deliveries SET state = 'pending', next_attempt_at = ?, updated_at = ? WHERE id = ? AND state IN ('dead', 'pending')").run(at, at, id).changes === 1;
    },
    retryDead(filter) {
      const at = deps.clock().getTime();
      const parts: SqlPart[] = [{ sql: "state = 'dead'", params: [] }];
      if (filter.targetId !== undefined) parts.push({ sql: "target_id = ?", params: [filter.targetId] });
      if (filter.from) parts.push({ sql: "created_at >= ?", params: [filter.from.getTime()] });
      if (filter.to) parts.push({ sql: "created_at < ?", params: [filter.to.getTime()] });
      const where = and(parts);
      return db.prepare(`UPDATE deliveries SET state = 'pending', next_attempt_at = ?, updated_at = ? WHERE ${where.sql}`).run(at, at, ...where.params).changes;
    },
    stats() {
      const counts = Object.fromEntries(
        (db.prepare("SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state").all() as { state: DeliveryState; n: number }[]).map((r) => [r.state, r.n]),
      ) as Partial<Record<DeliveryState, number>>;
      const oldest = nextDue.get(heldJson())?.at;
      const now = deps.clock().getTime();
      const inMemory = heldStillPending();
      return {
        pending: (counts.pending ?? 0) - inMemory,
        inFlight: (counts.in_flight ?? 0) + inMemory,
        delivered: counts.delivered ?? 0,
        dead: counts.dead ?? 0,
        oldestDueMs: oldest != null && oldest <= now ? now - oldest : 0,
      };
    },
    nextDueAt() {
      const at = nextDue.get(heldJson())?.at;
      return at == null ? undefined : new Date(at);
    },
    purge(state, before, limit) {
      return purgeFinal.run(state, before.getTime(), limit).changes;
    },
    queueDepth() {
      const depth = { pending: 0, inFlight: 0, dead: 0 };
      for (const r of openCounts.all()) {
        if (r.state === "in_flight") depth.inFlight = r.n;
        else if (r.state === "pending" || r.state === "dead") depth[r.state] = r.n;
      }
      const inMemory = heldStillPending();
      depth.pending -= inMemory;
      depth.inFlight += inMemory;
      return depth;
    },
  };
}
