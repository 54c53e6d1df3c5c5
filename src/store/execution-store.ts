import type { Db } from "./db.js";
import type { EventLog } from "./event-log.js";
import type { Clock } from "../domain/clock.js";
import type { Actor } from "../domain/events.js";
import type { ExecutionQuery, ExecutionSort, Paged } from "../domain/queries.js";
import { notFound } from "../domain/errors.js";
import { and, inList, type SqlPart } from "./sql.js";

/** A stored execution: its id (derived from the condition) and ordered target ids. */
export interface ExecutionRecord {
  id: string;
  targets: string[];
  createdAt: Date;
  changedAt: Date;
}

/** Executions and their ordered targets. */
export interface ExecutionStore {
  /**
   * Replaces the ordered targets of an execution (empty clears it). An identical list changes nothing
   * and returns the previous change time. Unknown targets are NOT_FOUND.
   */
  set(id: string, targetIds: readonly string[], actor: Actor): Date;
  /** Executions with at least one target. */
  list(query: ExecutionQuery): Paged<ExecutionRecord>;
  /** Every execution with at least one target (for building the in-memory router). */
  all(): ExecutionRecord[];
}

interface ExecRow {
  id: string;
  created_at: number;
  changed_at: number;
  targets: string | null;
}

const SORT_COLUMNS: Record<ExecutionSort, string> = { id: "id", created: "created_at", changed: "changed_at" };
const HAS_TARGETS = "EXISTS (SELECT 1 FROM execution_targets t WHERE t.execution_id = e.id)";
// json_group_array over an ordered subquery keeps the call order.
const SELECT = `SELECT e.id, e.created_at, e.changed_at,
  (SELECT json_group_array(target_id) FROM (SELECT target_id FROM execution_targets WHERE execution_id = e.id ORDER BY position)) AS targets
  FROM executions e`;

function rowToExecution(r: ExecRow): ExecutionRecord {
  return { id: r.id, targets: r.targets ? (JSON.parse(r.targets) as string[]) : [], createdAt: new Date(r.created_at), changedAt: new Date(r.changed_at) };
}

/** Creates the execution store. Every change writes its event in the same transaction. */
export function createExecutionStore(db: Db, deps: { clock: Clock; events: EventLog }): ExecutionStore {
  const byId = db.prepare<[string], ExecRow>(`${SELECT} WHERE e.id = ?`);
  const insertExec = db.prepare("INSERT INTO executions (id, created_at, changed_at) VALUES (?, ?, ?)");
  const touch = db.prepare("UPDATE executions SET changed_at = ? WHERE id = ?");
  const clear = db.prepare("DELETE FROM execution_targets WHERE execution_id = ?");
  const insertTarget = db.prepare("INSERT INTO execution_targets (execution_id, position, target_id) VALUES (?, ?, ?)");

  const set = db.transaction((id: string, targetIds: readonly string[], actor: Actor) => {
    const existing = byId.get(id);
    const current = existing ? rowToExecution(existing) : undefined;
    if (current && sameList(current.targets, targetIds)) return current.changedAt;
    if (!current && targetIds.length === 0) return deps.clock(); // nothing to clear
    if (targetIds.length > 0) {
      const part = inList("id", targetIds);
      const found = new Set((db.prepare(`SELECT id FROM targets WHERE ${part.sql}`).all(...part.params) as { id: string }[]).map((r) => r.id));
      const missing = targetIds.filter((t) => !found.has(t));
      if (missing.length > 0) throw notFound("target.not_found", `targets: target ${JSON.stringify(missing[0])} not found`);
    }
    const at = deps.clock();
    if (current) touch.run(at.getTime(), id);
    else insertExec.run(id, at.getTime(), at.getTime());
    clear.run(id);
    targetIds.forEach((t, i) => insertTarget.run(id, i, t));
    deps.events.append({
      type: targetIds.length === 0 ? "execution.removed" : "execution.set",
      aggregateType: "execution",
      aggregateId: id,
      actor,
      createdAt: at,
      payload: { targets: [...targetIds] },
    });
    return at;
  });

  return {
    set: (id, targets, actor) => set(id, targets, actor),
    list(query) {
      const parts: SqlPart[] = [{ sql: HAS_TARGETS, params: [] }];
      for (const f of query.filters) {
        if (f.by === "ids") parts.push(inList("e.id", f.ids));
        else if (f.by === "kind") parts.push({ sql: "e.id = ? OR substr(e.id, 1, length(?) + 1) = ? || '/'", params: [f.kind, f.kind, f.kind] });
        else parts.push({ sql: "EXISTS (SELECT 1 FROM execution_targets t WHERE t.execution_id = e.id AND t.target_id = ?)", params: [f.targetId] });
      }
      const where = and(parts);
      const total = (db.prepare(`SELECT COUNT(*) AS n FROM executions e WHERE ${where.sql}`).get(...where.params) as { n: number }).n;
      const dir = query.page.asc ? "ASC" : "DESC";
      const rows = db
        .prepare(`${SELECT} WHERE ${where.sql} ORDER BY e.${SORT_COLUMNS[query.sort]} ${dir}, e.id ${dir} LIMIT ? OFFSET ?`)
        .all(...where.params, query.page.limit, query.page.offset) as ExecRow[];
      return { total, items: rows.map(rowToExecution) };
    },
    all() {
      return (db.prepare(`${SELECT} WHERE ${HAS_TARGETS}`).all() as ExecRow[]).map(rowToExecution);
    },
  };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
