import type { DescMethod } from "@bufbuild/protobuf";
import { Code, createConnectRouter } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, describe, expect, it } from "vitest";
import { AUTHENTICATED, PROCEDURE_PERMISSIONS, requiredPermission } from "../../src/auth/permissions.js";
import { captureLogs } from "../helpers/log-capture.js";
import { startLoopbackIssuer } from "../helpers/loopback-issuer.js";
import { testIssuer } from "../helpers/oidc-issuer.js";
import { credentialCases, permissionCases, type CaseSources, type CredentialCase } from "../helpers/credential-cases.js";
import { probeConnectUnary, probeRest, probeTransport, restBinding, type Outcome } from "../helpers/rpc-probe.js";
import { startTestTether } from "../helpers/tether-server.js";

// Every RPC of every service the server registers, derived from the router (so services added later are
// covered without touching this file), against every kind of credential, over Connect, REST and gRPC.

const AUDIENCE = "tether-matrix";
/** Infrastructure that must answer without any credentials (health probes, reflection for grpcurl). */
const PUBLIC_SERVICES = new Set(["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"]);
/** spec/api.md §2, by method name; zitadel.action.v2beta shares it for the RPCs it has. */
const SPEC_PERMISSIONS: Record<string, string> = {
  CreateTarget: "action.target.write",
  UpdateTarget: "action.target.write",
  DeleteTarget: "action.target.delete",
  GetTarget: "action.target.read",
  ListTargets: "action.target.read",
  AddPublicKey: "action.target.write",
  ActivatePublicKey: "action.target.write",
  DeactivatePublicKey: "action.target.write",
  RemovePublicKey: "action.target.write",
  ListPublicKeys: "action.target.read",
  SetExecution: "action.execution.write",
  ListExecutions: "action.execution.read",
  ListExecutionFunctions: AUTHENTICATED,
  ListExecutionMethods: AUTHENTICATED,
  ListExecutionServices: AUTHENTICATED,
};
/** Codes that mean the credentials decided the answer, or the handler never ran properly: never a handler's answer to `{}`. */
const NOT_A_HANDLER_ANSWER = [Code.Unauthenticated, Code.PermissionDenied, Code.Internal, Code.Unknown, Code.Unimplemented, Code.DeadlineExceeded, Code.Unavailable, Code.Canceled];

const logs = captureLogs("trace");
const idp = await startLoopbackIssuer();
const server = await startTestTether({ TETHER_OIDC_ISSUER: idp.issuer, TETHER_OIDC_AUDIENCE: AUDIENCE }, undefined, { logger: logs.logger });
afterAll(async () => {
  await server.stop();
  await idp.close();
});
const sources: CaseSources = {
  idp,
  foreign: await testIssuer({ issuer: "https://foreign-issuer.test" }),
  rogue: await testIssuer({ issuer: idp.issuer, kid: "key-1" }),
  audience: AUDIENCE,
  adminPat: server.token!,
};
const generic = await credentialCases(sources);
const everySecret = new Set<string>([sources.adminPat]);

const router = createConnectRouter();
server.app.routes(router);
const procedures = [...new Map(router.handlers.map((h) => [`/${h.service.typeName}/${h.method.name}`, h.method])).entries()];
const isPublic = (method: DescMethod) => PUBLIC_SERVICES.has(method.parent.typeName);

const connect = createConnectTransport({ baseUrl: server.url, httpVersion: "2" });
const grpc = createGrpcTransport({ baseUrl: server.url });

function expectAnswer(outcome: Outcome, c: CredentialCase, permission: string, where: string): void {
  const context = `${where} with ${c.name}: got ${outcome.code === "ok" ? "OK" : Code[outcome.code]}`;
  const expected = c.expect === "lacking" && permission === AUTHENTICATED ? "granted" : c.expect;
  if (expected === "unauthenticated") expect(outcome.code, context).toBe(Code.Unauthenticated);
  else if (expected === "lacking") expect(outcome.code, context).toBe(Code.PermissionDenied);
  else expect(NOT_A_HANDLER_ANSWER, context).not.toContain(outcome.code);
  for (const secret of [...c.secrets, sources.adminPat]) expect(outcome.seen.includes(secret), `${context}: the answer echoes a credential`).toBe(false);
}

