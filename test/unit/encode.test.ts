import { readFileSync } from "node:fs";
import { compactDecrypt, compactVerify, createLocalJWKSet, decodeProtectedHeader, importPKCS8 } from "jose";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createSecretBox } from "../../src/crypto/secret-box.js";
import { createPayloadEncoder, type EncryptionKey } from "../../src/execution/encode.js";
import { jwks, loadOrCreateInstanceKey, type InstanceKey } from "../../src/execution/instance-key.js";
import { openDatabase } from "../../src/store/db.js";

// Counts PEM imports to observe the encoder's key cache; everything else is the real jose.
const imports = vi.hoisted(() => ({ count: 0 }));
vi.mock("jose", async (importOriginal) => {
  const jose = await importOriginal<typeof import("jose")>();
  return { ...jose, importSPKI: (...args: Parameters<typeof jose.importSPKI>) => (imports.count++, jose.importSPKI(...args)) };
});

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");
const RSA_KEY: EncryptionKey = { id: "300000000000000001", pem: fixture("rsa.pub"), keyType: "rsa" };
const EC_KEY: EncryptionKey = { id: "300000000000000002", pem: fixture("ec.pub"), keyType: "ec" };
// Go-style JSON: HTML characters escaped, fixed key order, no spaces. Re-serialising would change these bytes.
const JSON_BODY = '{"fullMethod":"/zitadel.user.v2.UserService/AddHumanUser","instanceID":"1","request":{"note":"\\u003cb\\u003e Zoë ✓","n":1.50}}';

let key: InstanceKey;
beforeAll(async () => {
  key = await loadOrCreateInstanceKey({ db: openDatabase({ path: ":memory:" }), secrets: createSecretBox(new Uint8Array(32).fill(1)), alg: "ES256", clock: () => new Date() });
});
beforeEach(() => {
  imports.count = 0;
});

function encoder(overrides: { instanceKey?: () => Promise<InstanceKey>; maxCachedKeys?: number } = {}) {
  const instanceKey = vi.fn(overrides.instanceKey ?? (async () => key));
  return { instanceKey, encoder: createPayloadEncoder({ instanceKey, ...(overrides.maxCachedKeys ? { maxCachedKeys: overrides.maxCachedKeys } : {}) }) };
}

/** Verifies a compact JWS against the published JWKS and returns its header and exact payload text. */
async function verifyJws(jws: string) {
  const { payload, protectedHeader } = await compactVerify(jws, createLocalJWKSet(jwks(key)));
  return { protectedHeader, payload: Buffer.from(payload).toString("utf8") };
}

async function decrypt(jwe: string, privateKeyFile: string, alg: string) {
  const { plaintext, protectedHeader } = await compactDecrypt(jwe, await importPKCS8(fixture(privateKeyFile), alg));
  return { protectedHeader, inner: Buffer.from(plaintext).toString("utf8") };
}

