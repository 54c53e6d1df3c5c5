// Proves that Tether's zitadel.action.v2beta protos are the ones the published SDK speaks (the descriptors
// embedded in @zitadel/proto 1.3.1 are the reference), that every v2beta field has a v2 twin the adapter can
// carry it to, and that the adapter's conversion drops exactly what the other version cannot express.
import { describe, expect, it } from "vitest";
import { create, fromBinary, getOption, hasOption, toBinary, ScalarType } from "@bufbuild/protobuf";
import type { DescEnum, DescField, DescFile, DescMessage, DescService } from "@bufbuild/protobuf";
import { http } from "../../gen/google/api/annotations_pb.js";
import { field_behavior } from "../../gen/google/api/field_behavior_pb.js";
import * as ours from "../../gen/zitadel/action/v2beta/action_service_pb.js";
import { file_zitadel_action_v2beta_target as ourTarget } from "../../gen/zitadel/action/v2beta/target_pb.js";
import { file_zitadel_action_v2beta_execution as ourExecution } from "../../gen/zitadel/action/v2beta/execution_pb.js";
import { file_zitadel_action_v2beta_query as ourQuery } from "../../gen/zitadel/action/v2beta/query_pb.js";
import { file_zitadel_filter_v2beta_filter as ourFilter } from "../../gen/zitadel/filter/v2beta/filter_pb.js";
import * as v2 from "../../gen/zitadel/action/v2/action_service_pb.js";
import { PayloadType, TargetSchema as V2TargetSchema } from "../../gen/zitadel/action/v2/target_pb.js";
import { TargetSchema as V2betaTargetSchema } from "../../gen/zitadel/action/v2beta/target_pb.js";
import { file_zitadel_action_v2beta_action_service as sdkService } from "@zitadel/proto/zitadel/action/v2beta/action_service_pb.js";
import { file_zitadel_action_v2beta_target as sdkTarget } from "@zitadel/proto/zitadel/action/v2beta/target_pb.js";
import { file_zitadel_action_v2beta_execution as sdkExecution } from "@zitadel/proto/zitadel/action/v2beta/execution_pb.js";
import { file_zitadel_action_v2beta_query as sdkQuery } from "@zitadel/proto/zitadel/action/v2beta/query_pb.js";
import { file_zitadel_filter_v2beta_filter as sdkFilter } from "@zitadel/proto/zitadel/filter/v2beta/filter_pb.js";
import { reinterpret } from "../../src/api/v2beta/reinterpret.js";
import { checkV2betaEndpoint, V2BETA_MAX_ENDPOINT_LENGTH } from "../../src/api/v2beta/limits.js";
import { DomainError } from "../../src/domain/errors.js";

/** A field's wire type in one word: a scalar name, or "msg:"/"enum:" plus the full type name. */
function wireType(f: DescField): string {
  const kind = f.fieldKind === "list" ? f.listKind : f.fieldKind;
  if (kind === "message") return `msg:${f.message!.typeName}`;
  if (kind === "enum") return `enum:${f.enum!.typeName}`;
  if (f.fieldKind === "map") return `map:${ScalarType[f.mapKey]}`;
  return ScalarType[f.scalar!];
}

/** Everything about a field that reaches the wire or the generated API. */
function fieldShape(f: DescField) {
  return {
    name: f.name,
    number: f.number,
    jsonName: f.jsonName,
    type: wireType(f),
    repeated: f.fieldKind === "list",
    optional: f.proto.proto3Optional,
    oneof: f.oneof?.name,
    behavior: hasOption(f, field_behavior) ? getOption(f, field_behavior) : [],
  };
}

function messageShape(m: DescMessage): unknown {
  return {
    typeName: m.typeName,
    fields: m.fields.map(fieldShape),
    oneofs: m.oneofs.map((o) => o.name),
    reservedNames: m.proto.reservedName,
    reservedRanges: m.proto.reservedRange.map((r) => [r.start, r.end]),
    nested: m.nestedMessages.map(messageShape),
    nestedEnums: m.nestedEnums.map(enumShape),
  };
}

function enumShape(e: DescEnum) {
  return { typeName: e.typeName, values: e.values.map((v) => [v.name, v.number]) };
}

