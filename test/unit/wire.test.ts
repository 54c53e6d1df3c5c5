// Proves that the generated descriptors in gen/ match the wire contract in
// /work/shared/spec/api.md (sections 1, 2, 4-9, 11). Every table below is a transcription
// of the spec, not of the .proto files: when this test fails, either the protos drifted
// from the spec or the spec changed.
import { describe, expect, it } from "vitest";
import { getOption, ScalarType } from "@bufbuild/protobuf";
import type { DescEnum, DescField, DescFile, DescMessage, DescMethod } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { http } from "../../gen/google/api/annotations_pb.js";
import * as svc from "../../gen/zitadel/action/v2/action_service_pb.js";
import * as target from "../../gen/zitadel/action/v2/target_pb.js";
import * as execution from "../../gen/zitadel/action/v2/execution_pb.js";
import * as query from "../../gen/zitadel/action/v2/query_pb.js";
import * as filter from "../../gen/zitadel/filter/v2/filter_pb.js";

// ---------------------------------------------------------------------------------------
// Notation
// ---------------------------------------------------------------------------------------

/** "string" | "bool" | "bytes" | "uint32" | "uint64" | "msg:<full name>" | "enum:<full name>" */
type WireType = string;

interface FieldSpec {
  name: string;
  number: number;
  jsonName: string;
  type: WireType;
  /** `rep` = repeated, `p3o` = proto3 `optional` (explicit presence), undefined = singular. */
  label?: "rep" | "p3o";
  /** Name of the (real, non-synthetic) oneof the field belongs to. */
  oneof?: string;
}

interface MessageSpec {
  typeName: string;
  schema: DescMessage;
  fields: FieldSpec[];
  /** `reserved "<name>";` statements; every message not listed reserves nothing. */
  reservedNames?: string[];
}

interface EnumSpec {
  typeName: string;
  schema: DescEnum;
  values: [name: string, number: number][];
}

const f = (
  name: string,
  number: number,
  jsonName: string,
  type: WireType,
  label?: "rep" | "p3o",
  oneof?: string,
): FieldSpec => ({ name, number, jsonName, type, label, oneof });

const TIMESTAMP = "msg:google.protobuf.Timestamp";
const DURATION = "msg:google.protobuf.Duration";
const A = "zitadel.action.v2";
const FLT = "zitadel.filter.v2";
const msg = (pkg: string, name: string) => `msg:${pkg}.${name}`;
const enm = (pkg: string, name: string) => `enum:${pkg}.${name}`;

// ---------------------------------------------------------------------------------------
// Messages (spec §4 action_service.proto, §5 target.proto, §6 execution.proto,
// §7 query.proto, §8 filter/v2)
// ---------------------------------------------------------------------------------------

const pagedIdFields = [f("target_id", 1, "targetId", "string"), f("key_id", 2, "keyId", "string")];

