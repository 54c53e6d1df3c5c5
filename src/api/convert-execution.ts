import { create } from "@bufbuild/protobuf";
import { invalidArgument } from "../domain/errors.js";
import { conditionFromExecutionId, executionId, type Condition, type ExecutionKind } from "../domain/condition.js";
import type { ExecutionFilter, ExecutionQuery, ExecutionSort } from "../domain/queries.js";
import type { ExecutionRecord } from "../store/execution-store.js";
import { checkEnum, checkFilters, checkIdList, checkListSize, pageFromProto, timestampFromDate } from "./convert-common.js";
import {
  ConditionSchema,
  EventExecutionSchema,
  ExecutionSchema,
  FunctionExecutionSchema,
  RequestExecutionSchema,
  ResponseExecutionSchema,
  type Condition as ProtoCondition,
  type Execution,
  type RequestExecution,
} from "../../gen/zitadel/action/v2/execution_pb.js";
import { ExecutionFieldName, ExecutionType, type ExecutionSearchFilter } from "../../gen/zitadel/action/v2/query_pb.js";
import type { ListExecutionsRequest } from "../../gen/zitadel/action/v2/action_service_pb.js";

function requestLike(field: string, kind: "request" | "response", c: RequestExecution["condition"]): Condition {
  switch (c.case) {
    case "method":
      return { kind, level: "method", method: c.value };
    case "service":
      return { kind, level: "service", service: c.value };
    case "all":
      if (!c.value) throw invalidArgument(`${field}.${kind}.all`, "must be true");
      return { kind, level: "all" };
    default:
      throw invalidArgument(`${field}.${kind}`, "one of method, service or all is required");
  }
}

/** A proto Condition as a domain condition; shape errors are INVALID_ARGUMENT (existence is checked later). */
export function conditionFromProto(field: string, c: ProtoCondition | undefined): Condition {
  const type = c?.conditionType;
  switch (type?.case) {
    case "request":
      return requestLike(field, "request", type.value.condition);
    case "response":
      return requestLike(field, "response", type.value.condition);
    case "function":
      return { kind: "function", level: "function", name: type.value.name };
    case "event": {
      const e = type.value.condition;
      if (e.case === "event") return { kind: "event", level: "event", event: e.value };
      if (e.case === "group") return { kind: "event", level: "group", group: e.value };
      if (e.case === "all") {
        if (!e.value) throw invalidArgument(`${field}.event.all`, "must be true");
        return { kind: "event", level: "all" };
      }
      throw invalidArgument(`${field}.event`, "one of event, group or all is required");
    }
    default:
      throw invalidArgument(field, "one of request, response, function or event is required");
  }
}

/** A domain condition as the proto Condition (methods with a leading slash, groups without `.*`). */
export function conditionToProto(c: Condition): ProtoCondition {
  switch (c.kind) {
    case "request":
    case "response": {
      const condition: RequestExecution["condition"] =
        c.level === "method" ? { case: "method", value: c.method } : c.level === "service" ? { case: "service", value: c.service } : { case: "all", value: true };
      return create(ConditionSchema, {
        conditionType:
          c.kind === "request"
            ? { case: "request", value: create(RequestExecutionSchema, { condition }) }
            : { case: "response", value: create(ResponseExecutionSchema, { condition }) },
      });
    }
    case "function":
      return create(ConditionSchema, { conditionType: { case: "function", value: create(FunctionExecutionSchema, { name: c.name }) } });
    case "event": {
      const condition =
        c.level === "event" ? ({ case: "event", value: c.event } as const) : c.level === "group" ? ({ case: "group", value: c.group } as const) : ({ case: "all", value: true } as const);
      return create(ConditionSchema, { conditionType: { case: "event", value: create(EventExecutionSchema, { condition }) } });
    }
  }
}

/** A stored execution as the proto Execution. */
export function executionToProto(e: ExecutionRecord): Execution {
  return create(ExecutionSchema, {
    condition: conditionToProto(conditionFromExecutionId(e.id)),
    creationDate: timestampFromDate(e.createdAt),
    changeDate: timestampFromDate(e.changedAt),
    targets: e.targets,
  });
}

const KIND: Record<Exclude<ExecutionType, ExecutionType.UNSPECIFIED>, ExecutionKind> = {
  [ExecutionType.REQUEST]: "request",
  [ExecutionType.RESPONSE]: "response",
  [ExecutionType.EVENT]: "event",
  [ExecutionType.FUNCTION]: "function",
};

const SORT: Record<ExecutionFieldName, ExecutionSort> = {
  [ExecutionFieldName.UNSPECIFIED]: "created",
  [ExecutionFieldName.ID]: "id",
  [ExecutionFieldName.CREATED_DATE]: "created",
  [ExecutionFieldName.CHANGED_DATE]: "changed",
};

function filterFromProto(f: ExecutionSearchFilter, i: number): ExecutionFilter {
  const field = `filters[${i}]`;
  switch (f.filter.case) {
    case "inConditionsFilter":
      checkListSize(`${field}.in_conditions_filter.conditions`, f.filter.value.conditions);
      // Only shape is checked: a condition naming nothing known simply matches nothing.
      return { by: "ids", ids: f.filter.value.conditions.map((c, j) => executionId(conditionFromProto(`${field}.in_conditions_filter.conditions[${j}]`, c))) };
    case "executionTypeFilter": {
      const t = checkEnum(`${field}.execution_type_filter.execution_type`, f.filter.value.executionType, ExecutionType);
      if (t === ExecutionType.UNSPECIFIED) throw invalidArgument(`${field}.execution_type_filter.execution_type`, "must not be EXECUTION_TYPE_UNSPECIFIED");
      return { by: "kind", kind: KIND[t] };
    }
    case "targetFilter": {
      const [targetId] = checkIdList(`${field}.target_filter.target_id`, [f.filter.value.targetId]);
      return { by: "target", targetId: targetId! };
    }
    default:
      throw invalidArgument(field, "one of in_conditions_filter, execution_type_filter or target_filter is required");
  }
}

/** Validates a ListExecutionsRequest. */
export function executionQueryFromProto(req: ListExecutionsRequest): ExecutionQuery {
  const column = checkEnum("sorting_column", req.sortingColumn ?? ExecutionFieldName.UNSPECIFIED, ExecutionFieldName);
  return { filters: checkFilters(req.filters).map(filterFromProto), sort: SORT[column], page: pageFromProto(req.pagination) };
}
