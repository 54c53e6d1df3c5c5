import type { Db } from "./db.js";
import type { EventLog } from "./event-log.js";
import type { Clock } from "../domain/clock.js";
import type { Actor } from "../domain/events.js";
import type { Paged, PublicKeyQuery, PublicKeySort } from "../domain/queries.js";
import type { ParsedPublicKey } from "../domain/public-key.js";
import { failedPrecondition, invalidArgument, notFound } from "../domain/errors.js";
import { and, inList, timeMatch, type SqlPart } from "./sql.js";

/** A stored public key of a target. */
export interface PublicKeyRecord {
  id: string;
  targetId: string;
  pem: string;
  fingerprint: string;
  keyType: "rsa" | "ec";
  active: boolean;
  expiresAt?: Date;
  createdAt: Date;
  changedAt: Date;
}

/** Public keys used to encrypt JWE payloads; at most one active per target. */
export interface PublicKeyStore {
  add(targetId: string, key: ParsedPublicKey, expiresAt: Date | undefined, actor: Actor): { id: string; createdAt: Date };
  activate(targetId: string, keyId: string, actor: Actor): Date;
  deactivate(targetId: string, keyId: string, actor: Actor): Date;
  /** Removes an inactive key; undefined when the target or key did not exist. */
  remove(targetId: string, keyId: string, actor: Actor): Date | undefined;
  list(targetId: string, query: PublicKeyQuery): Paged<PublicKeyRecord>;
  /** The active key usable at `now` (not expired), if any. */
  activeKey(targetId: string, now: Date): PublicKeyRecord | undefined;
  /** One key, whatever its state. */
  find(targetId: string, keyId: string): PublicKeyRecord | undefined;
}

interface KeyRow {
  id: string;
  target_id: string;
  pem: Buffer;
  fingerprint: string;
  key_type: "rsa" | "ec";
  active: number;
  expires_at: number | null;
  created_at: number;
  changed_at: number;
}

const SORT_COLUMNS: Record<PublicKeySort, string> = { created: "created_at", changed: "changed_at", expiration: "expires_at" };

function rowToKey(r: KeyRow): PublicKeyRecord {
  const key: PublicKeyRecord = {
    id: r.id,
    targetId: r.target_id,
    pem: r.pem.toString("utf8"),
    fingerprint: r.fingerprint,
    keyType: r.key_type,
    active: r.active === 1,
    createdAt: new Date(r.created_at),
    changedAt: new Date(r.changed_at),
  };
  if (r.expires_at !== null) key.expiresAt = new Date(r.expires_at);
  return key;
}

