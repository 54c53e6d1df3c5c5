import { create } from "@bufbuild/protobuf";
import { invalidArgument } from "../domain/errors.js";
import type { PublicKeyFilter, PublicKeyQuery, PublicKeySort } from "../domain/queries.js";
import type { PublicKeyRecord } from "../store/public-key-store.js";
import { checkEnum, checkFilters, checkIdList, dateFromTimestamp, pageFromProto, timeMatchFromProto, timestampFromDate } from "./convert-common.js";
import { PublicKeySchema, type PublicKey } from "../../gen/zitadel/action/v2/target_pb.js";
import { PublicKeyFieldName, type PublicKeySearchFilter } from "../../gen/zitadel/action/v2/query_pb.js";
import type { ListPublicKeysRequest } from "../../gen/zitadel/action/v2/action_service_pb.js";

/** A stored key as the proto PublicKey. */
export function publicKeyToProto(k: PublicKeyRecord): PublicKey {
  return create(PublicKeySchema, {
    keyId: k.id,
    active: k.active,
    publicKey: new TextEncoder().encode(k.pem),
    fingerprint: k.fingerprint,
    expirationDate: k.expiresAt && timestampFromDate(k.expiresAt),
    creationDate: timestampFromDate(k.createdAt),
    changeDate: timestampFromDate(k.changedAt),
  });
}

const SORT: Record<PublicKeyFieldName, PublicKeySort> = {
  [PublicKeyFieldName.UNSPECIFIED]: "created",
  [PublicKeyFieldName.CREATION_DATE]: "created",
  [PublicKeyFieldName.CHANGE_DATE]: "changed",
  [PublicKeyFieldName.EXPIRATION_DATE]: "expiration",
};

function filterFromProto(f: PublicKeySearchFilter, i: number): PublicKeyFilter {
  const field = `filters[${i}]`;
  switch (f.filter.case) {
    case "keyIdsFilter":
      return { by: "ids", ids: checkIdList(`${field}.key_ids_filter.ids`, f.filter.value.ids) };
    case "activeFilter":
      return { by: "active", active: f.filter.value };
    case "expirationDateFilter": {
      const v = f.filter.value;
      if (!v.timestamp) throw invalidArgument(`${field}.expiration_date_filter.timestamp`, "is required");
      return {
        by: "expiration",
        method: timeMatchFromProto(`${field}.expiration_date_filter.method`, v.method),
        at: dateFromTimestamp(`${field}.expiration_date_filter.timestamp`, v.timestamp),
      };
    }
    default:
      throw invalidArgument(field, "one of key_ids_filter, active_filter or expiration_date_filter is required");
  }
}

/** Validates the query part of a ListPublicKeysRequest. */
export function publicKeyQueryFromProto(req: ListPublicKeysRequest): PublicKeyQuery {
  const column = checkEnum("sorting_column", req.sortingColumn, PublicKeyFieldName);
  return { filters: checkFilters(req.filters).map(filterFromProto), sort: SORT[column], page: pageFromProto(req.pagination) };
}