describe("createPayloadEncoder", () => {
  it("sends JSON payloads unchanged without touching the instance key", async () => {
    const { encoder: e, instanceKey } = encoder();
    expect(await e.encode(JSON_BODY, { payloadType: "json" })).toEqual({ ok: true, body: JSON_BODY });
    expect(instanceKey).not.toHaveBeenCalled();
  });

  it("signs JWT payloads whose payload bytes are exactly the JSON, with alg, kid and typ only", async () => {
    const result = await encoder().encoder.encode(JSON_BODY, { payloadType: "jwt" });
    if (!result.ok) throw new Error(result.message);
    expect(result.body.split(".")).toHaveLength(3);
    expect(result.body.split(".")[1]).toBe(Buffer.from(JSON_BODY, "utf8").toString("base64url"));
    const { protectedHeader, payload } = await verifyJws(result.body);
    expect(protectedHeader).toEqual({ alg: "ES256", kid: key.kid, typ: "JWT" });
    expect(payload).toBe(JSON_BODY);
  });

  it("encrypts the signed JWT to an RSA public key with RSA-OAEP-256 and A256GCM", async () => {
    const result = await encoder().encoder.encode(JSON_BODY, { payloadType: "jwe", publicKey: RSA_KEY });
    if (!result.ok) throw new Error(result.message);
    expect(result.body.split(".")).toHaveLength(5);
    const { protectedHeader, inner } = await decrypt(result.body, "rsa.key", "RSA-OAEP-256");
    expect(protectedHeader).toEqual({ alg: "RSA-OAEP-256", enc: "A256GCM", kid: RSA_KEY.id, typ: "JWT", cty: "JWT" });
    const jws = await verifyJws(inner);
    expect(jws.protectedHeader).toEqual({ alg: "ES256", kid: key.kid, typ: "JWT" });
    expect(jws.payload).toBe(JSON_BODY);
  });

  it("encrypts the signed JWT to an EC public key with ECDH-ES+A256KW and A256GCM", async () => {
    const result = await encoder().encoder.encode(JSON_BODY, { payloadType: "jwe", publicKey: EC_KEY });
    if (!result.ok) throw new Error(result.message);
    const { protectedHeader, inner } = await decrypt(result.body, "ec.key", "ECDH-ES+A256KW");
    expect(protectedHeader).toMatchObject({ alg: "ECDH-ES+A256KW", enc: "A256GCM", kid: EC_KEY.id, typ: "JWT", cty: "JWT" });
    expect(protectedHeader.epk).toMatchObject({ kty: "EC", crv: "P-256" });
    expect((await verifyJws(inner)).payload).toBe(JSON_BODY);
  });

  it("refuses JWE without an active public key and does not sign", async () => {
    const { encoder: e, instanceKey } = encoder();
    expect(await e.encode(JSON_BODY, { payloadType: "jwe" })).toEqual({ ok: false, reason: "missing_encryption_key", message: expect.any(String) });
    expect(instanceKey).not.toHaveBeenCalled();
  });

  it("reports invalid_public_key for unparsable, mismatched or unsupported keys", async () => {
    const e = encoder().encoder;
    const bad: EncryptionKey[] = [
      { id: "1", pem: "-----BEGIN PUBLIC KEY-----\nbm9wZQ==\n-----END PUBLIC KEY-----\n", keyType: "rsa" },
      { id: "2", pem: "not a pem", keyType: "ec" },
      { ...RSA_KEY, keyType: "ec" },
      { ...EC_KEY, keyType: "rsa" },
      { id: "3", pem: fixture("ed25519.pub"), keyType: "ec" },
      { id: "4", pem: fixture("rsa-pkcs1.pub"), keyType: "rsa" },
      // jose imports it but refuses RSA-OAEP under 2048 bits; AddPublicKey rejects such keys anyway.
      { id: "5", pem: fixture("rsa1024.pub"), keyType: "rsa" },
    ];
    for (const publicKey of bad) {
      const result = await e.encode(JSON_BODY, { payloadType: "jwe", publicKey });
      expect(result, publicKey.id).toEqual({ ok: false, reason: "invalid_public_key", message: expect.stringContaining(publicKey.id) });
    }
  });

  it("reports signing_failed when the instance key is unavailable", async () => {
    const { encoder: e } = encoder({ instanceKey: async () => Promise.reject(new Error("no key")) });
    for (const payloadType of ["jwt", "jwe"] as const) {
      expect(await e.encode(JSON_BODY, { payloadType, publicKey: RSA_KEY })).toEqual({ ok: false, reason: "signing_failed", message: expect.stringContaining("no key") });
    }
  });

  it("imports each public key once and re-imports when the PEM under an id changes", async () => {
    const e = encoder().encoder;
    for (let i = 0; i < 3; i++) expect((await e.encode("{}", { payloadType: "jwe", publicKey: RSA_KEY })).ok).toBe(true);
    expect(imports.count).toBe(1);
    const replaced: EncryptionKey = { id: RSA_KEY.id, pem: EC_KEY.pem, keyType: "ec" };
    const result = await e.encode("{}", { payloadType: "jwe", publicKey: replaced });
    if (!result.ok) throw new Error(result.message);
    expect(imports.count).toBe(2);
    expect(decodeProtectedHeader(result.body).alg).toBe("ECDH-ES+A256KW");
    expect((await decrypt(result.body, "ec.key", "ECDH-ES+A256KW")).protectedHeader.kid).toBe(RSA_KEY.id);
  });

  it("bounds the key cache, evicting the least recently used key", async () => {
    const e = encoder({ maxCachedKeys: 2 }).encoder;
    const use = (publicKey: EncryptionKey) => e.encode("{}", { payloadType: "jwe", publicKey });
    const third: EncryptionKey = { ...RSA_KEY, id: "300000000000000003" };
    await use(RSA_KEY);
    await use(EC_KEY);
    await use(RSA_KEY); // now EC_KEY is the least recently used
    await use(third); // evicts EC_KEY
    expect(imports.count).toBe(3);
    await use(RSA_KEY);
    expect(imports.count).toBe(3);
    await use(EC_KEY);
    expect(imports.count).toBe(4);
  });
});