function serviceShape(s: DescService) {
  return {
    typeName: s.typeName,
    deprecated: s.deprecated,
    methods: s.methods.map((m) => {
      const rule = hasOption(m, http) ? getOption(m, http) : undefined;
      return {
        name: m.name,
        kind: m.methodKind,
        input: m.input.typeName,
        output: m.output.typeName,
        idempotency: m.idempotency,
        deprecated: m.deprecated,
        http: rule && {
          verb: rule.pattern.case,
          path: rule.pattern.value,
          body: rule.body,
          responseBody: rule.responseBody,
          additionalBindings: rule.additionalBindings.length,
        },
      };
    }),
  };
}

function fileShape(f: DescFile) {
  return {
    name: f.name,
    package: f.proto.package,
    goPackage: f.proto.options?.goPackage,
    messages: f.messages.map(messageShape),
    enums: f.enums.map(enumShape),
    services: f.services.map(serviceShape),
  };
}

const FILES: [string, DescFile, DescFile][] = [
  ["zitadel/action/v2beta/action_service", ours.file_zitadel_action_v2beta_action_service, sdkService],
  ["zitadel/action/v2beta/target", ourTarget, sdkTarget],
  ["zitadel/action/v2beta/execution", ourExecution, sdkExecution],
  ["zitadel/action/v2beta/query", ourQuery, sdkQuery],
  ["zitadel/filter/v2beta/filter", ourFilter, sdkFilter],
];

describe("v2beta protos against @zitadel/proto 1.3.1", () => {
  it.each(FILES)("%s has the SDK's messages, fields, json names, oneofs, enums, RPCs and http rules", (_name, mine, sdk) => {
    expect(fileShape(mine)).toEqual(fileShape(sdk));
  });

  it("compares real content (the SDK descriptors are not empty)", () => {
    const sdkShape = fileShape(sdkService);
    expect(sdkShape.services[0]?.methods).toHaveLength(10);
    expect(sdkShape.messages).toHaveLength(20);
    expect(sdkShape.services[0]?.methods[0]?.http).toEqual({ verb: "post", path: "/v2beta/actions/targets", body: "*", responseBody: "", additionalBindings: 0 });
  });
});

/** The v2 name of a v2beta type (same simple name, v2 package). */
const toV2Name = (typeName: string) => typeName.replace("zitadel.action.v2beta.", "zitadel.action.v2.").replace("zitadel.filter.v2beta.", "zitadel.filter.v2.");

/** The fields v2 has and v2beta lacks, by v2 message. */
const V2_ONLY = {
  "zitadel.action.v2.CreateTargetRequest": ["payload_type"],
  "zitadel.action.v2.UpdateTargetRequest": ["payload_type"],
  "zitadel.action.v2.Target": ["payload_type"],
};

const v2betaMessages = FILES.flatMap(([, mine]) => mine.messages);
const v2betaEnums = FILES.flatMap(([, mine]) => mine.enums);

describe("every v2beta message has a v2 twin with the same wire layout", () => {
  it.each(v2betaMessages.map((m) => [m.typeName, m] as const))("%s", (_name, beta) => {
    const twin = findV2Message(toV2Name(beta.typeName));
    expect(twin, `no v2 message ${toV2Name(beta.typeName)}`).toBeDefined();
    const v2Fields = new Map(twin!.fields.map((f) => [f.number, f]));
    for (const f of beta.fields) {
      const t = v2Fields.get(f.number);
      expect(t, `${beta.typeName}.${f.name} has no v2 field ${f.number}`).toBeDefined();
      expect({ ...fieldShape(t!), behavior: [] }).toEqual({ ...fieldShape(f), type: toV2Name(fieldShape(f).type), behavior: [] });
    }
    const extra = twin!.fields.filter((f) => !beta.fields.some((b) => b.number === f.number)).map((f) => f.name);
    expect(extra).toEqual(V2_ONLY[twin!.typeName as keyof typeof V2_ONLY] ?? []);
  });

  it.each(v2betaEnums.map((e) => [e.typeName, e] as const))("enum %s has the same numbers in v2", (_name, beta) => {
    const twin = findV2Enum(toV2Name(beta.typeName));
    expect(twin, `no v2 enum ${toV2Name(beta.typeName)}`).toBeDefined();
    // Numbers carry the meaning on the wire; filter.v2beta renames the timestamp methods (GREATER is v2's AFTER).
    expect(twin!.values.map((v) => v.number)).toEqual(beta.values.map((v) => v.number));
  });
});

