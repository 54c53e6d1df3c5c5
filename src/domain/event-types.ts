import { BUILTIN_EVENT_TYPES } from "./events.js";
import { invalidArgument } from "./errors.js";

/** The event types conditions may name: Tether's own plus those a host application registers. */
export interface EventTypeRegistry {
  list(): readonly string[];
  has(type: string): boolean;
  /** Adds types (idempotent); each must be dot-separated lowercase words, e.g. `user.human.added`. */
  register(types: readonly string[]): void;
}

const EVENT_TYPE = /^[a-z0-9_]+(\.[a-z0-9_]+)*$/;

/** Creates a registry holding the built-in event types. */
export function createEventTypeRegistry(): EventTypeRegistry {
  const types = new Set<string>(BUILTIN_EVENT_TYPES);
  let list: readonly string[] = [...types];
  return {
    list: () => list,
    has: (type) => types.has(type),
    register(more) {
      for (const t of more) {
        if (!EVENT_TYPE.test(t) || t.length > 200) throw invalidArgument("event type", `${JSON.stringify(t)} must be dot-separated lowercase words of at most 200 characters`);
        types.add(t);
      }
      list = [...types];
    },
  };
}