const messages: MessageSpec[] = [
  // §4 action_service.proto
  {
    typeName: `${A}.CreateTargetRequest`,
    schema: svc.CreateTargetRequestSchema,
    fields: [
      f("name", 1, "name", "string"),
      f("rest_webhook", 2, "restWebhook", msg(A, "RESTWebhook"), undefined, "target_type"),
      f("rest_call", 3, "restCall", msg(A, "RESTCall"), undefined, "target_type"),
      f("rest_async", 4, "restAsync", msg(A, "RESTAsync"), undefined, "target_type"),
      f("timeout", 5, "timeout", DURATION),
      f("endpoint", 6, "endpoint", "string"),
      f("payload_type", 7, "payloadType", enm(A, "PayloadType")),
    ],
  },
  {
    typeName: `${A}.CreateTargetResponse`,
    schema: svc.CreateTargetResponseSchema,
    fields: [
      f("id", 1, "id", "string"),
      f("creation_date", 2, "creationDate", TIMESTAMP),
      f("signing_key", 3, "signingKey", "string"),
    ],
  },
  {
    typeName: `${A}.UpdateTargetRequest`,
    schema: svc.UpdateTargetRequestSchema,
    fields: [
      f("id", 1, "id", "string"),
      f("name", 2, "name", "string", "p3o"),
      f("rest_webhook", 3, "restWebhook", msg(A, "RESTWebhook"), undefined, "target_type"),
      f("rest_call", 4, "restCall", msg(A, "RESTCall"), undefined, "target_type"),
      f("rest_async", 5, "restAsync", msg(A, "RESTAsync"), undefined, "target_type"),
      f("timeout", 6, "timeout", DURATION, "p3o"),
      f("endpoint", 7, "endpoint", "string", "p3o"),
      f("expiration_signing_key", 8, "expirationSigningKey", DURATION, "p3o"),
      f("payload_type", 9, "payloadType", enm(A, "PayloadType")),
    ],
  },
  {
    typeName: `${A}.UpdateTargetResponse`,
    schema: svc.UpdateTargetResponseSchema,
    fields: [
      f("change_date", 1, "changeDate", TIMESTAMP),
      f("signing_key", 2, "signingKey", "string", "p3o"),
    ],
  },
  {
    typeName: `${A}.DeleteTargetRequest`,
    schema: svc.DeleteTargetRequestSchema,
    fields: [f("id", 1, "id", "string")],
  },
  {
    // Field number 3 on purpose; 1 and 2 are unused and not reserved (§4, §11 item 2).
    typeName: `${A}.DeleteTargetResponse`,
    schema: svc.DeleteTargetResponseSchema,
    fields: [f("deletion_date", 3, "deletionDate", TIMESTAMP)],
  },
  {
    typeName: `${A}.GetTargetRequest`,
    schema: svc.GetTargetRequestSchema,
    fields: [f("id", 1, "id", "string")],
  },
  {
    typeName: `${A}.GetTargetResponse`,
    schema: svc.GetTargetResponseSchema,
    fields: [f("target", 1, "target", msg(A, "Target"))],
  },
  {
    typeName: `${A}.ListTargetsRequest`,
    schema: svc.ListTargetsRequestSchema,
    fields: [
      f("pagination", 1, "pagination", msg(FLT, "PaginationRequest"), "p3o"),
      f("sorting_column", 2, "sortingColumn", enm(A, "TargetFieldName"), "p3o"),
      f("filters", 3, "filters", msg(A, "TargetSearchFilter"), "rep"),
    ],
  },
  {
    typeName: `${A}.ListTargetsResponse`,
    schema: svc.ListTargetsResponseSchema,
    fields: [
      f("pagination", 1, "pagination", msg(FLT, "PaginationResponse")),
      f("targets", 2, "targets", msg(A, "Target"), "rep"),
    ],
    reservedNames: ["result"],
  },
  {
    typeName: `${A}.AddPublicKeyRequest`,
    schema: svc.AddPublicKeyRequestSchema,
    fields: [
      f("target_id", 1, "targetId", "string"),
      f("public_key", 2, "publicKey", "bytes"),
      f("expiration_date", 3, "expirationDate", TIMESTAMP, "p3o"),
    ],
  },
  {
    typeName: `${A}.AddPublicKeyResponse`,
    schema: svc.AddPublicKeyResponseSchema,
    fields: [f("key_id", 1, "keyId", "string"), f("creation_date", 2, "creationDate", TIMESTAMP)],
  },
  { typeName: `${A}.ActivatePublicKeyRequest`, schema: svc.ActivatePublicKeyRequestSchema, fields: pagedIdFields },
  {
    typeName: `${A}.ActivatePublicKeyResponse`,
    schema: svc.ActivatePublicKeyResponseSchema,
    fields: [f("change_date", 1, "changeDate", TIMESTAMP)],
  },
  { typeName: `${A}.DeactivatePublicKeyRequest`, schema: svc.DeactivatePublicKeyRequestSchema, fields: pagedIdFields },
  {
    typeName: `${A}.DeactivatePublicKeyResponse`,
    schema: svc.DeactivatePublicKeyResponseSchema,
    fields: [f("change_date", 1, "changeDate", TIMESTAMP)],
  },
  { typeName: `${A}.RemovePublicKeyRequest`, schema: svc.RemovePublicKeyRequestSchema, fields: pagedIdFields },
  {
    // Numbered 1 here, unlike DeleteTargetResponse.deletion_date = 3.
    typeName: `${A}.RemovePublicKeyResponse`,
    schema: svc.RemovePublicKeyResponseSchema,
    fields: [f("deletion_date", 1, "deletionDate", TIMESTAMP)],
  },
  {
    // Newest (paged) shape, §9. sorting_column is NOT optional here (§11 item 3).
    typeName: `${A}.ListPublicKeysRequest`,
    schema: svc.ListPublicKeysRequestSchema,
    fields: [
      f("target_id", 1, "targetId", "string"),
      f("pagination", 2, "pagination", msg(FLT, "PaginationRequest"), "p3o"),
      f("sorting_column", 3, "sortingColumn", enm(A, "PublicKeyFieldName")),
      f("filters", 4, "filters", msg(A, "PublicKeySearchFilter"), "rep"),
    ],
  },
  {
    // Newest shape: public_keys moved to 2, pagination took 1 (§9 wire break).
    typeName: `${A}.ListPublicKeysResponse`,
    schema: svc.ListPublicKeysResponseSchema,
    fields: [
      f("pagination", 1, "pagination", msg(FLT, "PaginationResponse")),
      f("public_keys", 2, "publicKeys", msg(A, "PublicKey"), "rep"),
    ],
  },
  {
    typeName: `${A}.SetExecutionRequest`,
    schema: svc.SetExecutionRequestSchema,
    fields: [f("condition", 1, "condition", msg(A, "Condition")), f("targets", 2, "targets", "string", "rep")],
  },
  {
    typeName: `${A}.SetExecutionResponse`,
    schema: svc.SetExecutionResponseSchema,
    fields: [f("set_date", 1, "setDate", TIMESTAMP)],
  },
  {
    typeName: `${A}.ListExecutionsRequest`,
    schema: svc.ListExecutionsRequestSchema,
    fields: [
      f("pagination", 1, "pagination", msg(FLT, "PaginationRequest"), "p3o"),
      f("sorting_column", 2, "sortingColumn", enm(A, "ExecutionFieldName"), "p3o"),
      f("filters", 3, "filters", msg(A, "ExecutionSearchFilter"), "rep"),
    ],
  },
  {
    typeName: `${A}.ListExecutionsResponse`,
    schema: svc.ListExecutionsResponseSchema,
    fields: [
      f("pagination", 1, "pagination", msg(FLT, "PaginationResponse")),
      f("executions", 2, "executions", msg(A, "Execution"), "rep"),
    ],
    reservedNames: ["result"],
  },
  { typeName: `${A}.ListExecutionFunctionsRequest`, schema: svc.ListExecutionFunctionsRequestSchema, fields: [] },
  {
    typeName: `${A}.ListExecutionFunctionsResponse`,
    schema: svc.ListExecutionFunctionsResponseSchema,
    fields: [f("functions", 1, "functions", "string", "rep")],
  },
  { typeName: `${A}.ListExecutionMethodsRequest`, schema: svc.ListExecutionMethodsRequestSchema, fields: [] },
  {
    typeName: `${A}.ListExecutionMethodsResponse`,
    schema: svc.ListExecutionMethodsResponseSchema,
    fields: [f("methods", 1, "methods", "string", "rep")],
  },
  { typeName: `${A}.ListExecutionServicesRequest`, schema: svc.ListExecutionServicesRequestSchema, fields: [] },
  {
    typeName: `${A}.ListExecutionServicesResponse`,
    schema: svc.ListExecutionServicesResponseSchema,
    fields: [f("services", 1, "services", "string", "rep")],
  },

  // §5 target.proto
  {
    typeName: `${A}.Target`,
    schema: target.TargetSchema,
    fields: [
      f("id", 1, "id", "string"),
      f("creation_date", 2, "creationDate", TIMESTAMP),
      f("change_date", 3, "changeDate", TIMESTAMP),
      f("name", 4, "name", "string"),
      f("rest_webhook", 5, "restWebhook", msg(A, "RESTWebhook"), undefined, "target_type"),
      f("rest_call", 6, "restCall", msg(A, "RESTCall"), undefined, "target_type"),
      f("rest_async", 7, "restAsync", msg(A, "RESTAsync"), undefined, "target_type"),
      f("timeout", 8, "timeout", DURATION),
      f("endpoint", 9, "endpoint", "string"),
      f("signing_key", 10, "signingKey", "string"),
      f("payload_type", 11, "payloadType", enm(A, "PayloadType")),
    ],
  },
  {
    typeName: `${A}.RESTWebhook`,
    schema: target.RESTWebhookSchema,
    fields: [f("interrupt_on_error", 1, "interruptOnError", "bool")],
  },
  {
    typeName: `${A}.RESTCall`,
    schema: target.RESTCallSchema,
    fields: [f("interrupt_on_error", 1, "interruptOnError", "bool")],
  },
  { typeName: `${A}.RESTAsync`, schema: target.RESTAsyncSchema, fields: [] },
  {
    typeName: `${A}.PublicKey`,
    schema: target.PublicKeySchema,
    fields: [
      f("key_id", 1, "keyId", "string"),
      f("active", 2, "active", "bool"),
      f("public_key", 3, "publicKey", "bytes"),
      f("fingerprint", 4, "fingerprint", "string"),
      f("expiration_date", 5, "expirationDate", TIMESTAMP),
      f("creation_date", 6, "creationDate", TIMESTAMP),
      f("change_date", 7, "changeDate", TIMESTAMP),
    ],
  },

  // §6 execution.proto
  {
    typeName: `${A}.Execution`,
    schema: execution.ExecutionSchema,
    fields: [
      f("condition", 1, "condition", msg(A, "Condition")),
      f("creation_date", 2, "creationDate", TIMESTAMP),
      f("change_date", 3, "changeDate", TIMESTAMP),
      f("targets", 4, "targets", "string", "rep"),
    ],
  },
  {
    typeName: `${A}.Condition`,
    schema: execution.ConditionSchema,
    fields: [
      f("request", 1, "request", msg(A, "RequestExecution"), undefined, "condition_type"),
      f("response", 2, "response", msg(A, "ResponseExecution"), undefined, "condition_type"),
      f("function", 3, "function", msg(A, "FunctionExecution"), undefined, "condition_type"),
      f("event", 4, "event", msg(A, "EventExecution"), undefined, "condition_type"),
    ],
  },
  {
    typeName: `${A}.RequestExecution`,
    schema: execution.RequestExecutionSchema,
    fields: [
      f("method", 1, "method", "string", undefined, "condition"),
      f("service", 2, "service", "string", undefined, "condition"),
      f("all", 3, "all", "bool", undefined, "condition"),
    ],
  },
  {
    typeName: `${A}.ResponseExecution`,
    schema: execution.ResponseExecutionSchema,
    fields: [
      f("method", 1, "method", "string", undefined, "condition"),
      f("service", 2, "service", "string", undefined, "condition"),
      f("all", 3, "all", "bool", undefined, "condition"),
    ],
  },
  {
    // `name` is NOT in a oneof (§6.4).
    typeName: `${A}.FunctionExecution`,
    schema: execution.FunctionExecutionSchema,
    fields: [f("name", 1, "name", "string")],
  },
  {
    typeName: `${A}.EventExecution`,
    schema: execution.EventExecutionSchema,
    fields: [
      f("event", 1, "event", "string", undefined, "condition"),
      f("group", 2, "group", "string", undefined, "condition"),
      f("all", 3, "all", "bool", undefined, "condition"),
    ],
  },

  // §7 query.proto
  {
    typeName: `${A}.ExecutionSearchFilter`,
    schema: query.ExecutionSearchFilterSchema,
    fields: [
      f("in_conditions_filter", 1, "inConditionsFilter", msg(A, "InConditionsFilter"), undefined, "filter"),
      f("execution_type_filter", 2, "executionTypeFilter", msg(A, "ExecutionTypeFilter"), undefined, "filter"),
      f("target_filter", 3, "targetFilter", msg(A, "TargetFilter"), undefined, "filter"),
    ],
  },
  {
    typeName: `${A}.InConditionsFilter`,
    schema: query.InConditionsFilterSchema,
    fields: [f("conditions", 1, "conditions", msg(A, "Condition"), "rep")],
  },
  {
    typeName: `${A}.ExecutionTypeFilter`,
    schema: query.ExecutionTypeFilterSchema,
    fields: [f("execution_type", 1, "executionType", enm(A, "ExecutionType"))],
  },
  {
    typeName: `${A}.TargetFilter`,
    schema: query.TargetFilterSchema,
    fields: [f("target_id", 1, "targetId", "string")],
  },
  {
    typeName: `${A}.TargetSearchFilter`,
    schema: query.TargetSearchFilterSchema,
    fields: [
      f("target_name_filter", 1, "targetNameFilter", msg(A, "TargetNameFilter"), undefined, "filter"),
      // Message is InTargetIDsFilter, JSON key is inTargetIdsFilter (§7.2).
      f("in_target_ids_filter", 2, "inTargetIdsFilter", msg(A, "InTargetIDsFilter"), undefined, "filter"),
    ],
  },
  {
    typeName: `${A}.TargetNameFilter`,
    schema: query.TargetNameFilterSchema,
    fields: [
      f("target_name", 1, "targetName", "string"),
      f("method", 2, "method", enm(FLT, "TextFilterMethod")),
    ],
  },
  {
    typeName: `${A}.InTargetIDsFilter`,
    schema: query.InTargetIDsFilterSchema,
    fields: [f("target_ids", 1, "targetIds", "string", "rep")],
  },
  {
    typeName: `${A}.PublicKeySearchFilter`,
    schema: query.PublicKeySearchFilterSchema,
    fields: [
      f("key_ids_filter", 1, "keyIdsFilter", msg(FLT, "InIDsFilter"), undefined, "filter"),
      f("active_filter", 2, "activeFilter", "bool", undefined, "filter"),
      f("expiration_date_filter", 3, "expirationDateFilter", msg(FLT, "TimestampFilter"), undefined, "filter"),
    ],
  },

  // §8 filter/v2
  {
    typeName: `${FLT}.PaginationRequest`,
    schema: filter.PaginationRequestSchema,
    fields: [
      f("offset", 1, "offset", "uint64"),
      f("limit", 2, "limit", "uint32"),
      f("asc", 3, "asc", "bool"),
    ],
  },
  {
    typeName: `${FLT}.PaginationResponse`,
    schema: filter.PaginationResponseSchema,
    fields: [f("total_result", 1, "totalResult", "uint64"), f("applied_limit", 2, "appliedLimit", "uint64")],
  },
  {
    typeName: `${FLT}.TimestampFilter`,
    schema: filter.TimestampFilterSchema,
    fields: [
      f("timestamp", 1, "timestamp", TIMESTAMP),
      f("method", 2, "method", enm(FLT, "TimestampFilterMethod")),
    ],
  },
  {
    typeName: `${FLT}.InIDsFilter`,
    schema: filter.InIDsFilterSchema,
    fields: [f("ids", 1, "ids", "string", "rep")],
  },
  {
    typeName: `${FLT}.IDFilter`,
    schema: filter.IDFilterSchema,
    fields: [f("id", 1, "id", "string")],
  },
];

