import { beforeAll, describe, expect, it } from "vitest";
import { Code, createClient, createRouterTransport, type Client, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { ActionService } from "../../gen/zitadel/action/v2/action_service_pb.js";
import { createAuthInterceptor } from "../../src/auth/auth-interceptor.js";
import { createAuthenticator } from "../../src/auth/authenticator.js";
import { callerFrom } from "../../src/auth/caller.js";
import { createOidcVerifier } from "../../src/auth/oidc.js";
import { createPatVerifier, ensureAdminPat } from "../../src/auth/pat.js";
import { openDatabase } from "../../src/store/db.js";
import { createTokenStore } from "../../src/store/token-store.js";
import { sha256 } from "../../src/crypto/random-secret.js";
import { expectCode } from "../helpers/expect-code.js";
import { testIssuer } from "../helpers/oidc-issuer.js";
import { sequentialIds, manualClock } from "../helpers/store-fixtures.js";

const ORG = "urn:zitadel:iam:user:resourceowner:id";

// A tiny ActionService whose handlers echo who called, read from the context the interceptor filled.
function routes(router: ConnectRouter) {
  router.service(ActionService, {
    createTarget: (_req, ctx) => {
      const caller = callerFrom(ctx);
      return { id: `${caller.via}:${caller.userId}:${caller.orgId ?? "-"}` };
    },
    deleteTarget: () => ({}),
    listExecutionMethods: (_req, ctx) => ({ methods: [callerFrom(ctx.values).userId] }),
  });
}

let idp: Awaited<ReturnType<typeof testIssuer>>;
let adminToken: string;
let client: (authorizationHeader?: string) => Client<typeof ActionService>;
const bearer = (token: string) => `Bearer ${token}`;

beforeAll(async () => {
  idp = await testIssuer();
  const db = openDatabase({ path: ":memory:" });
  const tokens = createTokenStore(db, { clock: manualClock(), newId: sequentialIds() });
  const admin = ensureAdminPat({ tokens, dataDir: undefined, log: { info: () => {} } });
  if (!admin.created) throw new Error("expected an admin token");
  adminToken = admin.token;
  tokens.insert({ tokenHash: sha256("tether_pat_readonly"), name: "ro", userId: "reader", permissions: ["action.target.read"] });
  const authenticator = createAuthenticator({ pat: createPatVerifier(tokens), oidc: createOidcVerifier({ issuer: idp.issuer, jwks: idp.jwks }) });
  const server: Interceptor[] = [createAuthInterceptor({ authenticator })];
  // A client-side interceptor sets the raw header, so malformed values reach the server as sent.
  client = (header) => {
    const setHeader: Interceptor = (next) => (req) => {
      if (header !== undefined) req.header.set("authorization", header);
      return next(req);
    };
    return createClient(ActionService, createRouterTransport(routes, { router: { interceptors: server }, transport: { interceptors: [setHeader] } }));
  };
});

describe("createAuthInterceptor", () => {
  it("rejects a call without a token with UNAUTHENTICATED", async () => {
    await expectCode(client().createTarget({}), Code.Unauthenticated, /missing credentials/);
  });

  it("rejects a malformed authorization header with UNAUTHENTICATED", async () => {
    await expectCode(client("Bearer two words").createTarget({}), Code.Unauthenticated, /malformed/);
    await expectCode(client(`Basic ${adminToken}`).createTarget({}), Code.Unauthenticated, /unsupported authorization scheme/);
  });

  it("rejects an unknown PAT with UNAUTHENTICATED and never echoes it", async () => {
    const token = "tether_pat_doesNotExist42";
    const error = await expectCode(client(bearer(token)).createTarget({}), Code.Unauthenticated);
    expect(error.message).not.toContain(token);
  });

  it("rejects an expired JWT with UNAUTHENTICATED", async () => {
    const token = await idp.sign({ permissions: ["action.target.write"] }, { expiresIn: Math.floor(Date.now() / 1000) - 3600 });
    const error = await expectCode(client(bearer(token)).createTarget({}), Code.Unauthenticated);
    expect(error.message).not.toContain(token);
  });

  it("rejects a JWT from another issuer with UNAUTHENTICATED", async () => {
    const token = await idp.sign({ permissions: ["action.target.write"] }, { iss: "https://evil.test" });
    await expectCode(client(bearer(token)).createTarget({}), Code.Unauthenticated);
  });

  it("rejects a JWT without the permission with PERMISSION_DENIED naming it", async () => {
    const token = await idp.sign({ permissions: ["action.target.read"] });
    const error = await expectCode(client(bearer(token)).createTarget({}), Code.PermissionDenied, /action\.target\.write/);
    expect(error.message).not.toContain(token);
  });

  it("lets a JWT with the permission through and hands the caller to the handler", async () => {
    const token = await idp.sign({ permissions: ["action.target.write"], [ORG]: "org-7" });
    expect((await client(bearer(token)).createTarget({})).id).toBe("oidc:user-1:org-7");
  });

  it("lets the admin PAT call everything", async () => {
    expect((await client(bearer(adminToken)).createTarget({})).id).toBe("pat:admin:-");
    await client(bearer(adminToken)).deleteTarget({ id: "x" });
    expect((await client(bearer(adminToken)).listExecutionMethods({})).methods).toEqual(["admin"]);
  });

  it("passes the admin PAT through to every ActionService method", async () => {
    const admin = client(bearer(adminToken)) as unknown as Record<string, (req: object) => Promise<unknown>>;
    const implemented = new Set(["createTarget", "deleteTarget", "listExecutionMethods"]);
    for (const method of ActionService.methods) {
      // Methods the tiny service does not implement answer UNIMPLEMENTED: auth let the call reach the router.
      if (implemented.has(method.localName)) await admin[method.localName]!({});
      else await expectCode(admin[method.localName]!({}), Code.Unimplemented);
    }
  });

  it("lets any valid token call ListExecutionMethods", async () => {
    expect((await client(bearer("tether_pat_readonly")).listExecutionMethods({})).methods).toEqual(["reader"]);
    expect((await client(bearer(await idp.sign())).listExecutionMethods({})).methods).toEqual(["user-1"]);
    await expectCode(client().listExecutionMethods({}), Code.Unauthenticated);
  });

  it("denies a scoped PAT the RPCs it lacks", async () => {
    await expectCode(client(bearer("tether_pat_readonly")).deleteTarget({ id: "x" }), Code.PermissionDenied, /action\.target\.delete/);
  });

  it("uses an injected permission table", async () => {
    const authenticator = { authenticate: async () => ({ userId: "u", permissions: new Set<string>(), via: "pat" as const }) };
    const transport = createRouterTransport(routes, {
      router: { interceptors: [createAuthInterceptor({ authenticator, requiredPermission: () => "custom.perm" })] },
    });
    await expectCode(createClient(ActionService, transport).listExecutionMethods({}), Code.PermissionDenied, /custom\.perm/);
  });
});
