import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CompactEncrypt, CompactSign, createLocalJWKSet, errors, exportSPKI, importJWK, importSPKI, type CryptoKey, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSecretBox } from "../../src/crypto/secret-box.js";
import { createPayloadEncoder, type EncryptionKey } from "../../src/execution/encode.js";
import { jwks, loadOrCreateInstanceKey, type InstanceKey } from "../../src/execution/instance-key.js";
import { createJwtPayloadVerifier, decryptAndVerify, decryptJwePayload, verifyJwtPayload } from "../../src/receiver/jwt.js";
import { openDatabase } from "../../src/store/db.js";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");
const RSA_KEY: EncryptionKey = { id: "300000000000000001", pem: fixture("rsa.pub"), keyType: "rsa" };
const EC_KEY: EncryptionKey = { id: "300000000000000002", pem: fixture("ec.pub"), keyType: "ec" };
const BODY = '{"fullMethod":"/zitadel.action.v2.ActionService/ListTargets","instanceID":"1","request":{}}';
const PAYLOAD = JSON.parse(BODY) as unknown;

let key: InstanceKey;
let otherKey: InstanceKey;
let server: Server;
let jwksUrl: string;
let jwksFetches = 0;

async function newKey(alg: "ES256" | "RS256"): Promise<InstanceKey> {
  return loadOrCreateInstanceKey({ db: openDatabase({ path: ":memory:" }), secrets: createSecretBox(new Uint8Array(32).fill(3)), alg, clock: () => new Date() });
}

