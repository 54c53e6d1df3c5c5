import { eventInGroup } from "../domain/condition.js";

/** Where the router reads the executions from (ids and ordered target ids). */
export interface RouterSource {
  /** Every execution that has at least one target. */
  all(): Array<{ id: string; targets: string[] }>;
  /**
   * A value that changes whenever executions may have changed, in this process or another one
   * sharing the database; the router reloads when it differs from the last one seen.
   */
  version(): string | number;
}

/** The best-matching execution for a lookup: its id and the target ids to call in order. */
export interface Route {
  executionId: string;
  targets: readonly string[];
}

/** Resolves request, response, function and event lookups to the single best execution. */
export interface ExecutionRouter {
  /** `fullMethod` is `/<service>/<Method>`. */
  forMethod(kind: "request" | "response", fullMethod: string): Route | undefined;
  /** Both routes of a call after a single freshness check (the interceptor's hot path). */
  forCall(fullMethod: string): { request?: Route; response?: Route };
  forFunction(name: string): Route | undefined;
  forEvent(eventType: string): Route | undefined;
}

/**
 * An in-memory router: a map from execution id to targets, reloaded when the source's version changes.
 * A lookup is a handful of map reads whatever the number of executions. Best match wins and levels
 * never combine: method > service > all; event > group (longest first) > all. Matching respects
 * boundaries (Tether decision §7): a method matches only itself, a service only its own methods, a
 * group only event types equal to it or below it after a dot.
 */
export function createExecutionRouter(source: RouterSource): ExecutionRouter {
  let seen: string | number | undefined;
  let table = new Map<string, readonly string[]>();

  function current(): Map<string, readonly string[]> {
    const v = source.version();
    if (v !== seen) {
      table = new Map(source.all().map((e) => [e.id, e.targets]));
      seen = v;
    }
    return table;
  }

  function first(ids: Iterable<string>, t = current()): Route | undefined {
    for (const id of ids) {
      const targets = t.get(id);
      if (targets && targets.length > 0) return { executionId: id, targets };
    }
    return undefined;
  }

  function methodRoute(kind: "request" | "response", fullMethod: string, t: Map<string, readonly string[]>): Route | undefined {
    const method = fullMethod.startsWith("/") ? fullMethod.slice(1) : fullMethod;
    const slash = method.lastIndexOf("/");
    const service = slash < 0 ? method : method.slice(0, slash);
    return first([`${kind}/${method}`, `${kind}/${service}`, kind], t);
  }

  return {
    forMethod: (kind, fullMethod) => methodRoute(kind, fullMethod, current()),
    forCall(fullMethod) {
      const t = current();
      if (t.size === 0) return {};
      const request = methodRoute("request", fullMethod, t);
      const response = methodRoute("response", fullMethod, t);
      return { ...(request ? { request } : {}), ...(response ? { response } : {}) };
    },
    forFunction(name) {
      return first([`function/${name}`]);
    },
    forEvent(eventType) {
      return first(eventCandidates(eventType));
    },
  };
}

/** Lookup ids for an event type, most specific first: the type, its groups from longest to shortest, all. */
function* eventCandidates(eventType: string): Generator<string> {
  yield `event/${eventType}`;
  let group = eventType;
  while (group !== "") {
    if (eventInGroup(eventType, group)) yield `event/${group}.*`;
    const dot = group.lastIndexOf(".");
    group = dot < 0 ? "" : group.slice(0, dot);
  }
  yield "event";
}
