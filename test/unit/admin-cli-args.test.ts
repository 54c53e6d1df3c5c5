import { describe, expect, it } from "vitest";
import { parseAdminArgs, ADMIN_USAGE } from "../../src/cli/admin-args.js";

const parse = (argv: string[], env: Record<string, string | undefined> = {}) => parseAdminArgs(argv, env);
const errorOf = (argv: string[]) => {
  const r = parse(argv);
  if (r.ok) throw new Error(`expected a usage error for ${JSON.stringify(argv)}`);
  return r.message;
};

describe("parseAdminArgs", () => {
  it("parses executions list with the data dir from the flag, TETHER_DATA_DIR, or ./data", () => {
    expect(parse(["executions", "list"])).toEqual({ ok: true, value: { command: "executions-list", dataDir: "./data", json: false } });
    expect(parse(["executions", "list", "--json"], { TETHER_DATA_DIR: "/srv/tether" })).toEqual({
      ok: true,
      value: { command: "executions-list", dataDir: "/srv/tether", json: true },
    });
    expect(parse(["executions", "list", "--data-dir", "/a"], { TETHER_DATA_DIR: "/b" })).toMatchObject({ ok: true, value: { dataDir: "/a" } });
    expect(parse(["-d", "/c", "executions", "list"])).toMatchObject({ ok: true, value: { dataDir: "/c" } });
    expect(parse(["executions", "list", "--data-dir=/e"], { TETHER_DATA_DIR: " " })).toMatchObject({ ok: true, value: { dataDir: "/e" } });
  });

  it("parses executions clear with conditions (deduplicated) or --all", () => {
    expect(parse(["executions", "clear", "request", "event/user.*", "request"])).toEqual({
      ok: true,
      value: { command: "executions-clear", dataDir: "./data", selection: { all: false, conditions: ["request", "event/user.*"] } },
    });
    expect(parse(["executions", "clear", "--all"])).toEqual({ ok: true, value: { command: "executions-clear", dataDir: "./data", selection: { all: true } } });
    const methods = ["response/zitadel.action.v2.ActionService/ListTargets", "request/zitadel.action.v2.ActionService", "function/preuserinfo", "event/target.added", "event"];
    expect(parse(["executions", "clear", ...methods])).toMatchObject({ ok: true, value: { selection: { conditions: methods } } });
  });

  it("asks for help with --help or -h anywhere", () => {
    for (const argv of [["--help"], ["-h"], ["executions", "--help"], ["executions", "clear", "-h"], ["nonsense", "--help"]]) {
      expect(parse(argv)).toEqual({ ok: true, value: { command: "help" } });
    }
  });

  it("reports a missing or unknown command", () => {
    expect(errorOf([])).toBe("missing command");
    expect(errorOf(["targets", "list"])).toBe('unknown command "targets"');
    expect(errorOf(["executions"])).toBe("missing executions command: list or clear");
    expect(errorOf(["executions", "drop"])).toBe('unknown executions command "drop": use list or clear');
  });

  it("reports unknown options, missing option values and options of the other command", () => {
    expect(errorOf(["executions", "list", "--force"])).toMatch(/Unknown option '--force'/);
    expect(errorOf(["executions", "list", "--data-dir"])).toMatch(/--data-dir/);
    expect(errorOf(["executions", "list", "--data-dir="])).toBe("--data-dir must not be empty");
    expect(errorOf(["executions", "list", "extra"])).toBe('executions list takes no arguments, got "extra"');
    expect(errorOf(["executions", "list", "--all"])).toBe("--all belongs to executions clear");
    expect(errorOf(["executions", "clear", "--all", "--json"])).toBe("--json belongs to executions list");
  });

  it("requires conditions or --all for clear, not both, and refuses what is not a condition", () => {
    expect(errorOf(["executions", "clear"])).toBe("executions clear needs one or more conditions, or --all");
    expect(errorOf(["executions", "clear", "--all", "request"])).toBe("give conditions or --all, not both");
    for (const bad of ["requests", "all", "function/", "request//x.Y/Z", "/zitadel.action.v2.ActionService/ListTargets"]) {
      expect(errorOf(["executions", "clear", bad])).toBe(`not a condition: ${JSON.stringify(bad)} (see the forms below, or run executions list)`);
    }
  });

  it("documents the commands, the data dir, the lack of a token and the exit codes in the usage", () => {
    expect(ADMIN_USAGE).toMatch(/executions list \[--json\]/);
    expect(ADMIN_USAGE).toMatch(/executions clear <condition>\.\.\. \| --all/);
    expect(ADMIN_USAGE).toMatch(/TETHER_DATA_DIR/);
    expect(ADMIN_USAGE).toMatch(/needs no token/);
    expect(ADMIN_USAGE).toMatch(/Exit codes: 0 done, 1 failed .*, 2 usage error/);
  });
});