function v2Files(): DescFile[] {
  const service = v2.file_zitadel_action_v2_action_service;
  return [service, ...service.dependencies.filter((d) => d.name.startsWith("zitadel/"))];
}

function findV2Message(typeName: string): DescMessage | undefined {
  return v2Files()
    .flatMap((f) => f.messages)
    .find((m) => m.typeName === typeName);
}

function findV2Enum(typeName: string): DescEnum | undefined {
  return v2Files()
    .flatMap((f) => f.enums)
    .find((e) => e.typeName === typeName);
}

describe("reinterpret", () => {
  it("carries every field of a v2beta request to v2, oneofs and explicit presence included", () => {
    const beta = create(ours.UpdateTargetRequestSchema, {
      id: "t1",
      name: "",
      targetType: { case: "restAsync", value: {} },
      timeout: { seconds: 3n },
      endpoint: "https://hooks.example.net/",
      expirationSigningKey: { seconds: 0n },
    });
    const asV2 = reinterpret(ours.UpdateTargetRequestSchema, v2.UpdateTargetRequestSchema, beta);
    expect(asV2).toMatchObject({
      $typeName: "zitadel.action.v2.UpdateTargetRequest",
      id: "t1",
      name: "",
      targetType: { case: "restAsync", value: { $typeName: "zitadel.action.v2.RESTAsync" } },
      timeout: { seconds: 3n, nanos: 0 },
      endpoint: "https://hooks.example.net/",
      expirationSigningKey: { seconds: 0n, nanos: 0 },
      payloadType: PayloadType.UNSPECIFIED,
    });
  });

  it("keeps a false `all` in a condition oneof, so v2 can reject it", () => {
    const beta = create(ours.SetExecutionRequestSchema, { condition: { conditionType: { case: "request", value: { condition: { case: "all", value: false } } } } });
    const asV2 = reinterpret(ours.SetExecutionRequestSchema, v2.SetExecutionRequestSchema, beta);
    expect(asV2.condition?.conditionType).toMatchObject({ case: "request", value: { condition: { case: "all", value: false } } });
  });

  it("does not pass a stray payload_type that a binary v2beta client sent on to v2", () => {
    const wire = toBinary(v2.CreateTargetRequestSchema, create(v2.CreateTargetRequestSchema, { name: "n", payloadType: PayloadType.JWE }));
    const beta = fromBinary(ours.CreateTargetRequestSchema, wire);
    expect(beta.$unknown).toHaveLength(1);
    expect(reinterpret(ours.CreateTargetRequestSchema, v2.CreateTargetRequestSchema, beta).payloadType).toBe(PayloadType.UNSPECIFIED);
  });

  it("drops a v2 target's payload_type instead of showing it to v2beta as an unknown field", () => {
    const target = create(V2TargetSchema, { id: "t1", name: "n", payloadType: PayloadType.JWT, targetType: { case: "restWebhook", value: { interruptOnError: true } } });
    const beta = reinterpret(V2TargetSchema, V2betaTargetSchema, target);
    expect(beta).toMatchObject({ id: "t1", name: "n", targetType: { case: "restWebhook", value: { interruptOnError: true } } });
    expect(beta.$unknown).toBeUndefined();
    expect(toBinary(V2betaTargetSchema, beta)).toEqual(toBinary(V2TargetSchema, { ...target, payloadType: PayloadType.UNSPECIFIED }));
  });
});

describe("checkV2betaEndpoint", () => {
  it("allows up to 1000 characters and leaves absent or empty endpoints to v2", () => {
    expect(() => checkV2betaEndpoint("x".repeat(V2BETA_MAX_ENDPOINT_LENGTH))).not.toThrow();
    expect(() => checkV2betaEndpoint(undefined)).not.toThrow();
    expect(() => checkV2betaEndpoint("")).not.toThrow();
  });

  it("rejects 1001 characters (v2 would take 2048) with INVALID_ARGUMENT naming endpoint", () => {
    let error: unknown;
    try {
      checkV2betaEndpoint(`https://hooks.example.net/${"a".repeat(1000)}`);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ kind: "invalid_argument", message: expect.stringMatching(/^endpoint: must be at most 1000 characters/) });
  });
});
