import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import type { Caller } from "./caller.js";

/** Verifies an OIDC access token (JWT); undefined for any invalid, expired or foreign token. */
export type OidcVerifier = (token: string) => Promise<Caller | undefined>;

/** Options of {@link createOidcVerifier}. */
export interface OidcVerifierOptions {
  /** Expected `iss` claim, compared exactly (e.g. `https://example.zitadel.cloud`). */
  issuer: string;
  /** Where the issuer publishes its keys; default `<issuer>/oauth/v2/keys` (ZITADEL's JWKS path). */
  jwksUrl?: string;
  /** Keys given directly (tests, pinned keys); takes precedence over `jwksUrl`. */
  jwks?: JWTVerifyGetKey;
  /** Required `aud` value; unchecked when unset. */
  audience?: string;
  /**
   * Claim holding the caller's permissions (default `permissions`): an array of strings, a
   * space-separated string (like `scope`), or a ZITADEL-style roles object whose keys are the names.
   */
  permissionsClaim?: string;
  /** Claim holding the caller's organisation id (default ZITADEL's `urn:zitadel:iam:user:resourceowner:id`). */
  orgIdClaim?: string;
  /** Claim holding the caller's project id; none by default. */
  projectIdClaim?: string;
  /** Timeout of one JWKS fetch (default 5000 ms). */
  fetchTimeoutMs?: number;
  /** Allowed clock skew for `exp`/`nbf`/`iat` (default 5000 ms). */
  clockToleranceMs?: number;
  /** Told when the key set cannot be fetched (as opposed to a bad token), so outages are visible. */
  onKeySetError?: (error: Error) => void;
}

/** Asymmetric algorithms only: `none` and HMAC (whose key would be public) must never verify. */
const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"];

/** The default claim names. */
export const OIDC_DEFAULTS = { permissionsClaim: "permissions", orgIdClaim: "urn:zitadel:iam:user:resourceowner:id" } as const;

/** Creates a verifier of JWT access tokens against the issuer's JWKS; never throws. */
export function createOidcVerifier(opts: OidcVerifierOptions): OidcVerifier {
  const jwks =
    opts.jwks ??
    createRemoteJWKSet(new URL(opts.jwksUrl ?? `${opts.issuer.replace(/\/+$/, "")}/oauth/v2/keys`), {
      timeoutDuration: opts.fetchTimeoutMs ?? 5000,
    });
  const permissionsClaim = opts.permissionsClaim ?? OIDC_DEFAULTS.permissionsClaim;
  const orgIdClaim = opts.orgIdClaim ?? OIDC_DEFAULTS.orgIdClaim;
  const verifyOptions = {
    issuer: opts.issuer,
    algorithms: ALGORITHMS,
    clockTolerance: Math.ceil((opts.clockToleranceMs ?? 5000) / 1000),
    ...(opts.audience !== undefined ? { audience: opts.audience } : {}),
  };

  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, verifyOptions));
    } catch (e) {
      if (opts.onKeySetError && isKeySetFailure(e)) opts.onKeySetError(e);
      return undefined;
    }
    if (typeof payload.sub !== "string" || payload.sub === "") return undefined;
    const caller: Caller = { userId: payload.sub, permissions: permissionsOf(payload[permissionsClaim]), via: "oidc" };
    const orgId = payload[orgIdClaim];
    if (typeof orgId === "string" && orgId !== "") caller.orgId = orgId;
    const projectId = opts.projectIdClaim === undefined ? undefined : payload[opts.projectIdClaim];
    if (typeof projectId === "string" && projectId !== "") caller.projectId = projectId;
    return caller;
  };
}

/** Reads a permissions claim in any of its accepted shapes; anything else grants nothing. */
export function permissionsOf(claim: unknown): ReadonlySet<string> {
  if (typeof claim === "string") return new Set(claim.split(/\s+/).filter((p) => p !== ""));
  if (Array.isArray(claim)) return new Set(claim.filter((p): p is string => typeof p === "string" && p !== ""));
  if (claim !== null && typeof claim === "object") return new Set(Object.keys(claim));
  return new Set();
}

// Failures to obtain keys (timeout, unreachable issuer, malformed JWKS) are operational problems;
// signature, claim and "no matching key" failures are just bad tokens.
function isKeySetFailure(e: unknown): e is Error {
  if (e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid) return true;
  // jose throws the bare base class only for a non-200 or non-JSON JWKS response.
  if (e instanceof errors.JOSEError) return Object.getPrototypeOf(e) === errors.JOSEError.prototype;
  return e instanceof Error;
}
