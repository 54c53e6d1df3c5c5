import { openDatabase, type Db } from "../../src/store/db.js";
import { createEventLog } from "../../src/store/event-log.js";
import { createTargetStore, type Sealer } from "../../src/store/target-store.js";
import { createPublicKeyStore } from "../../src/store/public-key-store.js";
import { createExecutionStore } from "../../src/store/execution-store.js";
import type { NewTarget } from "../../src/domain/target.js";
import type { Actor } from "../../src/domain/events.js";
import { DomainError } from "../../src/domain/errors.js";

/** A clock tests move by hand. */
export function manualClock(start = Date.parse("2026-01-01T00:00:00Z")) {
  let now = start;
  const clock = () => new Date(now);
  return Object.assign(clock, {
    advance(ms: number) {
      now += ms;
    },
  });
}

/** Sequential ids, readable in failures. */
export function sequentialIds(prefix = "") {
  let n = 1000;
  return () => `${prefix}${++n}`;
}

/** A reversible sealer for store tests that marks sealed values so tests can tell them apart. */
export const fakeSealer: Sealer = {
  seal: (p, aad) => `sealed(${aad}):${Buffer.from(p).toString("base64")}`,
  open: (s, aad) => {
    const prefix = `sealed(${aad}):`;
    if (!s.startsWith(prefix)) throw new Error("wrong aad");
    return Buffer.from(s.slice(prefix.length), "base64").toString();
  },
};

/** All stores over one fresh in-memory database. */
export function memoryStores(db: Db = openDatabase({ path: ":memory:" })) {
  const clock = manualClock();
  const newId = sequentialIds();
  const events = createEventLog(db, { instanceId: "inst" });
  let keyN = 0;
  const targets = createTargetStore(db, { clock, newId, events, secrets: fakeSealer, newSigningKey: () => `signingkey${String(++keyN).padStart(26, "0")}` });
  const publicKeys = createPublicKeyStore(db, { clock, newId, events });
  const executions = createExecutionStore(db, { clock, events });
  return { db, clock, events, targets, publicKeys, executions };
}

/** A valid new target with overrides. */
export function newTarget(overrides: Partial<NewTarget> = {}): NewTarget {
  return { name: "hook", type: "webhook", interruptOnError: false, endpoint: "https://hooks.example.net/x", timeoutMs: 5000, payloadType: "json", ...overrides };
}

/** The actor tests write as. */
export const actor: Actor = { userId: "user-1", orgId: "org-1" };

/** Runs `fn` and returns `kind/reason` of the DomainError it throws, or "ok". */
export function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return `${e.kind}/${e.reason}`;
    throw e;
  }
  return "ok";
}
