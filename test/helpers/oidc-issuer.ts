import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type JWTPayload, type JWTVerifyGetKey, type JSONWebKeySet } from "jose";

/** The issuer a {@link testIssuer} signs for unless told otherwise. */
export const TEST_ISSUER = "https://issuer.test";

/** An in-memory OIDC issuer: one ES256 key, its JWKS, and a signer of access tokens. */
export async function testIssuer(options: { issuer?: string; alg?: "ES256" | "RS256"; kid?: string } = {}) {
  const alg = options.alg ?? "ES256";
  const kid = options.kid ?? "key-1";
  const { publicKey, privateKey } = await generateKeyPair(alg);
  const jwksJson: JSONWebKeySet = { keys: [{ ...(await exportJWK(publicKey)), kid, alg, use: "sig" }] };
  const jwks: JWTVerifyGetKey = createLocalJWKSet(jwksJson);
  const issuer = options.issuer ?? TEST_ISSUER;
  return {
    issuer,
    jwks,
    jwksJson,
    /** Signs an access token for `sub` (default `user-1`); `expiresIn`/`notBefore` take jose time spans or epoch seconds. */
    async sign(claims: JWTPayload = {}, opts: { expiresIn?: string | number; notBefore?: string | number; iss?: string; aud?: string } = {}) {
      const jwt = new SignJWT({ sub: "user-1", ...claims })
        .setProtectedHeader({ alg, kid, typ: "JWT" })
        .setIssuer(opts.iss ?? issuer)
        .setIssuedAt()
        .setExpirationTime(opts.expiresIn ?? "5m");
      if (opts.notBefore !== undefined) jwt.setNotBefore(opts.notBefore);
      if (opts.aud !== undefined) jwt.setAudience(opts.aud);
      return jwt.sign(privateKey);
    },
  };
}
