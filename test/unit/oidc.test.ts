import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { UnsecuredJWT } from "jose";
import { createOidcVerifier, permissionsOf } from "../../src/auth/oidc.js";
import { testIssuer } from "../helpers/oidc-issuer.js";

let idp: Awaited<ReturnType<typeof testIssuer>>;
beforeAll(async () => {
  idp = await testIssuer();
});

const ORG = "urn:zitadel:iam:user:resourceowner:id";

describe("createOidcVerifier with injected keys", () => {
  it("turns a valid token into a caller with its permissions and organisation", async () => {
    const verify = createOidcVerifier({ issuer: idp.issuer, jwks: idp.jwks });
    const token = await idp.sign({ permissions: ["action.target.read", "action.target.write"], [ORG]: "org-1" });
    expect(await verify(token)).toEqual({
      userId: "user-1",
      orgId: "org-1",
      permissions: new Set(["action.target.read", "action.target.write"]),
      via: "oidc",
    });
  });

  it("reads a custom claim as a space-separated string, and a project id when configured", async () => {
    const verify = createOidcVerifier({ issuer: idp.issuer, jwks: idp.jwks, permissionsClaim: "scp", projectIdClaim: "proj", orgIdClaim: "org" });
    const caller = await verify(await idp.sign({ scp: "action.execution.read  action.target.read", proj: "p-9", org: "o-2" }));
    expect(caller?.permissions).toEqual(new Set(["action.execution.read", "action.target.read"]));
    expect(caller?.projectId).toBe("p-9");
    expect(caller?.orgId).toBe("o-2");
  });

  it("reads a ZITADEL-style roles object by its keys", async () => {
    const claim = "urn:zitadel:iam:org:project:roles";
    const verify = createOidcVerifier({ issuer: idp.issuer, jwks: idp.jwks, permissionsClaim: claim });
    const caller = await verify(await idp.sign({ [claim]: { "action.target.read": { "org-1": "example.com" } } }));
    expect(caller?.permissions).toEqual(new Set(["action.target.read"]));
  });

  it("grants nothing when the permissions claim is missing", async () => {
    const verify = createOidcVerifier({ issuer: idp.issuer, jwks: idp.jwks });
    expect((await verify(await idp.sign()))?.permissions.size).toBe(0);
  });

  it("rejects an expired token without reporting a key-set failure", async () => {
    const failures: Error[] = [];
    const verify = createOidcVerifier({ issuer: idp.issuer, jwks: idp.jwks, onKeySetError: (e) => failures.push(e) });
    const expired = await idp.sign({}, { expiresIn: Math.floor(Date.now() / 1000) - 60 });
    expect(await verify(expired)).toBeUndefined();
    expect(failures).toEqual([]);
  });

  it("tolerates a few seconds of clock skew", async () => {
    const verify = createOidcVerifier({ issuer: idp.issuer, jwks: idp.jwks });
    const justExpired = await idp.sign({}, { expiresIn: Math.floor(Date.now() / 1000) - 2 });
    expect(await verify(justExpired)).toBeDefined();
  });

  it("rejects a token that is not valid yet", async () => {
    const verify = createOidcVerifier({ issuer: idp.issuer, jwks: idp.jwks });
    expect(await verify(await idp.sign({}, { notBefore: "10m", expiresIn: "20m" }))).toBeUndefined();
  });

  it("rejects a token from another issuer", async () => {
    const verify = createOidcVerifier({ issuer: idp.issuer, jwks: idp.jwks });
    expect(await verify(await idp.sign({}, { iss: "https://evil.test" }))).toBeUndefined();
  });

  it("rejects a token signed by a key outside the issuer's key set", async () => {
    const other = await testIssuer({ kid: "key-1" });
    const verify = createOidcVerifier({ issuer: idp.issuer, jwks: idp.jwks });
    expect(await verify(await other.sign())).toBeUndefined();
  });

  it("checks the audience only when one is configured", async () => {
    const strict = createOidcVerifier({ issuer: idp.issuer, jwks: idp.jwks, audience: "tether" });
    expect(await strict(await idp.sign({}, { aud: "tether" }))).toBeDefined();
    expect(await strict(await idp.sign({}, { aud: "other" }))).toBeUndefined();
    expect(await strict(await idp.sign())).toBeUndefined();
  });

  it("rejects unsigned tokens, tokens without a subject and garbage", async () => {
    const verify = createOidcVerifier({ issuer: idp.issuer, jwks: idp.jwks });
    const unsigned = new UnsecuredJWT({ sub: "x" }).setIssuer(idp.issuer).setExpirationTime("5m").encode();
    expect(await verify(unsigned)).toBeUndefined();
    expect(await verify(await idp.sign({ sub: "" }))).toBeUndefined();
    expect(await verify("a.b.c")).toBeUndefined();
    expect(await verify("")).toBeUndefined();
  });

  it("verifies RS256 tokens too", async () => {
    const rsa = await testIssuer({ alg: "RS256" });
    expect(await createOidcVerifier({ issuer: rsa.issuer, jwks: rsa.jwks })(await rsa.sign())).toBeDefined();
  });
});

describe("createOidcVerifier against a JWKS served over HTTP", () => {
  let server: Server | undefined;
  afterEach(async () => {
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
  });

  async function serve(status: number, body: unknown): Promise<string> {
    server = createServer((req, res) => {
      res.statusCode = req.url === "/oauth/v2/keys" ? status : 404;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it("fetches the keys from <issuer>/oauth/v2/keys and accepts a valid token", async () => {
    const issuerUrl = await serve(200, idp.jwksJson);
    const verify = createOidcVerifier({ issuer: issuerUrl, fetchTimeoutMs: 2000 });
    const token = await idp.sign({ permissions: "action.target.read" }, { iss: issuerUrl });
    expect((await verify(token))?.permissions).toEqual(new Set(["action.target.read"]));
  });

  it("reports an unreachable key set and rejects the token", async () => {
    const issuerUrl = await serve(500, { error: "boom" });
    const failures: Error[] = [];
    const verify = createOidcVerifier({ issuer: issuerUrl, fetchTimeoutMs: 2000, onKeySetError: (e) => failures.push(e) });
    expect(await verify(await idp.sign({}, { iss: issuerUrl }))).toBeUndefined();
    expect(failures).toHaveLength(1);
  });
});

describe("permissionsOf", () => {
  it("accepts arrays, strings and objects and ignores anything else", () => {
    expect(permissionsOf(["a", 1, "", "b"])).toEqual(new Set(["a", "b"]));
    expect(permissionsOf(" a b ")).toEqual(new Set(["a", "b"]));
    expect(permissionsOf({ a: {}, b: 1 })).toEqual(new Set(["a", "b"]));
    expect(permissionsOf(42)).toEqual(new Set());
    expect(permissionsOf(null)).toEqual(new Set());
  });
});
