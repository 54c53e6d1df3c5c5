import { describe, expect, it } from "vitest";
import { create, createFileRegistry, setExtension, type DescService } from "@bufbuild/protobuf";
import { FieldDescriptorProto_Label as Label, FieldDescriptorProto_Type as Type, FileDescriptorProtoSchema, MethodOptionsSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { ActionService } from "../../gen/zitadel/action/v2/action_service_pb.js";
import { http } from "../../gen/google/api/annotations_pb.js";
import { HttpRuleSchema, type HttpRule } from "../../gen/google/api/http_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { createHttpRouteTable, HttpRuleError, type RouteMatch } from "../../src/gateway/http-rules.js";
import { requestJson } from "../../src/gateway/request-json.js";

const table = createHttpRouteTable([ActionService]);

function matched(m: RouteMatch) {
  if (m.kind !== "matched") throw new Error(`expected a match, got ${m.kind}`);
  return { rpc: m.route.method.name, params: Object.fromEntries(m.params.map((p) => [p.fieldPath.map((f) => f.name).join("."), p.value])), route: m.route };
}

describe("ActionService route table", () => {
  it("has one route per RPC, 15 in all, with the annotated verb, template and body", () => {
    const rows = table.routes.map((r) => `${r.verb} ${r.template} ${r.body.kind} ${r.method.name}`).sort();
    expect(rows).toEqual(
      [
        "DELETE /v2/actions/targets/{id} none DeleteTarget",
        "DELETE /v2/actions/targets/{target_id}/publickeys/{key_id} none RemovePublicKey",
        "GET /v2/actions/executions/functions none ListExecutionFunctions",
        "GET /v2/actions/executions/methods none ListExecutionMethods",
        "GET /v2/actions/executions/services none ListExecutionServices",
        "GET /v2/actions/targets/{id} none GetTarget",
        "POST /v2/actions/executions/search all ListExecutions",
        "POST /v2/actions/targets all CreateTarget",
        "POST /v2/actions/targets/search all ListTargets",
        "POST /v2/actions/targets/{id} all UpdateTarget",
        "POST /v2/actions/targets/{target_id}/publickeys all AddPublicKey",
        "POST /v2/actions/targets/{target_id}/publickeys/search all ListPublicKeys",
        "POST /v2/actions/targets/{target_id}/publickeys/{key_id}/activate none ActivatePublicKey",
        "POST /v2/actions/targets/{target_id}/publickeys/{key_id}/deactivate none DeactivatePublicKey",
        "PUT /v2/actions/executions all SetExecution",
      ].sort(),
    );
  });

  it("routes POST .../targets/search to ListTargets, not to UpdateTarget with id 'search'", () => {
    expect(matched(table.match("POST", "/v2/actions/targets/search")).rpc).toBe("ListTargets");
    expect(matched(table.match("POST", "/v2/actions/targets/abc"))).toMatchObject({ rpc: "UpdateTarget", params: { id: "abc" } });
  });

  it("lets a variable take a literal's text when the literal route has another verb", () => {
    expect(matched(table.match("GET", "/v2/actions/targets/search"))).toMatchObject({ rpc: "GetTarget", params: { id: "search" } });
  });

  it("binds two variables", () => {
    expect(matched(table.match("DELETE", "/v2/actions/targets/t1/publickeys/k1"))).toMatchObject({ rpc: "RemovePublicKey", params: { target_id: "t1", key_id: "k1" } });
    expect(matched(table.match("POST", "/v2/actions/targets/t1/publickeys/k1/activate"))).toMatchObject({ rpc: "ActivatePublicKey", params: { target_id: "t1", key_id: "k1" } });
    expect(matched(table.match("POST", "/v2/actions/targets/t1/publickeys/search"))).toMatchObject({ rpc: "ListPublicKeys", params: { target_id: "t1" } });
  });

  it("percent-decodes path values and reports malformed encoding", () => {
    expect(matched(table.match("GET", "/v2/actions/targets/a%20b%2Fc")).params).toEqual({ id: "a b/c" });
    expect(table.match("GET", "/v2/actions/targets/%zz")).toMatchObject({ kind: "bad_path" });
  });

  it("reports a known path with another verb, listing the allowed verbs", () => {
    expect(table.match("PATCH", "/v2/actions/targets/x")).toEqual({ kind: "wrong_verb", allowed: ["DELETE", "GET", "POST"] });
    expect(table.match("GET", "/v2/actions/executions")).toEqual({ kind: "wrong_verb", allowed: ["PUT"] });
  });

  it("matches nothing for unknown paths, empty segments or extra segments", () => {
    for (const path of ["/v2/actions", "/v2/actions/targets/", "/v2/actions/targets/a/b", "/v2//actions/targets", "/zitadel.action.v2.ActionService/GetTarget"])
      expect(table.match("GET", path), path).toEqual({ kind: "no_route" });
  });
});

/** A one-method service whose method carries the given http rule. */
function serviceWith(rule: MessageInitShape<typeof HttpRuleSchema>): DescService {
  const options = create(MethodOptionsSchema);
  setExtension(options, http, create(HttpRuleSchema, rule));
  const str = (name: string, number: number, jsonName: string) => ({ name, number, type: Type.STRING, label: Label.OPTIONAL, jsonName });
  const file = create(FileDescriptorProtoSchema, {
    name: "gw_test.proto",
    package: "gwtest",
    syntax: "proto3",
    messageType: [
      {
        name: "Req",
        field: [
          str("name", 1, "name"),
          { name: "parent", number: 2, type: Type.MESSAGE, typeName: ".gwtest.Key", label: Label.OPTIONAL, jsonName: "parent" },
          { name: "page_size", number: 3, type: Type.INT32, label: Label.OPTIONAL, jsonName: "pageSize" },
          { name: "show_deleted", number: 4, type: Type.BOOL, label: Label.OPTIONAL, jsonName: "showDeleted" },
          { name: "tags", number: 5, type: Type.STRING, label: Label.REPEATED, jsonName: "tags" },
        ],
      },
      { name: "Key", field: [str("key_id", 1, "keyId")] },
      { name: "Res", field: [{ name: "key", number: 1, type: Type.MESSAGE, typeName: ".gwtest.Key", label: Label.OPTIONAL, jsonName: "key" }] },
    ],
    service: [{ name: "Svc", method: [{ name: "Do", inputType: ".gwtest.Req", outputType: ".gwtest.Res", options }] }],
  });
  const service = createFileRegistry(file, () => undefined).getService("gwtest.Svc");
  if (!service) throw new Error("no service");
  return service;
}

describe("path templates beyond ActionService", () => {
  it("compiles {field=segments/*}, nested field paths, custom verbs and additional bindings", () => {
    const t = createHttpRouteTable([
      serviceWith({
        pattern: { case: "get", value: "/v1/{name=projects/*/keys/*}" },
        additionalBindings: [
          { pattern: { case: "post", value: "/v1/keys/{parent.key_id}:rotate" }, body: "*" },
          { pattern: { case: "custom", value: { kind: "HEAD", path: "/v1/files/**" } } },
          { pattern: { case: "patch", value: "/v1/keys/{parent.key_id}" }, body: "parent", responseBody: "key" },
        ] as HttpRule[],
      }),
    ]);
    expect(matched(t.match("GET", "/v1/projects/p1/keys/k1")).params).toEqual({ name: "projects/p1/keys/k1" });
    expect(t.match("GET", "/v1/projects/p1/keys")).toEqual({ kind: "no_route" });
    expect(matched(t.match("POST", "/v1/keys/k9:rotate")).params).toEqual({ "parent.key_id": "k9" });
    expect(t.match("HEAD", "/v1/files/a/b/c").kind).toBe("matched");
    const patch = matched(t.match("PATCH", "/v1/keys/k2")).route;
    expect(patch.body).toMatchObject({ kind: "field", field: { name: "parent" } });
    expect(patch.responseBody?.name).toBe("key");
  });

  it("refuses a template naming a field the request does not have", () => {
    expect(() => createHttpRouteTable([serviceWith({ pattern: { case: "get", value: "/v1/{nope}" } })])).toThrow(HttpRuleError);
    expect(() => createHttpRouteTable([serviceWith({ pattern: { case: "get", value: "/v1/{parent}" } })])).toThrow(/singular scalar/);
    expect(() => createHttpRouteTable([serviceWith({ pattern: { case: "post", value: "/v1/x" }, body: "nope" })])).toThrow(/no field "nope"/);
  });
});

describe("requestJson", () => {
  const svc = serviceWith({ pattern: { case: "get", value: "/v1/keys/{parent.key_id}" } });
  const t = createHttpRouteTable([svc]);
  const route = matched(t.match("GET", "/v1/keys/k1")).route;

  it("maps query parameters in either spelling onto scalar and repeated fields, ignoring unknown ones", () => {
    const q = new URLSearchParams("page_size=5&showDeleted=true&tags=a&tags=b&nope=1&name=n");
    expect(requestJson(route, undefined, [{ fieldPath: route.variables[0]!, value: "k1" }], q)).toEqual({
      pageSize: "5",
      showDeleted: true,
      tags: ["a", "b"],
      name: "n",
      parent: { keyId: "k1" },
    });
  });

  it("rejects a query boolean that is not true or false", () => {
    expect(() => requestJson(route, undefined, [], new URLSearchParams("show_deleted=yes"))).toThrow(ConnectError);
  });

  it("lets path variables win over the body and removes the snake_case alias", () => {
    const update = matched(table.match("POST", "/v2/actions/targets/from-path")).route;
    const params = [{ fieldPath: update.variables[0]!, value: "from-path" }];
    expect(requestJson(update, { id: "from-body", name: "x" }, params, new URLSearchParams())).toEqual({ id: "from-path", name: "x" });
    const add = matched(table.match("POST", "/v2/actions/targets/t1/publickeys")).route;
    const json = requestJson(add, { target_id: "other", public_key: "UEVN" }, [{ fieldPath: add.variables[0]!, value: "t1" }], new URLSearchParams());
    expect(json).toEqual({ targetId: "t1", public_key: "UEVN" });
  });

  it("requires a JSON object for body '*'", () => {
    const create = matched(table.match("POST", "/v2/actions/targets")).route;
    for (const body of [[], "x", 5, null]) {
      try {
        requestJson(create, body, [], new URLSearchParams());
        expect.fail("should throw");
      } catch (e) {
        expect(ConnectError.from(e).code).toBe(Code.InvalidArgument);
      }
    }
  });
});
