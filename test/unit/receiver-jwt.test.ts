import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CompactEncrypt, CompactSign, createLocalJWKSet, errors, importSPKI } from "jose";
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