// ---------------------------------------------------------------------------------------
// Enums (§5.3, §7.4, §8)
// ---------------------------------------------------------------------------------------

const enums: EnumSpec[] = [
  {
    typeName: `${A}.PayloadType`,
    schema: target.PayloadTypeSchema,
    values: [
      ["PAYLOAD_TYPE_UNSPECIFIED", 0],
      ["PAYLOAD_TYPE_JSON", 1],
      ["PAYLOAD_TYPE_JWT", 2],
      ["PAYLOAD_TYPE_JWE", 3],
    ],
  },
  {
    typeName: `${A}.TargetFieldName`,
    schema: query.TargetFieldNameSchema,
    values: [
      ["TARGET_FIELD_NAME_UNSPECIFIED", 0],
      ["TARGET_FIELD_NAME_ID", 1],
      ["TARGET_FIELD_NAME_CREATED_DATE", 2],
      ["TARGET_FIELD_NAME_CHANGED_DATE", 3],
      ["TARGET_FIELD_NAME_NAME", 4],
      ["TARGET_FIELD_NAME_TARGET_TYPE", 5],
      ["TARGET_FIELD_NAME_URL", 6],
      ["TARGET_FIELD_NAME_TIMEOUT", 7],
      ["TARGET_FIELD_NAME_INTERRUPT_ON_ERROR", 8],
    ],
  },
  {
    typeName: `${A}.ExecutionType`,
    schema: query.ExecutionTypeSchema,
    values: [
      ["EXECUTION_TYPE_UNSPECIFIED", 0],
      ["EXECUTION_TYPE_REQUEST", 1],
      ["EXECUTION_TYPE_RESPONSE", 2],
      ["EXECUTION_TYPE_EVENT", 3],
      ["EXECUTION_TYPE_FUNCTION", 4],
    ],
  },
  {
    typeName: `${A}.ExecutionFieldName`,
    schema: query.ExecutionFieldNameSchema,
    values: [
      ["EXECUTION_FIELD_NAME_UNSPECIFIED", 0],
      ["EXECUTION_FIELD_NAME_ID", 1],
      ["EXECUTION_FIELD_NAME_CREATED_DATE", 2],
      ["EXECUTION_FIELD_NAME_CHANGED_DATE", 3],
    ],
  },
  {
    // CREATION_/CHANGE_, unlike the CREATED_/CHANGED_ of the target and execution enums (§7.4).
    typeName: `${A}.PublicKeyFieldName`,
    schema: query.PublicKeyFieldNameSchema,
    values: [
      ["PUBLIC_KEY_FIELD_NAME_UNSPECIFIED", 0],
      ["PUBLIC_KEY_FIELD_NAME_CREATION_DATE", 1],
      ["PUBLIC_KEY_FIELD_NAME_CHANGE_DATE", 2],
      ["PUBLIC_KEY_FIELD_NAME_EXPIRATION_DATE", 3],
    ],
  },
  {
    // No UNSPECIFIED: 0 is EQUALS (§8, §11 item 6).
    typeName: `${FLT}.TextFilterMethod`,
    schema: filter.TextFilterMethodSchema,
    values: [
      ["TEXT_FILTER_METHOD_EQUALS", 0],
      ["TEXT_FILTER_METHOD_EQUALS_IGNORE_CASE", 1],
      ["TEXT_FILTER_METHOD_STARTS_WITH", 2],
      ["TEXT_FILTER_METHOD_STARTS_WITH_IGNORE_CASE", 3],
      ["TEXT_FILTER_METHOD_CONTAINS", 4],
      ["TEXT_FILTER_METHOD_CONTAINS_IGNORE_CASE", 5],
      ["TEXT_FILTER_METHOD_ENDS_WITH", 6],
      ["TEXT_FILTER_METHOD_ENDS_WITH_IGNORE_CASE", 7],
    ],
  },
  {
    typeName: `${FLT}.TimestampFilterMethod`,
    schema: filter.TimestampFilterMethodSchema,
    values: [
      ["TIMESTAMP_FILTER_METHOD_EQUALS", 0],
      ["TIMESTAMP_FILTER_METHOD_AFTER", 1],
      ["TIMESTAMP_FILTER_METHOD_AFTER_OR_EQUALS", 2],
      ["TIMESTAMP_FILTER_METHOD_BEFORE", 3],
      ["TIMESTAMP_FILTER_METHOD_BEFORE_OR_EQUALS", 4],
    ],
  },
  {
    // Newest filter.v2 only; unused by the action service (§8).
    typeName: `${FLT}.ByteFilterMethod`,
    schema: filter.ByteFilterMethodSchema,
    values: [
      ["BYTE_FILTER_METHOD_EQUALS", 0],
      ["BYTE_FILTER_METHOD_NOT_EQUALS", 1],
    ],
  },
  {
    // Optional per §8 (present in older revisions and the vendored copy); wire-neutral.
    typeName: `${FLT}.ListFilterMethod`,
    schema: filter.ListFilterMethodSchema,
    values: [["LIST_FILTER_METHOD_IN", 0]],
  },
];