/** Creates the public-key store. Missing targets or keys are NOT_FOUND (Tether decision §3). */
export function createPublicKeyStore(db: Db, deps: { clock: Clock; newId: () => string; events: EventLog }): PublicKeyStore {
  const targetExists = db.prepare<[string], { id: string }>("SELECT id FROM targets WHERE id = ?");
  const byId = db.prepare<[string, string], KeyRow>("SELECT * FROM public_keys WHERE target_id = ? AND id = ?");
  const insert = db.prepare(
    `INSERT INTO public_keys (id, target_id, pem, fingerprint, key_type, active, expires_at, created_at, changed_at)
     VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)`,
  );
  const setActive = db.prepare("UPDATE public_keys SET active = ?, changed_at = ? WHERE id = ?");
  const deactivateOthers = db.prepare("UPDATE public_keys SET active = 0, changed_at = ? WHERE target_id = ? AND active = 1 AND id <> ?");
  const del = db.prepare("DELETE FROM public_keys WHERE id = ?");
  const active = db.prepare<[string, number], KeyRow>(
    "SELECT * FROM public_keys WHERE target_id = ? AND active = 1 AND (expires_at IS NULL OR expires_at > ?)",
  );
  const touchTarget = db.prepare("UPDATE targets SET changed_at = ? WHERE id = ?");

  function requireKey(targetId: string, keyId: string): KeyRow {
    if (!targetExists.get(targetId)) throw notFound("target.not_found", `target ${JSON.stringify(targetId)} not found`);
    const row = byId.get(targetId, keyId);
    if (!row) throw notFound("public_key.not_found", `public key ${JSON.stringify(keyId)} not found on target ${JSON.stringify(targetId)}`);
    return row;
  }

  function record(type: string, targetId: string, keyId: string, actor: Actor, at: Date, extra: Record<string, unknown> = {}) {
    deps.events.append({ type, aggregateType: "target", aggregateId: targetId, actor, createdAt: at, payload: { keyId, ...extra } });
  }

  const add = db.transaction((targetId: string, key: ParsedPublicKey, expiresAt: Date | undefined, actor: Actor) => {
    if (!targetExists.get(targetId)) throw notFound("target.not_found", `target ${JSON.stringify(targetId)} not found`);
    const at = deps.clock();
    if (expiresAt && expiresAt.getTime() <= at.getTime()) throw invalidArgument("expiration_date", "must be in the future");
    const id = deps.newId();
    insert.run(id, targetId, Buffer.from(key.pem, "utf8"), key.fingerprint, key.keyType, expiresAt?.getTime() ?? null, at.getTime(), at.getTime());
    record("target.public_key.added", targetId, id, actor, at, { fingerprint: key.fingerprint, expirationDate: expiresAt?.toISOString() });
    return { id, createdAt: at };
  });

  const activate = db.transaction((targetId: string, keyId: string, actor: Actor) => {
    const row = requireKey(targetId, keyId);
    if (row.active === 1) return new Date(row.changed_at);
    const at = deps.clock();
    if (row.expires_at !== null && row.expires_at <= at.getTime())
      throw failedPrecondition("public_key.expired", `public key ${JSON.stringify(keyId)} has expired and cannot be activated`);
    deactivateOthers.run(at.getTime(), targetId, keyId);
    setActive.run(1, at.getTime(), keyId);
    touchTarget.run(at.getTime(), targetId);
    record("target.public_key.activated", targetId, keyId, actor, at);
    return at;
  });

  const deactivate = db.transaction((targetId: string, keyId: string, actor: Actor) => {
    const row = requireKey(targetId, keyId);
    if (row.active === 0) return new Date(row.changed_at);
    const at = deps.clock();
    setActive.run(0, at.getTime(), keyId);
    touchTarget.run(at.getTime(), targetId);
    record("target.public_key.deactivated", targetId, keyId, actor, at);
    return at;
  });

  const remove = db.transaction((targetId: string, keyId: string, actor: Actor) => {
    const row = byId.get(targetId, keyId);
    if (!row) return undefined;
    if (row.active === 1)
      throw failedPrecondition("public_key.active", `public key ${JSON.stringify(keyId)} is active; deactivate it before removing it`);
    const at = deps.clock();
    del.run(keyId);
    record("target.public_key.removed", targetId, keyId, actor, at);
    return at;
  });

  return {
    add: (t, k, e, a) => add(t, k, e, a),
    activate: (t, k, a) => activate(t, k, a),
    deactivate: (t, k, a) => deactivate(t, k, a),
    remove: (t, k, a) => remove(t, k, a),
    list(targetId, query) {
      if (!targetExists.get(targetId)) throw notFound("target.not_found", `target ${JSON.stringify(targetId)} not found`);
      const parts: SqlPart[] = [{ sql: "target_id = ?", params: [targetId] }];
      for (const f of query.filters) {
        if (f.by === "ids") parts.push(inList("id", f.ids));
        else if (f.by === "active") parts.push({ sql: "active = ?", params: [f.active ? 1 : 0] });
        else parts.push(timeMatch("expires_at", f.method, f.at.getTime()));
      }
      const where = and(parts);
      const total = (db.prepare(`SELECT COUNT(*) AS n FROM public_keys WHERE ${where.sql}`).get(...where.params) as { n: number }).n;
      const dir = query.page.asc ? "ASC" : "DESC";
      // NULL expiry means "never": it sorts after every date ascending.
      const order = query.sort === "expiration" ? `expires_at IS NULL ${dir}, expires_at ${dir}` : `${SORT_COLUMNS[query.sort]} ${dir}`;
      const rows = db
        .prepare(`SELECT * FROM public_keys WHERE ${where.sql} ORDER BY ${order}, id ${dir} LIMIT ? OFFSET ?`)
        .all(...where.params, query.page.limit, query.page.offset) as KeyRow[];
      return { total, items: rows.map(rowToKey) };
    },
    find(targetId, keyId) {
      const row = byId.get(targetId, keyId);
      return row && rowToKey(row);
    },
    activeKey(targetId, now) {
      const row = active.get(targetId, now.getTime());
      return row && rowToKey(row);
    },
  };
}
