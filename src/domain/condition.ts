import { invalidArgument, notFound } from "./errors.js";

/** What an execution reacts to; its execution id is derived from it (see {@link executionId}). */
export type Condition =
  | { kind: "request" | "response"; level: "method"; method: string }
  | { kind: "request" | "response"; level: "service"; service: string }
  | { kind: "request" | "response"; level: "all" }
  | { kind: "function"; level: "function"; name: string }
  | { kind: "event"; level: "event"; event: string }
  | { kind: "event"; level: "group"; group: string }
  | { kind: "event"; level: "all" };

/** The kinds of execution. */
export type ExecutionKind = Condition["kind"];

/** The three function names upstream knows. */
export const FUNCTION_NAMES: readonly string[] = ["preuserinfo", "preaccesstoken", "presamlresponse"];

/** Maximum length of a condition string in code points. */
export const MAX_CONDITION_LENGTH = 1000;

/**
 * The stable id of an execution: `request/<service>/<Method>`, `request/<service>`, `request`,
 * `function/<name>`, `event/<type>`, `event/<group>.*`, `event` (as upstream).
 */
export function executionId(c: Condition): string {
  switch (c.level) {
    case "method":
      return `${c.kind}/${stripSlash(c.method)}`;
    case "service":
      return `${c.kind}/${c.service}`;
    case "all":
      return c.kind;
    case "function":
      return `function/${c.name}`;
    case "event":
      return `event/${c.event}`;
    case "group":
      return `event/${c.group}.*`;
  }
}

/** The inverse of {@link executionId}; methods come back with a leading slash, groups without `.*`. */
export function conditionFromExecutionId(id: string): Condition {
  const slash = id.indexOf("/");
  const kind = slash < 0 ? id : id.slice(0, slash);
  const rest = slash < 0 ? "" : id.slice(slash + 1);
  switch (kind) {
    case "request":
    case "response":
      if (rest === "") return { kind, level: "all" };
      if (rest.includes("/")) return { kind, level: "method", method: `/${rest}` };
      return { kind, level: "service", service: rest };
    case "function":
      return { kind, level: "function", name: rest };
    case "event":
      if (rest === "") return { kind, level: "all" };
      if (rest.endsWith(".*")) return { kind, level: "group", group: rest.slice(0, -2) };
      return { kind, level: "event", event: rest };
    default:
      throw new Error(`unknown execution id ${JSON.stringify(id)}`);
  }
}

/** What the server knows: the values a condition may name. */
export interface ConditionCatalog {
  /** Full methods with a leading slash, e.g. `/zitadel.action.v2.ActionService/GetTarget`. */
  methods(): readonly string[];
  /** Full service names. */
  services(): readonly string[];
  /** Registered event types. */
  eventTypes(): readonly string[];
}

/**
 * Checks that a condition names something that exists and normalises it (a method without its
 * leading slash gets one; a group given with `.*` loses it). Unknown values are NOT_FOUND, as upstream.
 */
export function checkCondition(field: string, c: Condition, catalog: ConditionCatalog): Condition {
  switch (c.level) {
    case "method": {
      const method = `/${stripSlash(checkConditionString(`${field}.${c.kind}.method`, c.method))}`;
      if (!catalog.methods().includes(method))
        throw notFound("execution.condition_not_found", `${field}.${c.kind}.method: unknown method ${JSON.stringify(c.method)}; see ListExecutionMethods`);
      return { ...c, method };
    }
    case "service": {
      const service = checkConditionString(`${field}.${c.kind}.service`, c.service);
      if (!catalog.services().includes(service))
        throw notFound("execution.condition_not_found", `${field}.${c.kind}.service: unknown service ${JSON.stringify(service)}; see ListExecutionServices`);
      return c;
    }
    case "function": {
      const name = checkConditionString(`${field}.function.name`, c.name);
      if (!FUNCTION_NAMES.includes(name))
        throw notFound("execution.condition_not_found", `${field}.function.name: unknown function ${JSON.stringify(name)}; see ListExecutionFunctions`);
      return c;
    }
    case "event": {
      const event = checkConditionString(`${field}.event.event`, c.event);
      if (!catalog.eventTypes().includes(event))
        throw notFound("execution.condition_not_found", `${field}.event.event: unknown event type ${JSON.stringify(event)}`);
      return c;
    }
    case "group": {
      let group = checkConditionString(`${field}.event.group`, c.group);
      if (group.endsWith(".*")) group = group.slice(0, -2);
      if (group === "" || !catalog.eventTypes().some((t) => eventInGroup(t, group)))
        throw notFound("execution.condition_not_found", `${field}.event.group: no event type belongs to group ${JSON.stringify(c.group)}`);
      return { ...c, group };
    }
    case "all":
      return c;
  }
}

/** True when an event type belongs to a group: equal to it or starting with `group.` (a boundary, unlike upstream). */
export function eventInGroup(eventType: string, group: string): boolean {
  return eventType === group || eventType.startsWith(`${group}.`);
}

function checkConditionString(field: string, value: string): string {
  if (value === "") throw invalidArgument(field, "must not be empty");
  let n = 0;
  for (const _ of value) n++;
  if (n > MAX_CONDITION_LENGTH) throw invalidArgument(field, `must be at most ${MAX_CONDITION_LENGTH} characters, got ${n}`);
  return value;
}

function stripSlash(method: string): string {
  return method.startsWith("/") ? method.slice(1) : method;
}
