import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { Db } from "./db.js";

/** Options of {@link startCheckpointer}. */
export interface CheckpointerOptions {
  /** How often the thread copies the WAL into the database file, in ms (default 250). */
  intervalMs?: number;
  /**
   * The writer's own automatic checkpoint while the thread runs, in WAL pages (default 10,000, ~40 MB): a
   * safety net should the thread fall behind; the previous setting comes back when the thread stops.
   */
  fallbackPages?: number;
  /**
   * Called with the first checkpoint of a run of failures (the thread carries on and tries again), or with the
   * thread's own failure (checkpoints then happen on the writer again, as without the thread).
   */
  onError?: (error: unknown) => void;
}

/** A running background checkpointer. */
export interface Checkpointer {
  /** Stops the thread (after a last checkpoint) and gives checkpoints back to the writer. */
  close(): Promise<void>;
}

// CommonJS, evaluated in the thread: no module file to locate under tsx, vitest or the compiled build.
// A PASSIVE checkpoint never waits for a lock: it copies what no reader still needs and leaves the rest.
const THREAD_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
let failing = false;
const checkpoint = () => {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
    failing = false;
  } catch (e) {
    // Tried again on the next tick; reported once per run of failures (a full disk would say so 4 times a second).
    if (!failing) parentPort.postMessage({ error: e instanceof Error ? e.message : String(e) });
    failing = true;
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on("message", () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

/**
 * Moves WAL checkpoints of a file database to a thread with its own connection. SQLite otherwise runs them
 * inside the commit that crosses 1,000 WAL pages, copying ~4 MB and syncing the file on the event loop
 * (measured: stalls of up to ~30 ms every second or so while the outbox drains).
 */
export function startCheckpointer(db: Db, options: CheckpointerOptions = {}): Checkpointer {
  // An in-memory database has no WAL file to share with another connection.
  if (db.memory) return { close: () => Promise.resolve() };
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  const previous = db.pragma("wal_autocheckpoint", { simple: true }) as number;
  db.pragma(`wal_autocheckpoint = ${options.fallbackPages ?? 10_000}`);
  const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { driver, path: db.name, intervalMs: options.intervalMs ?? 250 } });
  let running = true;
  const giveBack = () => {
    if (!running) return;
    running = false;
    if (db.open) db.pragma(`wal_autocheckpoint = ${previous}`);
  };
  worker.on("message", (m: { error?: string }) => {
    if (m.error !== undefined) options.onError?.(new Error(`WAL checkpoint failed: ${m.error}`));
  });
  worker.on("error", (e) => {
    giveBack();
    options.onError?.(e);
  });
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  void exited.then(giveBack);
  // After the listeners (adding a "message" listener refs the worker again): an embedding application's
  // process may end while the thread runs; close() holds it for the last checkpoint.
  worker.unref();
  return {
    async close() {
      if (running) {
        worker.ref();
        worker.postMessage("stop");
      }
      await exited;
    },
  };
}