// ---------------------------------------------------------------------------------------
// Service (§2)
// ---------------------------------------------------------------------------------------

type Verb = "get" | "put" | "post" | "delete" | "patch";

interface RpcSpec {
  name: string;
  input: string;
  output: string;
  verb: Verb;
  path: string;
  /** "*" or "" (no body mapping). */
  body: "*" | "";
}

const rpc = (name: string, verb: Verb, path: string, body: "*" | ""): RpcSpec => ({
  name,
  input: `${A}.${name}Request`,
  output: `${A}.${name}Response`,
  verb,
  path,
  body,
});

const rpcs: RpcSpec[] = [
  rpc("CreateTarget", "post", "/v2/actions/targets", "*"),
  rpc("UpdateTarget", "post", "/v2/actions/targets/{id}", "*"),
  rpc("DeleteTarget", "delete", "/v2/actions/targets/{id}", ""),
  rpc("GetTarget", "get", "/v2/actions/targets/{id}", ""),
  rpc("ListTargets", "post", "/v2/actions/targets/search", "*"),
  rpc("AddPublicKey", "post", "/v2/actions/targets/{target_id}/publickeys", "*"),
  rpc("ActivatePublicKey", "post", "/v2/actions/targets/{target_id}/publickeys/{key_id}/activate", ""),
  rpc("DeactivatePublicKey", "post", "/v2/actions/targets/{target_id}/publickeys/{key_id}/deactivate", ""),
  rpc("RemovePublicKey", "delete", "/v2/actions/targets/{target_id}/publickeys/{key_id}", ""),
  rpc("ListPublicKeys", "post", "/v2/actions/targets/{target_id}/publickeys/search", "*"),
  rpc("SetExecution", "put", "/v2/actions/executions", "*"),
  rpc("ListExecutions", "post", "/v2/actions/executions/search", "*"),
  rpc("ListExecutionFunctions", "get", "/v2/actions/executions/functions", ""),
  rpc("ListExecutionMethods", "get", "/v2/actions/executions/methods", ""),
  rpc("ListExecutionServices", "get", "/v2/actions/executions/services", ""),
];

