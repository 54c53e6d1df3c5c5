import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import type { TargetStore } from "../store/target-store.js";
import { checkId } from "../domain/target.js";
import { actorFrom } from "./actor.js";
import { paginationToProto, timestampFromDate } from "./convert-common.js";
import { newTargetFromProto, targetPatchFromProto, targetQueryFromProto, targetToProto, type TargetRules } from "./convert-target.js";
import {
  CreateTargetResponseSchema,
  DeleteTargetResponseSchema,
  GetTargetResponseSchema,
  ListTargetsResponseSchema,
  UpdateTargetResponseSchema,
  type CreateTargetRequest,
  type DeleteTargetRequest,
  type GetTargetRequest,
  type ListTargetsRequest,
  type UpdateTargetRequest,
} from "../../gen/zitadel/action/v2/action_service_pb.js";

/** Handlers of the five target RPCs. */
export function createTargetHandlers(deps: { targets: TargetStore; rules: TargetRules }) {
  const { targets, rules } = deps;
  return {
    createTarget(req: CreateTargetRequest, ctx: HandlerContext) {
      const { target, signingKey } = targets.create(newTargetFromProto(req, rules), actorFrom(ctx));
      return create(CreateTargetResponseSchema, { id: target.id, creationDate: timestampFromDate(target.createdAt), signingKey });
    },
    updateTarget(req: UpdateTargetRequest, ctx: HandlerContext) {
      const { id, patch } = targetPatchFromProto(req, rules);
      const result = targets.update(id, patch, actorFrom(ctx));
      return create(UpdateTargetResponseSchema, { changeDate: timestampFromDate(result.changedAt), signingKey: result.signingKey });
    },
    deleteTarget(req: DeleteTargetRequest, ctx: HandlerContext) {
      const deletedAt = targets.delete(checkId("id", req.id), actorFrom(ctx));
      return create(DeleteTargetResponseSchema, { deletionDate: deletedAt && timestampFromDate(deletedAt) });
    },
    getTarget(req: GetTargetRequest) {
      return create(GetTargetResponseSchema, { target: targetToProto(targets.get(checkId("id", req.id))) });
    },
    listTargets(req: ListTargetsRequest) {
      const query = targetQueryFromProto(req);
      const { total, items } = targets.list(query);
      return create(ListTargetsResponseSchema, { pagination: paginationToProto(total, query.page), targets: items.map(targetToProto) });
    },
  };
}
