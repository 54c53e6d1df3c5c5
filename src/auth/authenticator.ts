import { DomainError } from "../domain/errors.js";
import type { Caller } from "./caller.js";
import type { OidcVerifier } from "./oidc.js";
import type { PatVerifier } from "./pat.js";

/** Turns an `Authorization` header into a {@link Caller}. */
export interface Authenticator {
  /** Resolves the caller, or throws a DomainError of kind `unauthenticated` whose message never contains the token. */
  authenticate(authorizationHeader: string | null): Promise<Caller>;
}

/** Dependencies of {@link createAuthenticator}. */
export interface AuthenticatorDeps {
  pat: PatVerifier;
  /** When set, JWT-shaped tokens are verified as OIDC access tokens. */
  oidc?: OidcVerifier;
}

// RFC 6750 b64token (token68); also bounds the length so a huge header is not hashed or parsed.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]{1,8192}=*) *$/i;
// Three base64url segments: a JWS compact serialization.
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function unauthenticated(reason: string, message: string): DomainError {
  return new DomainError("unauthenticated", reason, message);
}

/** Creates the authenticator: Bearer tokens only; JWTs go to OIDC when configured, everything else to PATs. */
export function createAuthenticator(deps: AuthenticatorDeps): Authenticator {
  return {
    async authenticate(header) {
      if (header === null || header.trim() === "") {
        throw unauthenticated("auth.missing_token", "missing credentials: send an \"authorization: Bearer <token>\" header");
      }
      if (!/^Bearer(?: |$)/i.test(header)) {
        throw unauthenticated("auth.unsupported_scheme", "unsupported authorization scheme: use \"Bearer <token>\"");
      }
      const token = BEARER.exec(header)?.[1];
      if (token === undefined) throw unauthenticated("auth.malformed_token", "malformed bearer token");
      const caller = deps.oidc && JWT_SHAPE.test(token) ? await deps.oidc(token) : deps.pat(token);
      if (!caller) throw unauthenticated("auth.invalid_token", "invalid, expired or unknown token");
      return caller;
    },
  };
}
