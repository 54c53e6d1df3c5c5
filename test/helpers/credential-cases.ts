import { randomBytes } from "node:crypto";
import { exportJWK, generateKeyPair, SignJWT, type JWTHeaderParameters } from "jose";
import { AUTHENTICATED, PERMISSIONS } from "../../src/auth/permissions.js";
import type { testIssuer } from "./oidc-issuer.js";

type Issuer = Awaited<ReturnType<typeof testIssuer>>;

/**
 * How a case must be answered: `unauthenticated` (bad credentials), `lacking` (valid, but without the RPC's
 * permission: PERMISSION_DENIED unless any authenticated caller may call it) or `granted` (the handler answers).
 */
export type Expectation = "unauthenticated" | "lacking" | "granted";

/** One `Authorization` header to send (none when undefined) and the substrings that must never come back or reach a log. */
export interface CredentialCase {
  name: string;
  header: string | undefined;
  secrets: string[];
  expect: Expectation;
}

/** What {@link credentialCases} builds the cases from. */
export interface CaseSources {
  /** The issuer Tether trusts (`TETHER_OIDC_ISSUER`), serving its JWKS on loopback. */
  idp: Issuer;
  /** An issuer Tether knows nothing of. */
  foreign: Issuer;
  /** Claims to be `idp` (same `iss` and `kid`) but signs with a key that is not in the JWKS. */
  rogue: Issuer;
  /** The configured `TETHER_OIDC_AUDIENCE`. */
  audience: string;
  /** The admin personal access token. */
  adminPat: string;
}

/** 32 random base64url characters: distinctive enough that finding one in a log or response is never chance. */
export const unique = (): string => randomBytes(24).toString("base64url");
const b64 = (text: string) => Buffer.from(text).toString("base64url");
/** The segments of a JWT worth searching for separately (a log might print only the signature). */
const jwtSecrets = (token: string) => [token, ...token.split(".").slice(1).filter((s) => s.length >= 16)];

function jwtCase(name: string, token: string, expect: Expectation): CredentialCase {
  return { name, header: `Bearer ${token}`, secrets: jwtSecrets(token), expect };
}

