import { ADMIN_USAGE, parseAdminArgs, type AdminCommand } from "./admin-args.js";
import { openAdminStores, type AdminStores } from "./admin-stores.js";
import { clearExecutions, formatClearResult, formatExecutions, listExecutions } from "./execution-commands.js";

/** Where the admin tool reads its environment and writes its output (the process, or a test's buffers). */
export interface AdminIo {
  env: Record<string, string | undefined>;
  stdout(text: string): void;
  stderr(text: string): void;
}

/** Exit codes: 0 done, 1 failed, 2 usage error. */
export type AdminExitCode = 0 | 1 | 2;

/** Runs one admin command line and returns its exit code; errors are reported on `io.stderr`, never thrown. */
export function runAdmin(argv: readonly string[], io: AdminIo): AdminExitCode {
  const parsed = parseAdminArgs(argv, io.env);
  if (!parsed.ok) {
    io.stderr(`tether-admin: ${parsed.message}\n\n${ADMIN_USAGE}`);
    return 2;
  }
  const cmd = parsed.value;
  if (cmd.command === "help") {
    io.stdout(ADMIN_USAGE);
    return 0;
  }
  try {
    // The events the tool writes are owned by the instance, as the server's are.
    const opened = openAdminStores(cmd.dataDir, { instanceId: io.env["TETHER_INSTANCE_ID"]?.trim() || "tether" });
    if (!opened.ok) {
      io.stderr(`tether-admin: ${opened.message}\n`);
      return 1;
    }
    try {
      return execute(cmd, opened.stores, io);
    } finally {
      opened.stores.close();
    }
  } catch (e) {
    // A locked or newer database, a disk error: say what failed without a stack trace.
    io.stderr(`tether-admin: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

function execute(cmd: Exclude<AdminCommand, { command: "help" }>, stores: AdminStores, io: AdminIo): AdminExitCode {
  if (cmd.command === "executions-list") {
    io.stdout(formatExecutions(listExecutions(stores), cmd.json));
    return 0;
  }
  const result = clearExecutions(stores, cmd.selection);
  if (!result.ok) {
    io.stderr(`tether-admin: ${formatClearResult(result)}`);
    return 1;
  }
  io.stdout(formatClearResult(result));
  return 0;
}
