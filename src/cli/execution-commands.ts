import type { Db } from "../store/db.js";
import type { ExecutionStore } from "../store/execution-store.js";
import type { TargetStore } from "../store/target-store.js";
import type { Actor } from "../domain/events.js";
import type { TargetType } from "../domain/target.js";
import type { ClearSelection } from "./admin-args.js";

/** The creator recorded on the events the admin tool writes. */
export const ADMIN_CLI_ACTOR: Actor = { userId: "tether-admin-cli" };

/** One target of a listed execution; only the id when the target no longer exists. */
export interface ListedTarget {
  id: string;
  name?: string;
  type?: TargetType;
  interruptOnError?: boolean;
  endpoint?: string;
}

/** One execution as `executions list` shows it. */
export interface ListedExecution {
  /** The execution id, which is also what `executions clear` takes. */
  condition: string;
  /** In call order. */
  targets: ListedTarget[];
  changedAt: string;
}

/** Every execution with at least one target, sorted by condition, with its targets' names and endpoints. */
export function listExecutions(deps: { executions: ExecutionStore; targets: Pick<TargetStore, "find"> }): ListedExecution[] {
  return deps.executions
    .all()
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((e) => ({
      condition: e.id,
      targets: e.targets.map((id) => {
        const t = deps.targets.find(id);
        return t ? { id, name: t.name, type: t.type, interruptOnError: t.interruptOnError, endpoint: t.endpoint } : { id };
      }),
      changedAt: e.changedAt.toISOString(),
    }));
}

/** Renders a listing: one block per execution (its condition, then one indented line per target), or JSON. */
export function formatExecutions(list: readonly ListedExecution[], json: boolean): string {
  if (json) return `${JSON.stringify({ executions: list }, null, 2)}\n`;
  if (list.length === 0) return "no executions\n";
  const lines = [`${list.length} execution${list.length === 1 ? "" : "s"}:`];
  for (const e of list) {
    lines.push(`${e.condition}  (changed ${e.changedAt})`);
    e.targets.forEach((t, i) => lines.push(`  ${i + 1}. ${describeTarget(t)}`));
  }
  return `${lines.join("\n")}\n`;
}

function describeTarget(t: ListedTarget): string {
  if (t.name === undefined) return `target ${t.id} (missing)`;
  const interrupt = t.interruptOnError ? ", interrupts on error" : "";
  return `${t.name} [${t.type}${interrupt}] ${t.endpoint} (id ${t.id})`;
}

/** The result of {@link clearExecutions}: the conditions cleared, or the named ones that are not set (nothing changed). */
export type ClearResult = { ok: true; cleared: string[] } | { ok: false; notSet: string[] };

/**
 * Removes executions through the execution store (one `execution.removed` event each) in one transaction:
 * every named condition must be set, or nothing is cleared.
 */
export function clearExecutions(deps: { db: Db; executions: ExecutionStore }, selection: ClearSelection, actor: Actor = ADMIN_CLI_ACTOR): ClearResult {
  return deps.db.transaction((): ClearResult => {
    const set = deps.executions.all().map((e) => e.id);
    const ids = selection.all ? set : [...selection.conditions];
    const notSet = ids.filter((id) => !set.includes(id));
    if (notSet.length > 0) return { ok: false, notSet };
    for (const id of ids) deps.executions.set(id, [], actor);
    return { ok: true, cleared: ids.sort() };
  })();
}

/** Renders the outcome of a clear for the terminal. */
export function formatClearResult(result: ClearResult): string {
  if (!result.ok) {
    const names = result.notSet.map((c) => JSON.stringify(c)).join(", ");
    return `no execution is set for ${names}; nothing was cleared (see executions list)\n`;
  }
  if (result.cleared.length === 0) return "no executions to clear\n";
  const lines = result.cleared.map((c) => `cleared ${c}`);
  lines.push("A running server uses the change on its next RPC.");
  return `${lines.join("\n")}\n`;
}
