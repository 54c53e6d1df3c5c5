// Server reflection against the real server: buf curl with no proto files, and both protocol versions
// through generated clients (v1 over gRPC, v1alpha over Connect), all over h2c bidi streams.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { fromBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { ServerReflection as ReflectionV1, type ServerReflectionRequestSchema as RequestV1 } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { UserService } from "../../gen/tether/example/v1/user_service_pb.js";
import { createUserService } from "../../examples/user-service/service.js";
import { hostService } from "../../src/routes.js";
import { startTestTether } from "../helpers/tether-server.js";

const run = promisify(execFile);
const EXPECTED_SERVICES = [
  "zitadel.action.v2.ActionService",
  "tether.v1.DeliveryService",
  "tether.example.v1.UserService",
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
];
/** google.api.http, the extension of google.protobuf.MethodOptions declared in google/api/annotations.proto. */
const HTTP_RULE_EXTENSION = 72295728;

let server: Awaited<ReturnType<typeof startTestTether>>;
let sessions: Http2SessionManager;
beforeAll(async () => {
  // A host service too: reflection must report what is mounted, not a fixed list.
  server = await startTestTether({}, undefined, { hostServices: [hostService(UserService, createUserService())] });
  sessions = new Http2SessionManager(server.url);
});
afterAll(async () => {
  sessions.abort();
  await server.stop();
});

/** buf curl over gRPC with h2c prior knowledge and no --schema: every type comes from reflection. */
function bufCurl(args: string[], token?: string) {
  const auth = token ? ["-H", `Authorization: Bearer ${token}`] : [];
  return run("node_modules/.bin/buf", ["curl", "--protocol", "grpc", "--http2-prior-knowledge", ...auth, ...args], { timeout: 60_000 });
}

type Query = MessageInitShape<typeof RequestV1>["messageRequest"];

/** Sends the queries on one v1 stream and collects the answers in order. */
async function reflectV1(queries: Query[]) {
  const client = createClient(ReflectionV1, createGrpcTransport({ baseUrl: server.url, sessionManager: sessions }));
  const answers = [];
  for await (const res of client.serverReflectionInfo((async function* () {
    for (const messageRequest of queries) yield { host: "reflection.test", messageRequest };
  })())) answers.push(res);
  return answers;
}

/** The file names in a file_descriptor_response, decoded from the serialized FileDescriptorProtos. */
function fileNames(answer: { messageResponse: { case: string | undefined; value?: unknown } }): string[] {
  expect(answer.messageResponse.case).toBe("fileDescriptorResponse");
  const files = (answer.messageResponse.value as { fileDescriptorProto: Uint8Array[] }).fileDescriptorProto;
  return files.map((b) => fromBinary(FileDescriptorProtoSchema, b).name);
}

describe("buf curl with reflection and no proto files", () => {
  it("lists every mounted service without a token", async () => {
    const { stdout } = await bufCurl(["--list-services", server.url]);
    expect(stdout.trim().split("\n")).toEqual(expect.arrayContaining(EXPECTED_SERVICES));
  });

  it("lists the methods of the services", async () => {
    const { stdout } = await bufCurl(["--list-methods", server.url]);
    expect(stdout.trim().split("\n")).toEqual(
      expect.arrayContaining([
        "zitadel.action.v2.ActionService/CreateTarget",
        "zitadel.action.v2.ActionService/ListTargets",
        "tether.v1.DeliveryService/ListDeliveries",
        "grpc.health.v1.Health/Check",
        "grpc.health.v1.Health/Watch",
        "grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
      ]),
    );
  });

  it("creates a target and lists it with the admin token", async () => {
    const body = { name: "reflected", restWebhook: { interruptOnError: true }, timeout: "2s", endpoint: "https://hooks.example.net/", payloadType: "PAYLOAD_TYPE_JSON" };
    const created = JSON.parse((await bufCurl(["-d", JSON.stringify(body), `${server.url}/zitadel.action.v2.ActionService/CreateTarget`], server.token)).stdout);
    expect(created).toMatchObject({ id: expect.stringMatching(/^\d+$/), signingKey: expect.any(String) });
    const listed = JSON.parse((await bufCurl(["-d", "{}", `${server.url}/zitadel.action.v2.ActionService/ListTargets`], server.token)).stdout);
    expect(listed.targets).toEqual(expect.arrayContaining([expect.objectContaining({ id: created.id, name: "reflected", payloadType: "PAYLOAD_TYPE_JSON" })]));
  });

  it("still asks for the token on the API itself", async () => {
    await expect(bufCurl(["-d", "{}", `${server.url}/zitadel.action.v2.ActionService/ListTargets`])).rejects.toMatchObject({ stderr: expect.stringMatching(/unauthenticated/) });
  });

  it("works with the v1alpha reflection protocol", async () => {
    const { stdout } = await bufCurl(["--reflect-protocol", "grpc-v1alpha", "-d", "{}", `${server.url}/zitadel.action.v2.ActionService/ListExecutionServices`], server.token);
    expect(JSON.parse(stdout).services).toContain("zitadel.action.v2.ActionService");
  });
});

