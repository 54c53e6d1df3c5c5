import { describe, expect, it } from "vitest";
import { actor, memoryStores, newTarget } from "../helpers/store-fixtures.js";
import { ADMIN_CLI_ACTOR, clearExecutions, formatClearResult, formatExecutions, listExecutions } from "../../src/cli/execution-commands.js";

function seeded() {
  const s = memoryStores();
  const down = s.targets.create(newTarget({ name: "down", type: "call", interruptOnError: true, endpoint: "http://127.0.0.1:9/" }), actor).target;
  const hook = s.targets.create(newTarget({ name: "hook" }), actor).target;
  s.executions.set("request", [down.id, hook.id], actor);
  s.executions.set("event/target.*", [hook.id], actor);
  return { ...s, down, hook };
}

describe("listExecutions", () => {
  it("lists every execution by condition with its targets in call order", () => {
    const s = seeded();
    expect(listExecutions(s)).toEqual([
      { condition: "event/target.*", targets: [{ id: s.hook.id, name: "hook", type: "webhook", interruptOnError: false, endpoint: "https://hooks.example.net/x" }], changedAt: "2026-01-01T00:00:00.000Z" },
      {
        condition: "request",
        targets: [
          { id: s.down.id, name: "down", type: "call", interruptOnError: true, endpoint: "http://127.0.0.1:9/" },
          { id: s.hook.id, name: "hook", type: "webhook", interruptOnError: false, endpoint: "https://hooks.example.net/x" },
        ],
        changedAt: "2026-01-01T00:00:00.000Z",
      },
    ]);
  });

  it("shows only the id of a target the store no longer knows", () => {
    const s = seeded();
    expect(listExecutions({ executions: s.executions, targets: { find: () => undefined } })[1]!.targets[0]).toEqual({ id: s.down.id });
  });
});

describe("formatExecutions", () => {
  it("prints one block per execution: the condition, then numbered targets", () => {
    const s = seeded();
    expect(formatExecutions(listExecutions(s), false)).toBe(
      [
        "2 executions:",
        "event/target.*  (changed 2026-01-01T00:00:00.000Z)",
        `  1. hook [webhook] https://hooks.example.net/x (id ${s.hook.id})`,
        "request  (changed 2026-01-01T00:00:00.000Z)",
        `  1. down [call, interrupts on error] http://127.0.0.1:9/ (id ${s.down.id})`,
        `  2. hook [webhook] https://hooks.example.net/x (id ${s.hook.id})`,
        "",
      ].join("\n"),
    );
    expect(formatExecutions([{ condition: "event", targets: [{ id: "42" }], changedAt: "x" }], false)).toBe("1 execution:\nevent  (changed x)\n  1. target 42 (missing)\n");
  });

  it("says so when there is nothing, and prints parseable JSON on request", () => {
    expect(formatExecutions([], false)).toBe("no executions\n");
    expect(JSON.parse(formatExecutions([], true))).toEqual({ executions: [] });
    const s = seeded();
    expect(JSON.parse(formatExecutions(listExecutions(s), true))).toEqual({ executions: listExecutions(s) });
  });
});

describe("clearExecutions", () => {
  it("clears the named executions through the store, one execution.removed event each, by the admin tool", () => {
    const s = seeded();
    const before = s.events.readAfter(0, 100).length;
    expect(clearExecutions(s, { all: false, conditions: ["request"] })).toEqual({ ok: true, cleared: ["request"] });
    expect(s.executions.all().map((e) => e.id)).toEqual(["event/target.*"]);
    const written = s.events.readAfter(0, 100).slice(before);
    expect(written).toMatchObject([{ type: "execution.removed", aggregateType: "execution", aggregateId: "request", creator: ADMIN_CLI_ACTOR.userId, resourceOwner: "inst", payload: { targets: [] } }]);
  });

  it("clears every execution with --all, and nothing when there is none", () => {
    const s = seeded();
    expect(clearExecutions(s, { all: true })).toEqual({ ok: true, cleared: ["event/target.*", "request"] });
    expect(s.executions.all()).toEqual([]);
    expect(clearExecutions(s, { all: true })).toEqual({ ok: true, cleared: [] });
    expect(s.events.readAfter(0, 100).filter((e) => e.type === "execution.removed")).toHaveLength(2);
  });

  it("changes nothing when one named condition is not set", () => {
    const s = seeded();
    const before = s.events.readAfter(0, 100).length;
    expect(clearExecutions(s, { all: false, conditions: ["request", "response", "event/x.*"] })).toEqual({ ok: false, notSet: ["response", "event/x.*"] });
    expect(s.executions.all()).toHaveLength(2);
    expect(s.events.readAfter(0, 100)).toHaveLength(before);
  });
});

describe("formatClearResult", () => {
  it("names what was cleared, what was not set, or that there was nothing", () => {
    expect(formatClearResult({ ok: true, cleared: ["event", "request"] })).toBe("cleared event\ncleared request\nA running server uses the change on its next RPC.\n");
    expect(formatClearResult({ ok: true, cleared: [] })).toBe("no executions to clear\n");
    expect(formatClearResult({ ok: false, notSet: ["response", "event"] })).toBe('no execution is set for "response", "event"; nothing was cleared (see executions list)\n');
  });
});
