import { create } from "@bufbuild/protobuf";
import { invalidArgument } from "../domain/errors.js";
import {
  checkGraceMs,
  checkId,
  checkLength,
  checkTargetName,
  checkTimeoutMs,
  MAX_ENDPOINT_LENGTH,
  type NewTarget,
  type PayloadType as DomainPayloadType,
  type Target,
  type TargetPatch,
  type TargetType,
} from "../domain/target.js";
import type { TargetFilter, TargetQuery, TargetSort } from "../domain/queries.js";
import { checkEndpointUrl } from "../net/address-policy.js";
import { checkEnum, checkFilters, checkIdList, durationFromMs, msFromDuration, pageFromProto, textMatchFromProto, timestampFromDate } from "./convert-common.js";
import { PayloadType, TargetSchema, RESTWebhookSchema, RESTCallSchema, RESTAsyncSchema, type Target as ProtoTarget } from "../../gen/zitadel/action/v2/target_pb.js";
import { TargetFieldName, type TargetSearchFilter } from "../../gen/zitadel/action/v2/query_pb.js";
import type { CreateTargetRequest, ListTargetsRequest, UpdateTargetRequest } from "../../gen/zitadel/action/v2/action_service_pb.js";

/** Options that change how input is judged. */
export interface TargetRules {
  /** Development mode: `http://` and loopback endpoints are allowed. */
  dev: boolean;
}

type TargetTypeOneof = CreateTargetRequest["targetType"];

const PAYLOAD_FROM_PROTO: Record<PayloadType, DomainPayloadType> = {
  // Unspecified is stored (and read back) as JSON, which is how it behaves.
  [PayloadType.UNSPECIFIED]: "json",
  [PayloadType.JSON]: "json",
  [PayloadType.JWT]: "jwt",
  [PayloadType.JWE]: "jwe",
};
const PAYLOAD_TO_PROTO: Record<DomainPayloadType, PayloadType> = { json: PayloadType.JSON, jwt: PayloadType.JWT, jwe: PayloadType.JWE };

function kindFromProto(t: TargetTypeOneof): { type: TargetType; interruptOnError: boolean } | undefined {
  switch (t.case) {
    case "restWebhook":
      return { type: "webhook", interruptOnError: t.value.interruptOnError };
    case "restCall":
      return { type: "call", interruptOnError: t.value.interruptOnError };
    case "restAsync":
      return { type: "async", interruptOnError: false }; // async never interrupts
    default:
      return undefined;
  }
}

function checkEndpoint(field: string, endpoint: string, rules: TargetRules): string {
  checkLength(field, endpoint, 1, MAX_ENDPOINT_LENGTH);
  const verdict = checkEndpointUrl(endpoint, { dev: rules.dev });
  if (!verdict.ok) throw invalidArgument(field, verdict.problem, "target.invalid_endpoint");
  return endpoint;
}

/** Validates a CreateTargetRequest into a new target. */
export function newTargetFromProto(req: CreateTargetRequest, rules: TargetRules): NewTarget {
  const name = checkTargetName("name", req.name);
  const kind = kindFromProto(req.targetType);
  if (!kind) throw invalidArgument("target_type", "one of rest_webhook, rest_call or rest_async is required");
  const timeoutMs = checkTimeoutMs("timeout", req.timeout && msFromDuration("timeout", req.timeout));
  const endpoint = checkEndpoint("endpoint", req.endpoint, rules);
  const payloadType = PAYLOAD_FROM_PROTO[checkEnum("payload_type", req.payloadType, PayloadType)];
  return { name, ...kind, endpoint, timeoutMs, payloadType };
}

/** Validates an UpdateTargetRequest into an id and a patch (absent fields stay unchanged). */
export function targetPatchFromProto(req: UpdateTargetRequest, rules: TargetRules): { id: string; patch: TargetPatch } {
  const id = checkId("id", req.id);
  const patch: TargetPatch = {};
  if (req.name !== undefined) patch.name = checkTargetName("name", req.name);
  const kind = kindFromProto(req.targetType);
  if (kind) patch.kind = kind;
  if (req.timeout !== undefined) patch.timeoutMs = checkTimeoutMs("timeout", msFromDuration("timeout", req.timeout));
  if (req.endpoint !== undefined) patch.endpoint = checkEndpoint("endpoint", req.endpoint, rules);
  if (checkEnum("payload_type", req.payloadType, PayloadType) !== PayloadType.UNSPECIFIED) patch.payloadType = PAYLOAD_FROM_PROTO[req.payloadType];
  if (req.expirationSigningKey !== undefined)
    patch.rotateSigningKey = { graceMs: checkGraceMs("expiration_signing_key", msFromDuration("expiration_signing_key", req.expirationSigningKey)) };
  return { id, patch };
}

/** A stored target as the proto Target; the signing key is never included (Tether decision §4). */
export function targetToProto(t: Target): ProtoTarget {
  const targetType: ProtoTarget["targetType"] =
    t.type === "webhook"
      ? { case: "restWebhook", value: create(RESTWebhookSchema, { interruptOnError: t.interruptOnError }) }
      : t.type === "call"
        ? { case: "restCall", value: create(RESTCallSchema, { interruptOnError: t.interruptOnError }) }
        : { case: "restAsync", value: create(RESTAsyncSchema) };
  return create(TargetSchema, {
    id: t.id,
    creationDate: timestampFromDate(t.createdAt),
    changeDate: timestampFromDate(t.changedAt),
    name: t.name,
    targetType,
    timeout: durationFromMs(t.timeoutMs),
    endpoint: t.endpoint,
    payloadType: PAYLOAD_TO_PROTO[t.payloadType],
  });
}

const SORT: Record<TargetFieldName, TargetSort> = {
  [TargetFieldName.UNSPECIFIED]: "created",
  [TargetFieldName.ID]: "id",
  [TargetFieldName.CREATED_DATE]: "created",
  [TargetFieldName.CHANGED_DATE]: "changed",
  [TargetFieldName.NAME]: "name",
  [TargetFieldName.TARGET_TYPE]: "type",
  [TargetFieldName.URL]: "endpoint",
  [TargetFieldName.TIMEOUT]: "timeout",
  [TargetFieldName.INTERRUPT_ON_ERROR]: "interrupt",
};

function targetFilterFromProto(f: TargetSearchFilter, i: number): TargetFilter {
  const field = `filters[${i}]`;
  switch (f.filter.case) {
    case "targetNameFilter": {
      const value = f.filter.value.targetName;
      if ([...value].length > 200) throw invalidArgument(`${field}.target_name_filter.target_name`, "must be at most 200 characters");
      return { by: "name", method: textMatchFromProto(`${field}.target_name_filter.method`, f.filter.value.method), value };
    }
    case "inTargetIdsFilter":
      return { by: "ids", ids: checkIdList(`${field}.in_target_ids_filter.target_ids`, f.filter.value.targetIds) };
    default:
      throw invalidArgument(field, "one of target_name_filter or in_target_ids_filter is required");
  }
}

/** Validates a ListTargetsRequest. */
export function targetQueryFromProto(req: ListTargetsRequest): TargetQuery {
  const column = checkEnum("sorting_column", req.sortingColumn ?? TargetFieldName.UNSPECIFIED, TargetFieldName);
  return { filters: checkFilters(req.filters).map(targetFilterFromProto), sort: SORT[column], page: pageFromProto(req.pagination) };
}