describe("grpc.reflection.v1 over gRPC", () => {
  it("lists the services the router mounts, host services included", async () => {
    const [answer] = await reflectV1([{ case: "listServices", value: "*" }]);
    expect(answer?.messageResponse.case).toBe("listServicesResponse");
    const names = answer?.messageResponse.case === "listServicesResponse" ? answer.messageResponse.value.service.map((s) => s.name) : [];
    expect(names).toEqual(expect.arrayContaining(EXPECTED_SERVICES));
    expect(new Set(names).size).toBe(names.length);
  });

  it("answers a symbol with its file and every import, each file once per stream", async () => {
    const [service, field, enumValue, method] = await reflectV1([
      { case: "fileContainingSymbol", value: "zitadel.action.v2.ActionService" },
      { case: "fileContainingSymbol", value: "zitadel.action.v2.Target.endpoint" },
      { case: "fileContainingSymbol", value: "zitadel.action.v2.PAYLOAD_TYPE_JSON" },
      { case: "fileContainingSymbol", value: "zitadel.action.v2.ActionService.CreateTarget" },
    ]);
    const all = fileNames(service!);
    expect(all[0]).toBe("zitadel/action/v2/action_service.proto");
    expect(all).toEqual(
      expect.arrayContaining([
        "google/api/annotations.proto",
        "google/api/http.proto",
        "google/protobuf/descriptor.proto",
        "google/protobuf/timestamp.proto",
        "zitadel/filter/v2/filter.proto",
        "zitadel/action/v2/target.proto",
        "zitadel/action/v2/execution.proto",
      ]),
    );
    expect(new Set(all).size).toBe(all.length);
    // Already sent on this stream: only the file asked for comes back.
    expect(fileNames(field!)).toEqual(["zitadel/action/v2/target.proto"]);
    expect(fileNames(enumValue!)).toEqual(["zitadel/action/v2/target.proto"]);
    expect(fileNames(method!)).toEqual(["zitadel/action/v2/action_service.proto"]);
  });

  it("serves a usable descriptor: the service with its methods and HTTP options", async () => {
    const [answer] = await reflectV1([{ case: "fileContainingSymbol", value: "zitadel.action.v2.ActionService" }]);
    const file = fromBinary(FileDescriptorProtoSchema, (answer!.messageResponse.value as { fileDescriptorProto: Uint8Array[] }).fileDescriptorProto[0]!);
    expect(file).toMatchObject({ package: "zitadel.action.v2", syntax: "proto3" });
    const createTarget = file.service.find((s) => s.name === "ActionService")?.method.find((m) => m.name === "CreateTarget");
    expect(createTarget).toMatchObject({ inputType: ".zitadel.action.v2.CreateTargetRequest", outputType: ".zitadel.action.v2.CreateTargetResponse" });
    expect(createTarget?.options?.$unknown?.some((f) => f.no === HTTP_RULE_EXTENSION)).toBe(true);
  });

  it("answers an unknown symbol or file with error_response NOT_FOUND and keeps the stream open", async () => {
    const [symbol, file, after] = await reflectV1([
      { case: "fileContainingSymbol", value: "zitadel.action.v2.NoSuchThing" },
      { case: "fileByFilename", value: "zitadel/nope.proto" },
      { case: "listServices", value: "" },
    ]);
    expect(symbol?.messageResponse).toEqual({ case: "errorResponse", value: expect.objectContaining({ errorCode: Code.NotFound, errorMessage: expect.stringMatching(/NoSuchThing/) }) });
    expect(file?.messageResponse).toEqual({ case: "errorResponse", value: expect.objectContaining({ errorCode: Code.NotFound }) });
    expect(after?.messageResponse.case).toBe("listServicesResponse");
    expect(symbol).toMatchObject({ validHost: "reflection.test", originalRequest: { messageRequest: { case: "fileContainingSymbol", value: "zitadel.action.v2.NoSuchThing" } } });
  });

  it("serves files by name with their imports", async () => {
    const [answer] = await reflectV1([{ case: "fileByFilename", value: "zitadel/filter/v2/filter.proto" }]);
    expect(fileNames(answer!)).toEqual(["zitadel/filter/v2/filter.proto", "google/protobuf/timestamp.proto"]);
  });

  it("finds extensions and their numbers, NOT_FOUND for unknown ones", async () => {
    const [byExtension, numbers, unknownNumber, unknownType] = await reflectV1([
      { case: "fileContainingExtension", value: { containingType: "google.protobuf.MethodOptions", extensionNumber: HTTP_RULE_EXTENSION } },
      { case: "allExtensionNumbersOfType", value: "google.protobuf.MethodOptions" },
      { case: "fileContainingExtension", value: { containingType: "google.protobuf.MethodOptions", extensionNumber: 1 } },
      { case: "allExtensionNumbersOfType", value: "no.such.Type" },
    ]);
    expect(fileNames(byExtension!)[0]).toBe("google/api/annotations.proto");
    expect(numbers?.messageResponse).toEqual({
      case: "allExtensionNumbersResponse",
      value: expect.objectContaining({ baseTypeName: "google.protobuf.MethodOptions", extensionNumber: [HTTP_RULE_EXTENSION] }),
    });
    expect(unknownNumber?.messageResponse).toMatchObject({ case: "errorResponse", value: { errorCode: Code.NotFound } });
    expect(unknownType?.messageResponse).toMatchObject({ case: "errorResponse", value: { errorCode: Code.NotFound } });
  });
});