// ---------------------------------------------------------------------------------------
// Files (§1 layout and import graph; §5-§8 declaration order)
// ---------------------------------------------------------------------------------------

interface FileSpec {
  file: DescFile;
  name: string;
  packageName: string;
  /** Imports of other zitadel/ files (google/ imports are not part of the contract). */
  zitadelImports: string[];
  messages: string[];
  enums: string[];
  services: string[];
  /** Enums the spec allows but does not require (wire-neutral). */
  optionalEnums?: string[];
}

const files: FileSpec[] = [
  {
    file: svc.file_zitadel_action_v2_action_service,
    name: "zitadel/action/v2/action_service.proto",
    packageName: A,
    zitadelImports: [
      "zitadel/action/v2/execution.proto",
      "zitadel/action/v2/query.proto",
      "zitadel/action/v2/target.proto",
      "zitadel/filter/v2/filter.proto",
    ],
    messages: rpcs.flatMap((r) => [r.input, r.output]).map((n) => n.slice(A.length + 1)),
    enums: [],
    services: ["ActionService"],
  },
  {
    file: target.file_zitadel_action_v2_target,
    name: "zitadel/action/v2/target.proto",
    packageName: A,
    zitadelImports: [],
    messages: ["Target", "RESTWebhook", "RESTCall", "RESTAsync", "PublicKey"],
    enums: ["PayloadType"],
    services: [],
  },
  {
    file: execution.file_zitadel_action_v2_execution,
    name: "zitadel/action/v2/execution.proto",
    packageName: A,
    zitadelImports: [],
    messages: [
      "Execution",
      "Condition",
      "RequestExecution",
      "ResponseExecution",
      "FunctionExecution",
      "EventExecution",
    ],
    enums: [],
    services: [],
  },
  {
    file: query.file_zitadel_action_v2_query,
    name: "zitadel/action/v2/query.proto",
    packageName: A,
    zitadelImports: ["zitadel/action/v2/execution.proto", "zitadel/filter/v2/filter.proto"],
    messages: [
      "ExecutionSearchFilter",
      "InConditionsFilter",
      "ExecutionTypeFilter",
      "TargetFilter",
      "TargetSearchFilter",
      "TargetNameFilter",
      "InTargetIDsFilter",
      "PublicKeySearchFilter",
    ],
    enums: ["TargetFieldName", "ExecutionType", "ExecutionFieldName", "PublicKeyFieldName"],
    services: [],
  },
  {
    file: filter.file_zitadel_filter_v2_filter,
    name: "zitadel/filter/v2/filter.proto",
    packageName: FLT,
    zitadelImports: [],
    messages: ["PaginationRequest", "PaginationResponse", "IDFilter", "TimestampFilter", "InIDsFilter"],
    enums: ["TextFilterMethod", "TimestampFilterMethod", "ByteFilterMethod"],
    services: [],
    optionalEnums: ["ListFilterMethod"],
  },
];

