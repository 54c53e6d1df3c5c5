import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import type { PublicKeyStore } from "../store/public-key-store.js";
import { checkId } from "../domain/target.js";
import { parsePublicKeyPem } from "../domain/public-key.js";
import { actorFrom } from "./actor.js";
import { dateFromTimestamp, paginationToProto, timestampFromDate } from "./convert-common.js";
import { publicKeyQueryFromProto, publicKeyToProto } from "./convert-public-key.js";
import {
  ActivatePublicKeyResponseSchema,
  AddPublicKeyResponseSchema,
  DeactivatePublicKeyResponseSchema,
  ListPublicKeysResponseSchema,
  RemovePublicKeyResponseSchema,
  type ActivatePublicKeyRequest,
  type AddPublicKeyRequest,
  type DeactivatePublicKeyRequest,
  type ListPublicKeysRequest,
  type RemovePublicKeyRequest,
} from "../../gen/zitadel/action/v2/action_service_pb.js";

/** Handlers of the five public-key RPCs. */
export function createPublicKeyHandlers(deps: { publicKeys: PublicKeyStore }) {
  const { publicKeys } = deps;
  const ids = (req: { targetId: string; keyId: string }) => [checkId("target_id", req.targetId), checkId("key_id", req.keyId)] as const;
  return {
    addPublicKey(req: AddPublicKeyRequest, ctx: HandlerContext) {
      const targetId = checkId("target_id", req.targetId);
      const key = parsePublicKeyPem(req.publicKey);
      const expiresAt = req.expirationDate && dateFromTimestamp("expiration_date", req.expirationDate);
      const added = publicKeys.add(targetId, key, expiresAt, actorFrom(ctx));
      return create(AddPublicKeyResponseSchema, { keyId: added.id, creationDate: timestampFromDate(added.createdAt) });
    },
    activatePublicKey(req: ActivatePublicKeyRequest, ctx: HandlerContext) {
      const [targetId, keyId] = ids(req);
      return create(ActivatePublicKeyResponseSchema, { changeDate: timestampFromDate(publicKeys.activate(targetId, keyId, actorFrom(ctx))) });
    },
    deactivatePublicKey(req: DeactivatePublicKeyRequest, ctx: HandlerContext) {
      const [targetId, keyId] = ids(req);
      return create(DeactivatePublicKeyResponseSchema, { changeDate: timestampFromDate(publicKeys.deactivate(targetId, keyId, actorFrom(ctx))) });
    },
    removePublicKey(req: RemovePublicKeyRequest, ctx: HandlerContext) {
      const [targetId, keyId] = ids(req);
      const removedAt = publicKeys.remove(targetId, keyId, actorFrom(ctx));
      return create(RemovePublicKeyResponseSchema, { deletionDate: removedAt && timestampFromDate(removedAt) });
    },
    listPublicKeys(req: ListPublicKeysRequest) {
      const targetId = checkId("target_id", req.targetId);
      const query = publicKeyQueryFromProto(req);
      const { total, items } = publicKeys.list(targetId, query);
      return create(ListPublicKeysResponseSchema, { pagination: paginationToProto(total, query.page), publicKeys: items.map(publicKeyToProto) });
    },
  };
}
