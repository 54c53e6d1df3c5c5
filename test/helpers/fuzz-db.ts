// Reads the server's SQLite file read-only and lists every broken invariant of the stored state.
import Database from "better-sqlite3";
import { checkTargetName, checkTimeoutMs, codePoints, MAX_ENDPOINT_LENGTH } from "../../src/domain/target.js";
import { checkEndpointUrl } from "../../src/net/address-policy.js";

interface TargetRow {
  id: string;
  name: string;
  name_key: string;
  endpoint: string;
  timeout_ms: number;
  target_type: string;
  interrupt_on_error: number;
}

/** Returns the problems found (empty when the database is consistent); `dev` is the server's development mode. */
export function databaseProblems(path: string, dev = false): string[] {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const problems: string[] = [];
    const all = <T>(sql: string) => db.prepare(sql).all() as T[];
    const integrity = db.pragma("integrity_check", { simple: true });
    if (integrity !== "ok") problems.push(`integrity_check: ${String(integrity)}`);
    for (const fk of all<{ table: string; parent: string }>("PRAGMA foreign_key_check")) problems.push(`orphan row in ${fk.table} (missing ${fk.parent})`);

    for (const r of all<{ execution_id: string; target_id: string }>(
      "SELECT execution_id, target_id FROM execution_targets WHERE target_id NOT IN (SELECT id FROM targets) OR execution_id NOT IN (SELECT id FROM executions)",
    ))
      problems.push(`execution ${r.execution_id} references missing target ${r.target_id} (or is itself missing)`);
    for (const r of all<{ execution_id: string; target_id: string }>("SELECT execution_id, target_id FROM execution_targets GROUP BY execution_id, target_id HAVING COUNT(*) > 1"))
      problems.push(`execution ${r.execution_id} lists target ${r.target_id} twice`);

    for (const r of all<{ target_id: string; n: number }>("SELECT target_id, COUNT(*) AS n FROM public_keys WHERE active = 1 GROUP BY target_id HAVING n > 1"))
      problems.push(`target ${r.target_id} has ${r.n} active public keys`);
    for (const r of all<{ target_id: string }>("SELECT target_id FROM public_keys WHERE target_id NOT IN (SELECT id FROM targets)")) problems.push(`public key of missing target ${r.target_id}`);
    for (const r of all<{ target_id: string }>("SELECT target_id FROM target_signing_keys WHERE target_id NOT IN (SELECT id FROM targets)")) problems.push(`signing key of missing target ${r.target_id}`);
    for (const r of all<{ id: string; n: number }>("SELECT t.id, (SELECT COUNT(*) FROM target_signing_keys k WHERE k.target_id = t.id AND k.expires_at IS NULL) AS n FROM targets t"))
      if (r.n !== 1) problems.push(`target ${r.id} has ${r.n} current signing keys`);
    for (const r of all<{ n: number }>("SELECT delivery_n AS n FROM delivery_attempts WHERE delivery_n NOT IN (SELECT n FROM deliveries)")) problems.push(`attempt of missing delivery ${r.n}`);

    for (const t of all<TargetRow>("SELECT * FROM targets")) problems.push(...targetProblems(t, dev));
    problems.push(...eventProblems(all));
    return problems;
  } finally {
    db.close();
  }
}

// A stored target must be one that validation would accept again.
function targetProblems(t: TargetRow, dev: boolean): string[] {
  const problems: string[] = [];
  const check = (what: string, f: () => unknown) => {
    try {
      f();
    } catch (e) {
      problems.push(`target ${t.id} ${what}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  check("name", () => checkTargetName("name", t.name));
  check("timeout", () => checkTimeoutMs("timeout", t.timeout_ms));
  if (t.name_key !== t.name.toLowerCase()) problems.push(`target ${t.id} name_key is not its lower-cased name`);
  if (codePoints(t.endpoint) > MAX_ENDPOINT_LENGTH || t.endpoint === "") problems.push(`target ${t.id} endpoint length out of range`);
  const endpoint = checkEndpointUrl(t.endpoint, { dev });
  if (!endpoint.ok) problems.push(`target ${t.id} endpoint ${JSON.stringify(t.endpoint)}: ${endpoint.problem}`);
  if (t.target_type === "async" && t.interrupt_on_error !== 0) problems.push(`async target ${t.id} interrupts on error`);
  return problems;
}

// Every state change wrote its event: a live target's stream starts with target.added and does not end removed.
function eventProblems(all: <T>(sql: string) => T[]): string[] {
  const problems: string[] = [];
  const streams = all<{ aggregate_id: string; first: string; last: string; n: number; maxseq: number; live: number }>(
    `SELECT e.aggregate_id,
       (SELECT event_type FROM events WHERE aggregate_type = 'target' AND aggregate_id = e.aggregate_id ORDER BY sequence ASC LIMIT 1) AS first,
       (SELECT event_type FROM events WHERE aggregate_type = 'target' AND aggregate_id = e.aggregate_id ORDER BY sequence DESC LIMIT 1) AS last,
       COUNT(*) AS n, MAX(sequence) AS maxseq,
       EXISTS (SELECT 1 FROM targets WHERE id = e.aggregate_id) AS live
     FROM events e WHERE e.aggregate_type = 'target' GROUP BY e.aggregate_id`,
  );
  for (const s of streams) {
    if (s.n !== s.maxseq) problems.push(`target ${s.aggregate_id} event sequence has gaps`);
    if (s.first !== "target.added") problems.push(`target ${s.aggregate_id} events start with ${s.first}`);
    if (s.live && s.last === "target.removed") problems.push(`live target ${s.aggregate_id} has a removal as its last event`);
    if (!s.live && s.last !== "target.removed") problems.push(`deleted target ${s.aggregate_id} has no removal event`);
  }
  for (const r of all<{ id: string }>("SELECT id FROM targets WHERE id NOT IN (SELECT aggregate_id FROM events WHERE aggregate_type = 'target')"))
    problems.push(`target ${r.id} has no events`);
  return problems;
}
