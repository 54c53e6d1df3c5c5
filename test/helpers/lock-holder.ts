// A separate process that takes the worker lock of the database at argv[2] and keeps it until killed.
import Database from "better-sqlite3";
import { tryWorkerLock } from "../../src/store/worker-lock.js";

const db = new Database(process.argv[2]!);
const lock = tryWorkerLock(db);
process.stdout.write(lock ? "locked\n" : "busy\n");
setInterval(() => undefined, 60_000);
