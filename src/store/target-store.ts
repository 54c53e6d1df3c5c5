import type { Db } from "./db.js";
import type { EventLog } from "./event-log.js";
import type { Clock } from "../domain/clock.js";
import type { Actor } from "../domain/events.js";
import type { NewTarget, PayloadType, Target, TargetPatch, TargetType } from "../domain/target.js";
import type { Paged, TargetQuery, TargetSort } from "../domain/queries.js";
import { alreadyExists, notFound } from "../domain/errors.js";
import { targetNameKey } from "../domain/target.js";
import { and, inList, textMatch, type SqlPart } from "./sql.js";

/** Seals and opens secrets under the master key. */
export interface Sealer {
  seal(plaintext: string, aad: string): string;
  open(sealed: string, aad: string): string;
}

/** Dependencies of {@link createTargetStore}. */
export interface TargetStoreDeps {
  clock: Clock;
  newId: () => string;
  events: EventLog;
  secrets: Sealer;
  /** A fresh signing key (36 alphanumeric characters). */
  newSigningKey: () => string;
}

/** Targets and their signing keys. */
export interface TargetStore {
  create(input: NewTarget, actor: Actor): { target: Target; signingKey: string };
  /** Applies a patch; `signingKey` is set when the key was rotated. NOT_FOUND when missing. */
  update(id: string, patch: TargetPatch, actor: Actor): { changedAt: Date; signingKey?: string };
  /** Deletes a target, its keys and its place in every execution; undefined when it did not exist. */
  delete(id: string, actor: Actor): Date | undefined;
  /** NOT_FOUND when missing. */
  get(id: string): Target;
  find(id: string): Target | undefined;
  list(query: TargetQuery): Paged<Target>;
  /** The ids among `ids` that do not exist. */
  missing(ids: readonly string[]): string[];
  /** Signing keys valid at `now`, newest first (the current one, then those still in a grace period). */
  signingKeys(id: string, now: Date): string[];
  /** The same keys still sealed, for delivery jobs that must not hold them in clear. */
  sealedSigningKeys(id: string, now: Date): string[];
  /** Opens a key sealed for `targetId` (see {@link sealedSigningKeys}). */
  openSigningKey(targetId: string, sealed: string): string;
}

interface TargetRow {
  id: string;
  name: string;
  target_type: TargetType;
  interrupt_on_error: number;
  endpoint: string;
  timeout_ms: number;
  payload_type: PayloadType;
  created_at: number;
  changed_at: number;
}

const SORT_COLUMNS: Record<TargetSort, string> = {
  id: "id",
  created: "created_at",
  changed: "changed_at",
  name: "name",
  type: "target_type",
  endpoint: "endpoint",
  timeout: "timeout_ms",
  interrupt: "interrupt_on_error",
};

const aad = (targetId: string) => `target-signing-key:${targetId}`;

function rowToTarget(r: TargetRow): Target {
  return {
    id: r.id,
    name: r.name,
    type: r.target_type,
    interruptOnError: r.interrupt_on_error === 1,
    endpoint: r.endpoint,
    timeoutMs: r.timeout_ms,
    payloadType: r.payload_type,
    createdAt: new Date(r.created_at),
    changedAt: new Date(r.changed_at),
  };
}

function isUniqueViolation(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE";
}