describe("grpc.reflection.v1alpha over Connect", () => {
  it("lists services and serves the health proto by symbol", async () => {
    const client = createClient(ReflectionV1alpha, createConnectTransport({ baseUrl: server.url, httpVersion: "2", sessionManager: sessions }));
    const answers = [];
    for await (const res of client.serverReflectionInfo((async function* () {
      yield { messageRequest: { case: "listServices" as const, value: "" } };
      yield { messageRequest: { case: "fileContainingSymbol" as const, value: "grpc.health.v1.Health.Watch" } };
    })())) answers.push(res);
    const [list, health] = answers;
    const names = list?.messageResponse.case === "listServicesResponse" ? list.messageResponse.value.service.map((s) => s.name) : [];
    expect(names).toEqual(expect.arrayContaining(EXPECTED_SERVICES));
    expect(fileNames(health!)).toEqual(["grpc/health/v1/health.proto"]);
  });
});

describe("TETHER_REFLECTION=off", () => {
  it("leaves reflection out (UNIMPLEMENTED) while health still answers without a token", async () => {
    const hidden = await startTestTether({ TETHER_REFLECTION: "off" });
    const own = new Http2SessionManager(hidden.url);
    try {
      const client = createClient(ReflectionV1, createGrpcTransport({ baseUrl: hidden.url, sessionManager: own }));
      const listing = (async () => {
        for await (const res of client.serverReflectionInfo((async function* () {
          yield { messageRequest: { case: "listServices" as const, value: "" } };
        })())) return res;
      })();
      await expect(listing).rejects.toMatchObject({ code: Code.Unimplemented });
      const health = await fetch(`${hidden.url}/grpc.health.v1.Health/Check`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      expect(await health.json()).toEqual({ status: "SERVING" });
    } finally {
      own.abort();
      await hidden.stop();
    }
  });
});
