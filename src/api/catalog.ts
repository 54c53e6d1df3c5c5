import type { DescService } from "@bufbuild/protobuf";
import type { ConditionCatalog } from "../domain/condition.js";

/** Inputs of {@link createConditionCatalog}. */
export interface CatalogOptions {
  /** Services mounted on this server; their methods are what request/response conditions may name. */
  services: () => readonly DescService[];
  /** Registered event types. */
  eventTypes: () => readonly string[];
}

/** What conditions may name, read from the mounted service descriptors (not a hand-written list). */
export function createConditionCatalog(options: CatalogOptions): ConditionCatalog {
  return {
    methods: () => options.services().flatMap((s) => s.methods.map((m) => `/${s.typeName}/${m.name}`)),
    services: () => options.services().map((s) => s.typeName),
    eventTypes: options.eventTypes,
  };
}