/** Creates the target store. Every change writes its event in the same transaction. */
export function createTargetStore(db: Db, deps: TargetStoreDeps): TargetStore {
  const byId = db.prepare<[string], TargetRow>("SELECT * FROM targets WHERE id = ?");
  const insertTarget = db.prepare(
    `INSERT INTO targets (id, name, name_key, target_type, interrupt_on_error, endpoint, timeout_ms, payload_type, created_at, changed_at)
     VALUES (@id, @name, @nameKey, @type, @interrupt, @endpoint, @timeoutMs, @payloadType, @at, @at)`,
  );
  const insertKey = db.prepare("INSERT INTO target_signing_keys (target_id, key_enc, created_at) VALUES (?, ?, ?)");
  const retireKeys = db.prepare("UPDATE target_signing_keys SET expires_at = ? WHERE target_id = ? AND expires_at IS NULL");
  const deleteKeys = db.prepare("DELETE FROM target_signing_keys WHERE target_id = ?");
  const dropExpiredKeys = db.prepare("DELETE FROM target_signing_keys WHERE target_id = ? AND expires_at IS NOT NULL AND expires_at <= ?");
  const allKeys = db.prepare<[string], { key_enc: string; expires_at: number | null }>(
    "SELECT key_enc, expires_at FROM target_signing_keys WHERE target_id = ? ORDER BY id DESC",
  );
  const dataVersion = db.prepare("PRAGMA data_version").pluck();
  // Opened keys per target: every target call needs them, and reading + opening costs ~100 µs.
  // Cleared when this store rotates or deletes, and when another connection wrote (data_version).
  // `key` is opened on first use, so callers that need only the sealed form (the outbox, the admin CLI
  // without a master key) never open anything.
  const opened = new Map<string, Array<{ key?: string; sealed: string; expiresAt: number | null }>>();
  let openedVersion: unknown;
  const openedSealed = new Map<string, string>();
  const MAX_OPENED = 10_000;
  function openedKeys(id: string) {
    const v = dataVersion.get();
    if (v !== openedVersion) {
      opened.clear();
      openedVersion = v;
    }
    let keys = opened.get(id);
    if (!keys) {
      keys = allKeys.all(id).map((r) => ({ sealed: r.key_enc, expiresAt: r.expires_at }));
      if (opened.size >= MAX_OPENED) opened.clear();
      opened.set(id, keys);
    }
    return keys;
  }
  const affectedExecutions = db.prepare<[string], { execution_id: string }>(
    "SELECT DISTINCT execution_id FROM execution_targets WHERE target_id = ?",
  );
  const deleteTarget = db.prepare("DELETE FROM targets WHERE id = ?");
  const touchExecution = db.prepare("UPDATE executions SET changed_at = ? WHERE id = ?");

  function newKey(targetId: string, at: Date): string {
    const key = deps.newSigningKey();
    insertKey.run(targetId, deps.secrets.seal(key, aad(targetId)), at.getTime());
    return key;
  }

  const create = db.transaction((input: NewTarget, actor: Actor) => {
    const at = deps.clock();
    const id = deps.newId();
    try {
      insertTarget.run({
        id,
        name: input.name,
        nameKey: targetNameKey(input.name),
        type: input.type,
        interrupt: input.interruptOnError ? 1 : 0,
        endpoint: input.endpoint,
        timeoutMs: input.timeoutMs,
        payloadType: input.payloadType,
        at: at.getTime(),
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw alreadyExists("target.already_exists", `name: a target named ${JSON.stringify(input.name)} already exists`);
      throw e;
    }
    const signingKey = newKey(id, at);
    const target = rowToTarget(byId.get(id)!);
    deps.events.append({
      type: "target.added",
      aggregateType: "target",
      aggregateId: id,
      actor,
      createdAt: at,
      payload: { name: target.name, targetType: target.type, interruptOnError: target.interruptOnError, endpoint: target.endpoint, timeoutMs: target.timeoutMs, payloadType: target.payloadType },
    });
    return { target, signingKey };
  });

  const update = db.transaction((id: string, patch: TargetPatch, actor: Actor) => {
    const row = byId.get(id);
    if (!row) throw notFound("target.not_found", `target ${JSON.stringify(id)} not found`);
    const before = rowToTarget(row);
    const changes: Record<string, unknown> = {};
    const sets: string[] = [];
    const params: Record<string, unknown> = { id };
    const change = (field: string, column: string, value: unknown, stored: unknown) => {
      changes[field] = value;
      sets.push(`${column} = @${field}`);
      params[field] = stored;
    };
    if (patch.name !== undefined && patch.name !== before.name) {
      change("name", "name", patch.name, patch.name);
      sets.push("name_key = @nameKey");
      params.nameKey = targetNameKey(patch.name);
    }
    if (patch.kind && patch.kind.type !== before.type) change("targetType", "target_type", patch.kind.type, patch.kind.type);
    if (patch.kind && patch.kind.interruptOnError !== before.interruptOnError)
      change("interruptOnError", "interrupt_on_error", patch.kind.interruptOnError, patch.kind.interruptOnError ? 1 : 0);
    if (patch.endpoint !== undefined && patch.endpoint !== before.endpoint) change("endpoint", "endpoint", patch.endpoint, patch.endpoint);
    if (patch.timeoutMs !== undefined && patch.timeoutMs !== before.timeoutMs) change("timeoutMs", "timeout_ms", patch.timeoutMs, patch.timeoutMs);
    if (patch.payloadType !== undefined && patch.payloadType !== before.payloadType)
      change("payloadType", "payload_type", patch.payloadType, patch.payloadType);
    if (sets.length === 0 && !patch.rotateSigningKey) return { changedAt: before.changedAt };

    const at = deps.clock();
    params.at = at.getTime();
    try {
      db.prepare(`UPDATE targets SET ${[...sets, "changed_at = @at"].join(", ")} WHERE id = @id`).run(params);
    } catch (e) {
      if (isUniqueViolation(e)) throw alreadyExists("target.already_exists", `name: a target named ${JSON.stringify(patch.name)} already exists`);
      throw e;
    }
    let signingKey: string | undefined;
    if (patch.rotateSigningKey) {
      // 0s: every previous key stops at once; otherwise the current one gets a deadline and
      // keys whose earlier grace already ran out are dropped.
      if (patch.rotateSigningKey.graceMs === 0) deleteKeys.run(id);
      else {
        dropExpiredKeys.run(id, at.getTime());
        retireKeys.run(at.getTime() + patch.rotateSigningKey.graceMs, id);
      }
      signingKey = newKey(id, at);
      changes.signingKeyRotated = true;
      changes.previousKeyGraceMs = patch.rotateSigningKey.graceMs;
    }
    opened.delete(id);
    deps.events.append({ type: "target.changed", aggregateType: "target", aggregateId: id, actor, createdAt: at, payload: changes });
    return signingKey === undefined ? { changedAt: at } : { changedAt: at, signingKey };
  });

  const remove = db.transaction((id: string, actor: Actor) => {
    if (!byId.get(id)) return undefined;
    const at = deps.clock();
    const executions = affectedExecutions.all(id).map((r) => r.execution_id);
    opened.delete(id);
    deleteTarget.run(id); // cascades to keys, public keys and execution_targets (gaps in positions keep the order)
    for (const executionId of executions) {
      touchExecution.run(at.getTime(), executionId);
    }
    deps.events.append({ type: "target.removed", aggregateType: "target", aggregateId: id, actor, createdAt: at, payload: { executions } });
    return at;
  });

  return {
    create: (input, actor) => create(input, actor),
    update: (id, patch, actor) => update(id, patch, actor),
    delete: (id, actor) => remove(id, actor),
    find(id) {
      const row = byId.get(id);
      return row && rowToTarget(row);
    },
    get(id) {
      const row = byId.get(id);
      if (!row) throw notFound("target.not_found", `target ${JSON.stringify(id)} not found`);
      return rowToTarget(row);
    },
    list(query) {
      const where = and(
        query.filters.map((f): SqlPart => (f.by === "name" ? textMatch("name", "name_key", f.method, f.value) : inList("id", f.ids))),
      );
      const total = (db.prepare(`SELECT COUNT(*) AS n FROM targets WHERE ${where.sql}`).get(...where.params) as { n: number }).n;
      const dir = query.page.asc ? "ASC" : "DESC";
      const rows = db
        .prepare(`SELECT * FROM targets WHERE ${where.sql} ORDER BY ${SORT_COLUMNS[query.sort]} ${dir}, id ${dir} LIMIT ? OFFSET ?`)
        .all(...where.params, query.page.limit, query.page.offset) as TargetRow[];
      return { total, items: rows.map(rowToTarget) };
    },
    missing(ids) {
      if (ids.length === 0) return [];
      const part = inList("id", ids);
      const found = new Set((db.prepare(`SELECT id FROM targets WHERE ${part.sql}`).all(...part.params) as { id: string }[]).map((r) => r.id));
      return ids.filter((id) => !found.has(id));
    },
    signingKeys(id, now) {
      const t = now.getTime();
      return openedKeys(id)
        .filter((k) => k.expiresAt === null || k.expiresAt > t)
        .map((k) => (k.key ??= deps.secrets.open(k.sealed, aad(id))));
    },
    sealedSigningKeys(id, now) {
      // From the same cache as signingKeys: the outbox asks once per event and target.
      const t = now.getTime();
      return openedKeys(id)
        .filter((k) => k.expiresAt === null || k.expiresAt > t)
        .map((k) => k.sealed);
    },
    openSigningKey(targetId, sealed) {
      // Delivery jobs carry sealed keys; most jobs of a target share the same ones.
      const cacheKey = `${targetId}\u0000${sealed}`;
      let key = openedSealed.get(cacheKey);
      if (key === undefined) {
        key = deps.secrets.open(sealed, aad(targetId));
        if (openedSealed.size >= MAX_OPENED) openedSealed.clear();
        openedSealed.set(cacheKey, key);
      }
      return key;
    },
  };
}