// ---------------------------------------------------------------------------------------
// Reading the descriptors
// ---------------------------------------------------------------------------------------

function wireTypeOf(field: DescField): WireType {
  switch (field.fieldKind) {
    case "scalar":
      return ScalarType[field.scalar].toLowerCase();
    case "enum":
      return `enum:${field.enum.typeName}`;
    case "message":
      return `msg:${field.message.typeName}`;
    case "list":
      switch (field.listKind) {
        case "scalar":
          return ScalarType[field.scalar].toLowerCase();
        case "enum":
          return `enum:${field.enum.typeName}`;
        case "message":
          return `msg:${field.message.typeName}`;
      }
      break;
    case "map":
      return `map<${ScalarType[field.mapKey].toLowerCase()}, ${field.mapKind}>`;
  }
  return "unknown";
}

function actualField(field: DescField): FieldSpec {
  return {
    name: field.name,
    number: field.number,
    jsonName: field.jsonName,
    type: wireTypeOf(field),
    label: field.fieldKind === "list" ? "rep" : field.proto.proto3Optional ? "p3o" : undefined,
    oneof: field.oneof?.name,
  };
}

function byNumber(fields: FieldSpec[]): FieldSpec[] {
  return [...fields].sort((a, b) => a.number - b.number || a.name.localeCompare(b.name));
}