function expectNoSecretInLogs(secrets: Iterable<string>): void {
  const text = logs.text();
  for (const secret of secrets) expect(text.includes(secret), `the log holds a credential (${secret.slice(0, 12)}…)`).toBe(false);
}

describe("the permission table", () => {
  it("discovers the Action Service in v2 and v2beta, the Delivery Service and the public infrastructure", () => {
    const services = new Set(procedures.map(([, m]) => m.parent.typeName));
    for (const name of ["zitadel.action.v2.ActionService", "zitadel.action.v2beta.ActionService", "tether.v1.DeliveryService", ...PUBLIC_SERVICES]) {
      expect(services, name).toContain(name);
    }
  });

  it("names an explicit permission for every served procedure that is not public infrastructure", () => {
    const missing = procedures.filter(([path, m]) => !isPublic(m) && !Object.hasOwn(PROCEDURE_PERMISSIONS, path)).map(([path]) => path);
    expect(missing).toEqual([]);
  });

  it("lists only procedures the server serves", () => {
    const served = new Set(procedures.map(([path]) => path));
    expect(Object.keys(PROCEDURE_PERMISSIONS).filter((p) => !served.has(p))).toEqual([]);
  });

  it("requires for every zitadel.action RPC the permission spec/api.md §2 lists", () => {
    for (const [path, m] of procedures.filter(([, m]) => m.parent.typeName.startsWith("zitadel.action."))) {
      expect(requiredPermission(path), path).toBe(SPEC_PERMISSIONS[m.name]);
    }
  });
});

describe.each(procedures)("%s", (path, method) => {
  const permission = isPublic(method) ? AUTHENTICATED : requiredPermission(path);
  // Public infrastructure ignores credentials: every case, valid or not, gets the handler's answer.
  const adjust = (cases: CredentialCase[]) => (isPublic(method) ? cases.map((c) => ({ ...c, expect: "granted" as const })) : cases);
  const casesOf = async () => {
    const cases = adjust([...generic, ...(await permissionCases(sources, permission))]);
    for (const c of cases) for (const s of c.secrets) everySecret.add(s);
    return cases;
  };

  it("answers every credential over Connect, twice in opposite orders, without echoing any", async () => {
    const cases = await casesOf();
    const call = (c: CredentialCase) =>
      method.methodKind === "unary" ? probeConnectUnary(server.url, method, c.header) : probeTransport(connect, method, c.header);
    for (const c of [...cases, ...[...cases].reverse()]) expectAnswer(await call(c), c, permission, "Connect");
    expectNoSecretInLogs(cases.flatMap((c) => c.secrets));
  });

  // Only RPCs with a google.api.http binding have a REST path (health and reflection have none).
  const rest = restBinding(method);
  if (rest) {
    it(`answers every credential over REST (${rest.verb} ${rest.path}) without echoing any`, async () => {
      const cases = await casesOf();
      for (const c of cases) expectAnswer(await probeRest(server.url, method, c.header), c, permission, `REST ${rest.verb} ${rest.path}`);
      expectNoSecretInLogs(cases.flatMap((c) => c.secrets));
    });
  }

  it("answers the main credential kinds over gRPC without echoing any", async () => {
    const picked = new Set(["no authorization header", "garbage without a scheme", "\"Bearer\" alone", "the admin PAT under another scheme", "an expired JWT",
      "a JWT naming the issuer but signed by a key not in its JWKS", "a JWT for another audience", "a valid JWT with every other permission",
      "a valid JWT with exactly the permission", "the admin PAT"]);
    const cases = (await casesOf()).filter((c) => picked.has(c.name));
    expect(cases).toHaveLength(picked.size);
    for (const c of cases) expectAnswer(await probeTransport(grpc, method, c.header), c, permission, "gRPC");
    expectNoSecretInLogs(cases.flatMap((c) => c.secrets));
  });
});

describe("the server log", () => {
  it("was captured at trace level and never holds a credential that was sent", () => {
    expect(logs.records(/tether listening/)).toHaveLength(1);
    expect(everySecret.size).toBeGreaterThan(100);
    expectNoSecretInLogs(everySecret);
  });
});
