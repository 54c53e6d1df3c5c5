import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import type { ExecutionStore } from "../store/execution-store.js";
import { checkCondition, executionId, FUNCTION_NAMES, type ConditionCatalog } from "../domain/condition.js";
import { actorFrom } from "./actor.js";
import { checkIdList, paginationToProto, timestampFromDate } from "./convert-common.js";
import { conditionFromProto, executionQueryFromProto, executionToProto } from "./convert-execution.js";
import {
  ListExecutionFunctionsResponseSchema,
  ListExecutionMethodsResponseSchema,
  ListExecutionServicesResponseSchema,
  ListExecutionsResponseSchema,
  SetExecutionResponseSchema,
  type ListExecutionsRequest,
  type SetExecutionRequest,
} from "../../gen/zitadel/action/v2/action_service_pb.js";

/** Handlers of the execution RPCs. */
export function createExecutionHandlers(deps: { executions: ExecutionStore; catalog: ConditionCatalog }) {
  const { executions, catalog } = deps;
  return {
    setExecution(req: SetExecutionRequest, ctx: HandlerContext) {
      const condition = checkCondition("condition", conditionFromProto("condition", req.condition), catalog);
      const targets = checkIdList("targets", req.targets);
      const setAt = executions.set(executionId(condition), targets, actorFrom(ctx));
      return create(SetExecutionResponseSchema, { setDate: timestampFromDate(setAt) });
    },
    listExecutions(req: ListExecutionsRequest) {
      const query = executionQueryFromProto(req);
      const { total, items } = executions.list(query);
      return create(ListExecutionsResponseSchema, { pagination: paginationToProto(total, query.page), executions: items.map(executionToProto) });
    },
    listExecutionFunctions() {
      return create(ListExecutionFunctionsResponseSchema, { functions: [...FUNCTION_NAMES] });
    },
    listExecutionMethods() {
      return create(ListExecutionMethodsResponseSchema, { methods: [...catalog.methods()] });
    },
    listExecutionServices() {
      return create(ListExecutionServicesResponseSchema, { services: [...catalog.services()] });
    },
  };
}