const allFiles = files.map((s) => s.file);

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

describe("wire contract (spec/api.md): messages", () => {
  it("covers every message declared in the action and filter files", () => {
    const declared = allFiles.flatMap((file) => file.messages.map((m) => m.typeName)).sort();
    expect(messages.map((m) => m.typeName).sort()).toEqual(declared);
  });

  it.each(messages.map((m) => [m.typeName, m] as const))("%s: type name, fields, oneofs, reserved names", (typeName, spec) => {
    const desc = spec.schema;
    expect(desc.typeName).toBe(typeName);
    expect(desc.kind).toBe("message");
    expect(desc.file.proto.syntax).toBe("proto3");

    // Field by field: name, number, JSON name, type, repeated / P3O / singular, oneof.
    // Comparing whole lists also proves there are no extra and no missing fields.
    expect(byNumber(desc.fields.map(actualField))).toEqual(byNumber(spec.fields));

    // Lower-level cross-check on the raw descriptor proto: the proto3_optional flag is set
    // exactly on the P3O fields, and only P3O fields live in synthetic oneofs.
    for (const field of desc.fields) {
      const p3o = spec.fields.find((s) => s.number === field.number)?.label === "p3o";
      expect(field.proto.proto3Optional, `${typeName}.${field.name} proto3_optional`).toBe(p3o);
      if (p3o) {
        expect(field.oneof, `${typeName}.${field.name} must not be in a real oneof`).toBeUndefined();
        const synthetic = desc.proto.oneofDecl[field.proto.oneofIndex];
        expect(synthetic?.name, `${typeName}.${field.name} synthetic oneof`).toBe(`_${field.name}`);
      }
    }

    // Real (non-synthetic) oneofs: exactly the groups named in the spec, with exactly their members.
    const expectedOneofs = new Map<string, string[]>();
    for (const s of spec.fields) {
      if (s.oneof) expectedOneofs.set(s.oneof, [...(expectedOneofs.get(s.oneof) ?? []), s.name]);
    }
    const actualOneofs = new Map(desc.oneofs.map((o) => [o.name, o.fields.map((x) => x.name)]));
    expect(Object.fromEntries(actualOneofs)).toEqual(Object.fromEntries(expectedOneofs));

    // Reserved names / ranges (`reserved "result";` is a name only, no number).
    expect(desc.proto.reservedName).toEqual(spec.reservedNames ?? []);
    expect(desc.proto.reservedRange).toEqual([]);

    // Nothing hidden inside: no nested types, no extensions.
    expect(desc.nestedMessages.map((m) => m.typeName)).toEqual([]);
    expect(desc.nestedEnums.map((e) => e.typeName)).toEqual([]);
    expect(desc.nestedExtensions.map((e) => e.typeName)).toEqual([]);
  });
});