/** Cases that do not depend on the RPC: missing, malformed and invalid credentials, and the all-powerful ones. */
export async function credentialCases(s: CaseSources): Promise<CredentialCase[]> {
  const all = { permissions: [...PERMISSIONS], jti: unique() };
  const aud = { aud: s.audience };
  const now = Math.floor(Date.now() / 1000);
  const long = `A${unique()}`.repeat(400);
  const jwtShapedLong = `${unique().repeat(100)}.${unique().repeat(100)}.${unique().repeat(100)}`;
  const noneHeader = b64(JSON.stringify({ alg: "none", typ: "JWT" }));
  const noneClaims = b64(JSON.stringify({ sub: "user-1", iss: s.idp.issuer, aud: s.audience, ...all, exp: now + 600 }));
  const hmacConfusion = await new SignJWT({ sub: "user-1", ...all, jti: unique() })
    .setProtectedHeader({ alg: "HS256", kid: "key-1", typ: "JWT" })
    .setIssuer(s.idp.issuer)
    .setAudience(s.audience)
    .setExpirationTime("5m")
    .sign(new TextEncoder().encode(JSON.stringify(s.idp.jwksJson.keys[0])));
  // Header tricks of an attacker with its own key: embed it (jwk), point at its key set (jku, x5u), or hide the kid.
  const attacker = await generateKeyPair("ES256");
  const attackerJwk = await exportJWK(attacker.publicKey);
  const selfSigned = (header: Partial<JWTHeaderParameters>) =>
    new SignJWT({ sub: "user-1", ...all, jti: unique() })
      .setProtectedHeader({ alg: "ES256", typ: "JWT", ...header })
      .setIssuer(s.idp.issuer)
      .setAudience(s.audience)
      .setExpirationTime("5m")
      .sign(attacker.privateKey);
  const garbage = unique();
  const basic = b64(`admin:${unique()}`);
  const unknownPat = `tether_pat_${unique()}`;
  const dotted = `${unique()}.${unique()}.${unique()}`;
  const latin1 = `t\u00f6k\u00e9n${unique()}`;
  return [
    { name: "no authorization header", header: undefined, secrets: [], expect: "unauthenticated" },
    { name: "an empty authorization header", header: "", secrets: [], expect: "unauthenticated" },
    { name: "garbage without a scheme", header: garbage, secrets: [garbage], expect: "unauthenticated" },
    { name: "\"Bearer\" alone", header: "Bearer", secrets: [], expect: "unauthenticated" },
    { name: "the Basic scheme", header: `Basic ${basic}`, secrets: [basic], expect: "unauthenticated" },
    { name: "the admin PAT under another scheme", header: `Token ${s.adminPat}`, secrets: [s.adminPat], expect: "unauthenticated" },
    { name: "the admin PAT without a scheme", header: s.adminPat, secrets: [s.adminPat], expect: "unauthenticated" },
    { name: "two bearer tokens", header: `Bearer ${s.adminPat} ${s.adminPat}`, secrets: [s.adminPat], expect: "unauthenticated" },
    { name: "the admin PAT with a character added", header: `Bearer ${s.adminPat}x`, secrets: [s.adminPat], expect: "unauthenticated" },
    { name: "the admin PAT with a character removed", header: `Bearer ${s.adminPat.slice(0, -1)}`, secrets: [s.adminPat.slice(0, -1)], expect: "unauthenticated" },
    { name: "an unknown PAT", header: `Bearer ${unknownPat}`, secrets: [unknownPat], expect: "unauthenticated" },
    { name: "a very long token", header: `Bearer ${long}`, secrets: [long, long.slice(100, 140)], expect: "unauthenticated" },
    { name: "a very long JWT-shaped token", header: `Bearer ${jwtShapedLong}`, secrets: [jwtShapedLong.slice(0, 40)], expect: "unauthenticated" },
    { name: "JWT-shaped garbage", header: `Bearer ${dotted}`, secrets: [dotted, ...dotted.split(".")], expect: "unauthenticated" },
    { name: "non-ASCII token text", header: `Bearer ${latin1}`, secrets: [latin1.slice(5)], expect: "unauthenticated" },
    jwtCase("an expired JWT", await s.idp.sign({ ...all, jti: unique() }, { ...aud, expiresIn: now - 3600 }), "unauthenticated"),
    jwtCase("a JWT not valid before an hour from now", await s.idp.sign({ ...all, jti: unique() }, { ...aud, notBefore: now + 3600, expiresIn: now + 7200 }), "unauthenticated"),
    jwtCase("a JWT from a foreign issuer", await s.foreign.sign({ ...all, jti: unique() }, aud), "unauthenticated"),
    jwtCase("a JWT naming the issuer but signed by a key not in its JWKS", await s.rogue.sign({ ...all, jti: unique() }, aud), "unauthenticated"),
    jwtCase("a JWT signed by the issuer for another iss", await s.idp.sign({ ...all, jti: unique() }, { ...aud, iss: "http://127.0.0.1:9/other" }), "unauthenticated"),
    jwtCase("a JWT for another audience", await s.idp.sign({ ...all, jti: unique() }, { aud: "someone-else" }), "unauthenticated"),
    jwtCase("a JWT without an audience", await s.idp.sign({ ...all, jti: unique() }), "unauthenticated"),
    jwtCase("a JWT without a subject", await s.idp.sign({ ...all, jti: unique(), sub: undefined }, aud), "unauthenticated"),
    jwtCase("an unsigned JWT (alg none)", `${noneHeader}.${noneClaims}.`, "unauthenticated"),
    jwtCase("an alg none JWT with a made-up signature", `${noneHeader}.${noneClaims}.${unique()}`, "unauthenticated"),
    jwtCase("an HS256 JWT keyed with the issuer's public JWK", hmacConfusion, "unauthenticated"),
    jwtCase("a JWT carrying the attacker's own key in its jwk header", await selfSigned({ kid: "key-1", jwk: attackerJwk }), "unauthenticated"),
    jwtCase("a JWT pointing jku and x5u at the attacker", await selfSigned({ kid: "key-1", jku: `${s.foreign.issuer}/jwks`, x5u: `${s.foreign.issuer}/cert` }), "unauthenticated"),
    jwtCase("a JWT signed by the attacker without a kid", await selfSigned({}), "unauthenticated"),
    jwtCase("a JWT with a hostile kid", await selfSigned({ kid: "../../../etc/passwd' OR '1'='1" }), "unauthenticated"),
    { name: "the admin PAT", header: `Bearer ${s.adminPat}`, secrets: [s.adminPat], expect: "granted" },
    { name: "the admin PAT with a lower-case scheme", header: `bearer ${s.adminPat}`, secrets: [s.adminPat], expect: "granted" },
    jwtCase("a JWT holding every permission", await s.idp.sign({ ...all, jti: unique() }, aud), "granted"),
  ];
}

/** Names that look like `permission` but are not it: wildcards, other case, a prefix, padding. */
function nearMisses(permission: string): string[] {
  const prefix = permission.split(".").slice(0, -1).join(".");
  return ["*", `${prefix}.*`, prefix, permission.toUpperCase(), ` ${permission}`, `${permission} `, `${permission}s`, "admin", AUTHENTICATED];
}

/** Cases for one RPC's permission: a valid JWT with none, with all but it, and with exactly it. */
export async function permissionCases(s: CaseSources, permission: string): Promise<CredentialCase[]> {
  const aud = { aud: s.audience };
  const others = PERMISSIONS.filter((p) => p !== permission);
  const exactly = permission === AUTHENTICATED ? [] : [permission];
  return [
    jwtCase("a valid JWT without permissions", await s.idp.sign({ permissions: [], jti: unique() }, aud), "lacking"),
    jwtCase("a valid JWT with every other permission", await s.idp.sign({ permissions: others, jti: unique() }, aud), "lacking"),
    jwtCase("a valid JWT with near misses of the permission", await s.idp.sign({ permissions: nearMisses(permission), jti: unique() }, aud), "lacking"),
    jwtCase("a valid JWT with the permission's name in another claim", await s.idp.sign({ scope: permission, roles: [permission], jti: unique() }, aud), "lacking"),
    jwtCase("a valid JWT with exactly the permission", await s.idp.sign({ permissions: exactly, jti: unique() }, aud), "granted"),
    jwtCase("a valid JWT with exactly the permission as a string", await s.idp.sign({ permissions: exactly.join(" "), jti: unique() }, aud), "granted"),
  ];
}
