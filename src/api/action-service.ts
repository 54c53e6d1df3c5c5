import type { ServiceImpl } from "@connectrpc/connect";
import type { ActionService } from "../../gen/zitadel/action/v2/action_service_pb.js";
import type { TargetStore } from "../store/target-store.js";
import type { PublicKeyStore } from "../store/public-key-store.js";
import type { ExecutionStore } from "../store/execution-store.js";
import type { ConditionCatalog } from "../domain/condition.js";
import type { TargetRules } from "./convert-target.js";
import { createTargetHandlers } from "./target-handlers.js";
import { createPublicKeyHandlers } from "./public-key-handlers.js";
import { createExecutionHandlers } from "./execution-handlers.js";

/** Dependencies of the Action Service handlers. */
export interface ActionServiceDeps {
  targets: TargetStore;
  publicKeys: PublicKeyStore;
  executions: ExecutionStore;
  /** What conditions may name (mounted methods and services, registered event types). */
  catalog: ConditionCatalog;
  /** How target input is judged (development mode). */
  rules: TargetRules;
}

/** The `zitadel.action.v2.ActionService` implementation: thin handlers over the stores. */
export function createActionService(deps: ActionServiceDeps): ServiceImpl<typeof ActionService> {
  return {
    ...createTargetHandlers(deps),
    ...createPublicKeyHandlers(deps),
    ...createExecutionHandlers(deps),
  };
}