describe("wire contract (spec/api.md): enums", () => {
  it("covers every enum declared in the action and filter files", () => {
    const declared = allFiles.flatMap((file) => file.enums.map((e) => e.typeName)).sort();
    expect(enums.map((e) => e.typeName).sort()).toEqual(declared);
  });

  it.each(enums.map((e) => [e.typeName, e] as const))("%s: every value name and number", (typeName, spec) => {
    const desc = spec.schema;
    expect(desc.typeName).toBe(typeName);
    expect(desc.kind).toBe("enum");
    expect(desc.values.map((v) => [v.name, v.number])).toEqual(spec.values);
    expect(desc.proto.options?.allowAlias ?? false).toBe(false);
  });
});

describe("wire contract (spec/api.md): ActionService", () => {
  const service = svc.ActionService;

  it("is zitadel.action.v2.ActionService with exactly the 15 RPCs in declaration order", () => {
    expect(service.typeName).toBe("zitadel.action.v2.ActionService");
    expect(service.file.proto.package).toBe(A);
    expect(service.methods.map((m) => m.name)).toEqual(rpcs.map((r) => r.name));
    expect(service.methods).toHaveLength(15);
  });

  it.each(rpcs.map((r, i) => [i + 1, r.name, r] as const))(
    "RPC %i %s: input/output types, unary, HTTP rule",
    (_index, name, spec) => {
      const method: DescMethod | undefined = service.methods.find((m) => m.name === name);
      expect(method, `method ${name}`).toBeDefined();
      if (!method) return;
      expect(method.name).toBe(name);
      expect(method.input.typeName).toBe(spec.input);
      expect(method.output.typeName).toBe(spec.output);
      expect(method.methodKind).toBe("unary");
      // No RPC sets idempotency_level, so Connect GET is not available (§2).
      expect(method.idempotency).toBe(MethodOptions_IdempotencyLevel.IDEMPOTENCY_UNKNOWN);

      const rule = getOption(method, http);
      expect({
        verb: rule.pattern.case,
        path: rule.pattern.value,
        body: rule.body,
        responseBody: rule.responseBody,
        additionalBindings: rule.additionalBindings.length,
      }).toEqual({ verb: spec.verb, path: spec.path, body: spec.body, responseBody: "", additionalBindings: 0 });

      // Path variables use proto field names of the request message (§2).
      for (const variable of spec.path.matchAll(/\{([a-z_]+)\}/g)) {
        expect(method.input.fields.map((x) => x.name), `${name} path variable`).toContain(variable[1]);
      }
    },
  );
});

describe("wire contract (spec/api.md): files, packages and imports", () => {
  it.each(files.map((s) => [s.name, s] as const))(
    "%s: package, zitadel imports, declaration order",
    (name, spec) => {
      const file = spec.file;
      expect(file.proto.name).toBe(name);
      expect(file.proto.package).toBe(spec.packageName);
      expect(file.proto.syntax).toBe("proto3");
      expect(
        file.dependencies
          .map((d) => d.name + ".proto")
          .filter((d) => d.startsWith("zitadel/"))
          .sort(),
      ).toEqual(spec.zitadelImports);
      expect(file.messages.map((m) => m.name)).toEqual(spec.messages);
      const optional = new Set(spec.optionalEnums ?? []);
      expect(file.enums.map((e) => e.name).filter((e) => !optional.has(e))).toEqual(spec.enums);
      expect(file.services.map((s) => s.name)).toEqual(spec.services);
      expect(file.extensions.map((e) => e.typeName)).toEqual([]);
    },
  );
});