beforeAll(async () => {
  [key, otherKey] = await Promise.all([newKey("ES256"), newKey("RS256")]);
  server = createServer((_req, res) => {
    jwksFetches++;
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(jwks(key)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/v2/keys`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const encoder = () => createPayloadEncoder({ instanceKey: async () => key });
async function encoded(payloadType: "jwt" | "jwe", publicKey?: EncryptionKey): Promise<string> {
  const result = await encoder().encode(BODY, { payloadType, ...(publicKey ? { publicKey } : {}) });
  if (!result.ok) throw new Error(result.message);
  return result.body;
}

describe("verifyJwtPayload", () => {
  it("returns the JSON body of a JWT payload verified against a key set object (no exp or iat needed)", async () => {
    expect(await verifyJwtPayload(await encoded("jwt"), jwks(key))).toEqual(PAYLOAD);
  });

  it("verifies against a JWKS URL and against a jose key getter", async () => {
    const token = await encoded("jwt");
    expect(await verifyJwtPayload(token, jwksUrl)).toEqual(PAYLOAD);
    expect(await verifyJwtPayload(token, new URL(jwksUrl))).toEqual(PAYLOAD);
    expect(await verifyJwtPayload(token, createLocalJWKSet(jwks(key)))).toEqual(PAYLOAD);
  });

  it("rejects a token signed by a key outside the set", async () => {
    await expect(verifyJwtPayload(await encoded("jwt"), jwks(otherKey))).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
  });

  it("rejects a modified payload", async () => {
    const [header, , signature] = (await encoded("jwt")).split(".");
    const forged = `${header}.${Buffer.from(BODY.replace("ListTargets", "DeleteTarget")).toString("base64url")}.${signature}`;
    await expect(verifyJwtPayload(forged, jwks(key))).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
  });

  it("rejects algorithms outside the allow-list, including HMAC", async () => {
    await expect(verifyJwtPayload(await encoded("jwt"), jwks(key), { algorithms: ["RS256"] })).rejects.toBeInstanceOf(errors.JOSEAlgNotAllowed);
    const hmac = await new CompactSign(new TextEncoder().encode(BODY)).setProtectedHeader({ alg: "HS256", kid: key.kid }).sign(new Uint8Array(32));
    await expect(verifyJwtPayload(hmac, jwks(key))).rejects.toBeInstanceOf(errors.JOSEAlgNotAllowed);
  });

  it("rejects a validly signed payload that is not JSON", async () => {
    const token = await new CompactSign(new TextEncoder().encode("not json")).setProtectedHeader({ alg: key.alg, kid: key.kid }).sign(key.privateKey);
    await expect(verifyJwtPayload(token, jwks(key))).rejects.toBeInstanceOf(SyntaxError);
  });
});

describe("decryptJwePayload", () => {
  it("returns the inner JWT from an RSA-OAEP-256 JWE given a PKCS#8 PEM", async () => {
    const inner = await decryptJwePayload(await encoded("jwe", RSA_KEY), fixture("rsa.key"));
    expect(inner.split(".")).toHaveLength(3);
    expect(await verifyJwtPayload(inner, jwks(key))).toEqual(PAYLOAD);
  });

  it("returns the inner JWT from an ECDH-ES+A256KW JWE", async () => {
    expect(await verifyJwtPayload(await decryptJwePayload(await encoded("jwe", EC_KEY), fixture("ec.key")), jwks(key))).toEqual(PAYLOAD);
  });

  it("fails with the wrong private key", async () => {
    await expect(decryptJwePayload(await encoded("jwe", RSA_KEY), fixture("ec.key"))).rejects.toThrow();
  });

  it("refuses key management and content algorithms Tether never uses", async () => {
    const rsa = await importSPKI(RSA_KEY.pem, "RSA-OAEP");
    const oaepSha1 = await new CompactEncrypt(new TextEncoder().encode("x")).setProtectedHeader({ alg: "RSA-OAEP", enc: "A256GCM" }).encrypt(rsa);
    await expect(decryptJwePayload(oaepSha1, fixture("rsa.key"))).rejects.toBeInstanceOf(errors.JOSEAlgNotAllowed);
    const rsa256 = await importSPKI(RSA_KEY.pem, "RSA-OAEP-256");
    const cbc = await new CompactEncrypt(new TextEncoder().encode("x")).setProtectedHeader({ alg: "RSA-OAEP-256", enc: "A128CBC-HS256" }).encrypt(rsa256);
    await expect(decryptJwePayload(cbc, fixture("rsa.key"))).rejects.toBeInstanceOf(errors.JOSEAlgNotAllowed);
  });
});

describe("decryptAndVerify", () => {
  it("decrypts, verifies and parses a JWE payload in one step", async () => {
    expect(await decryptAndVerify(await encoded("jwe", RSA_KEY), fixture("rsa.key"), jwks(key))).toEqual(PAYLOAD);
    expect(await decryptAndVerify(await encoded("jwe", EC_KEY), fixture("ec.key"), jwksUrl)).toEqual(PAYLOAD);
  });
});

describe("createJwtPayloadVerifier", () => {
  it("fetches a remote JWKS once for many payloads", async () => {
    const verifier = createJwtPayloadVerifier(jwksUrl);
    const before = jwksFetches;
    const jwt = await encoded("jwt");
    const jwe = await encoded("jwe", RSA_KEY);
    for (let i = 0; i < 3; i++) {
      expect(await verifier.verify(jwt)).toEqual(PAYLOAD);
      expect(await verifier.decryptAndVerify(jwe, fixture("rsa.key"))).toEqual(PAYLOAD);
    }
    expect(jwksFetches - before).toBe(1);
  });
});

// Hostile tokens: wrong keys, algorithm confusion, tampering and replays. Every one must reject (never resolve).
const utf8 = (s: string) => new TextEncoder().encode(s);
const b64 = (s: string) => Buffer.from(s).toString("base64url");
const sign = (body: string, header: Record<string, unknown>, k: Parameters<CompactSign["sign"]>[0]) =>
  new CompactSign(utf8(body)).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT", ...header }).sign(k);

describe("verifyJwtPayload against hostile tokens", () => {
  it.each([
    ["alg none without a signature", () => `${b64('{"alg":"none","typ":"JWT"}')}.${b64(BODY)}.`],
    ["alg none with a copied signature", async () => `${b64('{"alg":"none"}')}.${b64(BODY)}.${(await encoded("jwt")).split(".")[2]}`],
    ["alg NONE in capitals", () => `${b64('{"alg":"NONE"}')}.${b64(BODY)}.`],
  ])("rejects %s, even when the caller lists none as allowed", async (_what, make) => {
    const token = await make();
    await expect(verifyJwtPayload(token, jwks(key))).rejects.toBeInstanceOf(errors.JOSEError);
    await expect(verifyJwtPayload(token, jwks(key), { algorithms: ["none", "NONE", "ES256"] })).rejects.toBeInstanceOf(errors.JOSEError);
  });

  it("rejects HS256 tokens keyed with the public key (PEM, JWK JSON or the x coordinate), even with HS256 allowed", async () => {
    const publicJwk = jwks(key).keys[0] as JWK;
    const pem = await exportSPKI((await importJWK(publicJwk, key.alg, { extractable: true })) as CryptoKey);
    const secrets = [pem, JSON.stringify(publicJwk), String(publicJwk.x), Buffer.from(String(publicJwk.x), "base64url").toString("latin1")];
    for (const secret of secrets) {
      const token = await sign(BODY, { alg: "HS256" }, utf8(secret));
      await expect(verifyJwtPayload(token, jwks(key))).rejects.toBeInstanceOf(errors.JOSEAlgNotAllowed);
      await expect(verifyJwtPayload(token, jwks(key), { algorithms: ["HS256", "ES256"] })).rejects.toBeInstanceOf(errors.JOSEError);
    }
  });

  it("rejects a token signed with another key under the trusted kid, and one whose kid was swapped", async () => {
    const forged = await new CompactSign(utf8(BODY)).setProtectedHeader({ alg: otherKey.alg, kid: key.kid }).sign(otherKey.privateKey);
    await expect(verifyJwtPayload(forged, jwks(key))).rejects.toBeInstanceOf(errors.JOSEError);
    const [, payload, signature] = (await encoded("jwt")).split(".");
    const swapped = `${b64(JSON.stringify({ alg: key.alg, kid: otherKey.kid, typ: "JWT" }))}.${payload}.${signature}`;
    await expect(verifyJwtPayload(swapped, jwks({ ...key, retiredJwks: [otherKey.publicJwk] }))).rejects.toBeInstanceOf(errors.JOSEError);
  });

  it("rejects a flipped signature bit, a truncated token, extra segments and non-tokens", async () => {
    const token = await encoded("jwt");
    const [h, p, s] = token.split(".") as [string, string, string];
    const sig = Buffer.from(s, "base64url");
    sig[5] = sig[5]! ^ 1;
    for (const bad of [`${h}.${p}.${sig.toString("base64url")}`, `${h}.${p}`, `${h}.${p}.`, `${token}.x`, token.slice(0, -2), "", "...", "a.b.c"]) {
      await expect(verifyJwtPayload(bad, jwks(key)), bad).rejects.toBeInstanceOf(errors.JOSEError);
    }
    await expect(verifyJwtPayload(undefined as unknown as string, jwks(key))).rejects.toThrow();
  });

  it("rejects a JWE handed in as a JWT", async () => {
    await expect(verifyJwtPayload(await encoded("jwe", RSA_KEY), jwks(key))).rejects.toBeInstanceOf(errors.JOSEError);
  });

  it("rejects a validly signed token whose exp has passed or whose nbf has not come, and accepts them inside their window", async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await sign(JSON.stringify({ ...(PAYLOAD as object), exp: now - 10 }), {}, key.privateKey);
    await expect(verifyJwtPayload(expired, jwks(key))).rejects.toBeInstanceOf(errors.JWTExpired);
    await expect(createJwtPayloadVerifier(jwks(key)).verify(expired)).rejects.toBeInstanceOf(errors.JWTExpired);
    expect(await verifyJwtPayload(expired, jwks(key), { clockToleranceSec: 60 })).toMatchObject({ exp: now - 10 });
    const early = await sign(JSON.stringify({ nbf: now + 600 }), {}, key.privateKey);
    await expect(verifyJwtPayload(early, jwks(key))).rejects.toBeInstanceOf(errors.JWTClaimValidationFailed);
    expect(await verifyJwtPayload(early, jwks(key), { currentDate: new Date((now + 601) * 1000) })).toEqual({ nbf: now + 600 });
  });

  it("rejects a nonsensical clock tolerance instead of accepting every expired token", async () => {
    const expired = await sign(JSON.stringify({ exp: 1 }), {}, key.privateKey);
    for (const clockToleranceSec of [Number.NaN, -1, Number.POSITIVE_INFINITY]) {
      await expect(verifyJwtPayload(expired, jwks(key), { clockToleranceSec })).rejects.toBeInstanceOf(RangeError);
    }
  });
});

describe("decryptJwePayload and decryptAndVerify against hostile tokens", () => {
  it("rejects a flipped bit in the encrypted key, IV, ciphertext or tag, and in the protected header", async () => {
    const token = await encoded("jwe", RSA_KEY);
    const parts = token.split(".");
    for (const index of [0, 1, 2, 3, 4]) {
      const bytes = Buffer.from(parts[index]!, "base64url");
      bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
      const tampered = parts.map((p, i) => (i === index ? bytes.toString("base64url") : p)).join(".");
      await expect(decryptJwePayload(tampered, fixture("rsa.key")), `part ${index}`).rejects.toThrow();
    }
  });

  it("rejects an EC JWE given the RSA key, and a JWS given as a JWE", async () => {
    await expect(decryptJwePayload(await encoded("jwe", EC_KEY), fixture("rsa.key"))).rejects.toThrow();
    await expect(decryptJwePayload(await encoded("jwt"), fixture("rsa.key"))).rejects.toBeInstanceOf(errors.JOSEError);
  });

  it("refuses dir, symmetric key wrap, RSA1_5 and PBES2 tokens by their header alone", async () => {
    for (const alg of ["dir", "A256KW", "RSA1_5", "PBES2-HS512+A256KW", "ECDH-ES"]) {
      const header = b64(JSON.stringify({ alg, enc: "A256GCM", ...(alg.startsWith("PBES2") ? { p2c: 1e9, p2s: "AAAAAAAAAAA" } : {}) }));
      await expect(decryptJwePayload(`${header}.AAAA.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA`, fixture("rsa.key")), alg).rejects.toBeInstanceOf(
        errors.JOSEAlgNotAllowed,
      );
    }
  });

  it("refuses compressed (zip) JWEs, which Tether never sends, before inflating them", async () => {
    const rsa = await importSPKI(RSA_KEY.pem, "RSA-OAEP-256");
    const inner = await encoded("jwt");
    const zipped = await new CompactEncrypt(utf8(inner)).setProtectedHeader({ alg: "RSA-OAEP-256", enc: "A256GCM", cty: "JWT", zip: "DEF" }).encrypt(rsa);
    await expect(decryptJwePayload(zipped, fixture("rsa.key"))).rejects.toBeInstanceOf(errors.JOSENotSupported);
    await expect(decryptAndVerify(zipped, fixture("rsa.key"), jwks(key))).rejects.toBeInstanceOf(errors.JOSENotSupported);
  });

  it("rejects a JWE anyone can make with the public key when its inner JWT is unsigned or signed by a stranger", async () => {
    const rsa = await importSPKI(RSA_KEY.pem, "RSA-OAEP-256");
    const wrap = (inner: string) =>
      new CompactEncrypt(utf8(inner)).setProtectedHeader({ alg: "RSA-OAEP-256", enc: "A256GCM", cty: "JWT", kid: RSA_KEY.id }).encrypt(rsa);
    const unsigned = `${b64('{"alg":"none"}')}.${b64(BODY)}.`;
    const stranger = await new CompactSign(utf8(BODY)).setProtectedHeader({ alg: otherKey.alg, kid: key.kid }).sign(otherKey.privateKey);
    for (const inner of [unsigned, stranger, BODY]) {
      await expect(decryptAndVerify(await wrap(inner), fixture("rsa.key"), jwks(key))).rejects.toBeInstanceOf(errors.JOSEError);
      await expect(createJwtPayloadVerifier(jwks(key)).decryptAndVerify(await wrap(inner), fixture("rsa.key"))).rejects.toThrow();
    }
  });
});
