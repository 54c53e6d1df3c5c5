import type { Page, TextMatch, TimeMatch } from "./pagination.js";
import type { ExecutionKind } from "./condition.js";

/** One ListTargets criterion; several are combined with AND. */
export type TargetFilter = { by: "name"; method: TextMatch; value: string } | { by: "ids"; ids: string[] };

/** Sort columns of ListTargets. */
export type TargetSort = "id" | "created" | "changed" | "name" | "type" | "endpoint" | "timeout" | "interrupt";

/** A validated ListTargets query. */
export interface TargetQuery {
  filters: TargetFilter[];
  sort: TargetSort;
  page: Page;
}

/** One ListExecutions criterion; several are combined with AND. */
export type ExecutionFilter =
  | { by: "ids"; ids: string[] }
  | { by: "kind"; kind: ExecutionKind }
  | { by: "target"; targetId: string };

/** Sort columns of ListExecutions. */
export type ExecutionSort = "id" | "created" | "changed";

/** A validated ListExecutions query. */
export interface ExecutionQuery {
  filters: ExecutionFilter[];
  sort: ExecutionSort;
  page: Page;
}

/** One ListPublicKeys criterion; several are combined with AND. */
export type PublicKeyFilter =
  | { by: "ids"; ids: string[] }
  | { by: "active"; active: boolean }
  | { by: "expiration"; method: TimeMatch; at: Date };

/** Sort columns of ListPublicKeys. */
export type PublicKeySort = "created" | "changed" | "expiration";

/** A validated ListPublicKeys query. */
export interface PublicKeyQuery {
  filters: PublicKeyFilter[];
  sort: PublicKeySort;
  page: Page;
}

/** One page of results and the total count ignoring paging. */
export interface Paged<T> {
  total: number;
  items: T[];
}

/** Most filters one list request may combine (each becomes part of one SQL statement). */
export const MAX_FILTERS = 20;
/** Most values one list of ids (or conditions) may hold, in a filter or in an execution's targets. */
export const MAX_LIST_ITEMS = 1000;
