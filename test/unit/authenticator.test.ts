import { beforeAll, describe, expect, it } from "vitest";
import { createAuthenticator, type Authenticator } from "../../src/auth/authenticator.js";
import { createOidcVerifier } from "../../src/auth/oidc.js";
import type { Caller } from "../../src/auth/caller.js";
import { DomainError } from "../../src/domain/errors.js";
import { testIssuer } from "../helpers/oidc-issuer.js";

const PAT = "tether_pat_abcDEF123";
const patCaller: Caller = { userId: "admin", permissions: new Set(["action.target.read"]), via: "pat" };
const pat = (token: string) => (token === PAT ? patCaller : undefined);

async function rejection(auth: Authenticator, header: string | null): Promise<DomainError> {
  try {
    await auth.authenticate(header);
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    expect((e as DomainError).kind).toBe("unauthenticated");
    return e as DomainError;
  }
  throw new Error("authenticate should have failed");
}

let idp: Awaited<ReturnType<typeof testIssuer>>;
let auth: Authenticator;
beforeAll(async () => {
  idp = await testIssuer();
  auth = createAuthenticator({ pat, oidc: createOidcVerifier({ issuer: idp.issuer, jwks: idp.jwks }) });
});

describe("createAuthenticator", () => {
  it("rejects a missing or blank header", async () => {
    expect((await rejection(auth, null)).reason).toBe("auth.missing_token");
    expect((await rejection(auth, "  ")).reason).toBe("auth.missing_token");
  });

  it("rejects other schemes", async () => {
    expect((await rejection(auth, `Basic ${PAT}`)).reason).toBe("auth.unsupported_scheme");
    expect((await rejection(auth, `Bearer${PAT}`)).reason).toBe("auth.unsupported_scheme");
  });

  it("rejects an empty or malformed bearer token", async () => {
    for (const header of ["Bearer", "Bearer ", `Bearer ${PAT} extra`, "Bearer tok\u00e9n", `Bearer ${"a".repeat(9000)}`]) {
      expect((await rejection(auth, header)).reason).toBe("auth.malformed_token");
    }
  });

  it("accepts a known personal access token, whatever the scheme's case", async () => {
    expect(await auth.authenticate(`Bearer ${PAT}`)).toBe(patCaller);
    expect(await auth.authenticate(`bearer  ${PAT}`)).toBe(patCaller);
  });

  it("rejects an unknown personal access token without echoing it", async () => {
    const token = "tether_pat_unknownSecretValue";
    const error = await rejection(auth, `Bearer ${token}`);
    expect(error.reason).toBe("auth.invalid_token");
    expect(error.message).not.toContain(token);
  });

  it("sends JWT-shaped tokens to OIDC", async () => {
    const caller = await auth.authenticate(`Bearer ${await idp.sign({ permissions: ["action.target.write"] })}`);
    expect(caller.via).toBe("oidc");
    expect(caller.permissions.has("action.target.write")).toBe(true);
  });

  it("rejects an expired JWT without echoing it", async () => {
    const token = await idp.sign({}, { expiresIn: Math.floor(Date.now() / 1000) - 3600 });
    const error = await rejection(auth, `Bearer ${token}`);
    expect(error.reason).toBe("auth.invalid_token");
    expect(error.message).not.toContain(token);
    expect(error.message).not.toContain(token.split(".")[1]);
  });

  it("treats a JWT as an unknown PAT when OIDC is not configured", async () => {
    const patOnly = createAuthenticator({ pat });
    expect((await rejection(patOnly, `Bearer ${await idp.sign()}`)).reason).toBe("auth.invalid_token");
  });
});
