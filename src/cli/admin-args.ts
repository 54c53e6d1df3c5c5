import { parseArgs } from "node:util";
import { conditionFromExecutionId } from "../domain/condition.js";

/** Which executions `executions clear` removes: every one, or those named by condition. */
export type ClearSelection = { all: true } | { all: false; conditions: readonly string[] };

/** A command line the admin tool understood. */
export type AdminCommand =
  | { command: "help" }
  | { command: "executions-list"; dataDir: string; json: boolean }
  | { command: "executions-clear"; dataDir: string; selection: ClearSelection };

/** The result of {@link parseAdminArgs}: a command, or a usage error to print with exit code 2. */
export type ParsedAdminArgs = { ok: true; value: AdminCommand } | { ok: false; message: string };

/** The help text, printed for `--help` and after every usage error. */
export const ADMIN_USAGE = `Usage: npm run admin -- <command> [options]

Works directly on a Tether data directory, with or without the server running. It needs no token:
access to the data directory's files is the authority. It never reads the master key.

Commands:
  executions list [--json]                  List every execution: its condition and targets in call order.
  executions clear <condition>... | --all   Remove executions (writes execution.removed events); a running
                                            server uses the change on its next RPC.

Options:
  -d, --data-dir <dir>  Data directory (default: $TETHER_DATA_DIR, else ./data).
      --json            Print JSON instead of text (list).
      --all             Clear every execution (clear).
  -h, --help            Show this help.

Conditions are written as 'executions list' prints them: request, request/<service>,
request/<service>/<Method>, the same with response, function/<name>, event, event/<group>.*, event/<type>.

Exit codes: 0 done, 1 failed (no database, condition not set), 2 usage error.
`;

const OPTIONS = {
  "data-dir": { type: "string", short: "d" },
  json: { type: "boolean" },
  all: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** Parses the arguments after the script name; the data directory defaults to `TETHER_DATA_DIR`, then `./data`. */
export function parseAdminArgs(argv: readonly string[], env: Record<string, string | undefined>): ParsedAdminArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    // parseArgs names the offending option ("Unknown option '--x'", "Option '-d' argument missing").
    return usage(e instanceof Error ? e.message : String(e));
  }
  const { values, positionals } = parsed;
  if (values.help) return { ok: true, value: { command: "help" } };
  const [group, action, ...rest] = positionals;
  if (group === undefined) return usage("missing command");
  if (group !== "executions") return usage(`unknown command ${JSON.stringify(group)}`);
  if (action === undefined) return usage("missing executions command: list or clear");
  const dataDir = values["data-dir"] ?? (env["TETHER_DATA_DIR"]?.trim() || "./data");
  if (dataDir === "") return usage("--data-dir must not be empty");
  if (action === "list") {
    if (rest.length > 0) return usage(`executions list takes no arguments, got ${JSON.stringify(rest[0])}`);
    if (values.all) return usage("--all belongs to executions clear");
    return { ok: true, value: { command: "executions-list", dataDir, json: values.json ?? false } };
  }
  if (action === "clear") {
    if (values.json) return usage("--json belongs to executions list");
    const selection = clearSelection(values.all ?? false, rest);
    return "message" in selection ? usage(selection.message) : { ok: true, value: { command: "executions-clear", dataDir, selection } };
  }
  return usage(`unknown executions command ${JSON.stringify(action)}: use list or clear`);
}

function clearSelection(all: boolean, conditions: readonly string[]): ClearSelection | { message: string } {
  if (all && conditions.length > 0) return { message: "give conditions or --all, not both" };
  if (all) return { all: true };
  if (conditions.length === 0) return { message: "executions clear needs one or more conditions, or --all" };
  for (const c of conditions) {
    if (!isConditionSyntax(c)) return { message: `not a condition: ${JSON.stringify(c)} (see the forms below, or run executions list)` };
  }
  return { all: false, conditions: [...new Set(conditions)] };
}

/** True for the execution ids Tether stores; anything else cannot name an execution. */
function isConditionSyntax(c: string): boolean {
  try {
    conditionFromExecutionId(c);
  } catch {
    return false;
  }
  // conditionFromExecutionId is lenient about empty parts ("function/", "request/"); ids never have them.
  return !c.endsWith("/") && !c.includes("//");
}

function usage(message: string): ParsedAdminArgs {
  return { ok: false, message };
}
