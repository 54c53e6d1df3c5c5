// A separate process that starts a checkpointer over the database at argv[2] and never closes it: it must
// still exit by itself once its own work is done (the thread does not hold an embedding process open).
import { openDatabase } from "../../src/store/db.js";
import { startCheckpointer } from "../../src/store/checkpointer.js";

const db = openDatabase({ path: process.argv[2]! });
startCheckpointer(db, { intervalMs: 20 });
process.stdout.write("started\n");
