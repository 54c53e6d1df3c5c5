import { CompactSign, compactVerify, createLocalJWKSet } from "jose";
import { describe, expect, it } from "vitest";
import { createSecretBox } from "../../src/crypto/secret-box.js";
import { INSTANCE_KEY_SECRET, RETIRED_KEYS_SECRET, jwks, loadOrCreateInstanceKey, type InstanceKey, type InstanceKeyAlg } from "../../src/execution/instance-key.js";
import { openDatabase, type Db } from "../../src/store/db.js";

const secrets = createSecretBox(new Uint8Array(32).fill(7));
const clock = () => new Date(1_750_000_000_000);

function load(db: Db, alg: InstanceKeyAlg = "ES256", extra: { newKid?: () => string; box?: typeof secrets } = {}) {
  return loadOrCreateInstanceKey({ db, secrets: extra.box ?? secrets, alg, clock, ...(extra.newKid ? { newKid: extra.newKid } : {}) });
}

function row(db: Db, name: string) {
  return db.prepare("SELECT value_enc, created_at FROM secrets WHERE name = ?").get(name) as { value_enc: string; created_at: number } | undefined;
}

/** Signs bytes with the key the way the encoder does. */
function sign(key: InstanceKey, payload = '{"a":1}') {
  return new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT" }).sign(key.privateKey);
}

describe("loadOrCreateInstanceKey", () => {
  it("creates an ES256 key on first use and publishes only its public half", async () => {
    const key = await load(openDatabase({ path: ":memory:" }));
    expect(key.alg).toBe("ES256");
    expect(key.kid).toMatch(/^[A-Za-z0-9_-]{43}$/); // the default kid is the SHA-256 JWK thumbprint
    expect(key.publicJwk).toEqual({ kty: "EC", crv: "P-256", x: expect.any(String), y: expect.any(String), kid: key.kid, alg: "ES256", use: "sig" });
    expect(key.retiredJwks).toEqual([]);
    expect(key.privateKey.extractable).toBe(false);
    expect(jwks(key)).toEqual({ keys: [key.publicJwk] });
  });

  it("signs payloads that verify against the published JWKS", async () => {
    const key = await load(openDatabase({ path: ":memory:" }));
    const { payload, protectedHeader } = await compactVerify(await sign(key), createLocalJWKSet(jwks(key)));
    expect(new TextDecoder().decode(payload)).toBe('{"a":1}');
    expect(protectedHeader).toEqual({ alg: "ES256", kid: key.kid, typ: "JWT" });
  });

  it("creates an RSA 2048 key for RS256 and uses newKid when given", async () => {
    const key = await load(openDatabase({ path: ":memory:" }), "RS256", { newKid: () => "kid-1" });
    expect(key.kid).toBe("kid-1");
    expect(key.publicJwk).toEqual({ kty: "RSA", n: expect.any(String), e: "AQAB", kid: "kid-1", alg: "RS256", use: "sig" });
    expect(Buffer.from(key.publicJwk.n!, "base64url")).toHaveLength(256);
    await expect(compactVerify(await sign(key), createLocalJWKSet(jwks(key)))).resolves.toBeDefined();
  });

  it("stores the key sealed under the master key, never in clear", async () => {
    const db = openDatabase({ path: ":memory:" });
    await load(db);
    const stored = row(db, INSTANCE_KEY_SECRET)!;
    expect(stored.created_at).toBe(1_750_000_000_000);
    expect(stored.value_enc).toMatch(/^v1\./);
    const plain = JSON.parse(secrets.open(stored.value_enc, INSTANCE_KEY_SECRET)) as { jwk: { d: string } };
    expect(plain.jwk.d).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(stored.value_enc).not.toContain(plain.jwk.d);
    expect(stored.value_enc).not.toContain('"d"');
    // Bound to its row: the sealed value does not open under another name.
    expect(() => secrets.open(stored.value_enc, RETIRED_KEYS_SECRET)).toThrow();
  });

  it("loads the same key on later calls and after a restart", async () => {
    const db = openDatabase({ path: ":memory:" });
    const first = await load(db);
    const sealed = row(db, INSTANCE_KEY_SECRET)!.value_enc;
    const again = await load(db);
    expect(again.kid).toBe(first.kid);
    expect(again.publicJwk).toEqual(first.publicJwk);
    expect(row(db, INSTANCE_KEY_SECRET)!.value_enc).toBe(sealed);
    await expect(compactVerify(await sign(again), createLocalJWKSet(jwks(first)))).resolves.toBeDefined();
  });

  it("creates one key when two callers race on an empty database", async () => {
    const db = openDatabase({ path: ":memory:" });
    const [a, b] = await Promise.all([load(db), load(db)]);
    expect(a.kid).toBe(b.kid);
    expect((await load(db)).kid).toBe(a.kid);
  });

  it("switches algorithm with a new key and keeps publishing the old public key", async () => {
    const db = openDatabase({ path: ":memory:" });
    const old = await load(db, "ES256");
    const oldToken = await sign(old);
    const current = await load(db, "RS256");
    expect(current.alg).toBe("RS256");
    expect(current.kid).not.toBe(old.kid);
    expect(current.retiredJwks).toEqual([old.publicJwk]);
    expect(jwks(current).keys.map((k) => k.kid)).toEqual([current.kid, old.kid]);
    // A receiver holding a payload signed just before the switch still verifies it.
    const set = createLocalJWKSet(jwks(current));
    await expect(compactVerify(oldToken, set)).resolves.toBeDefined();
    await expect(compactVerify(await sign(current), set)).resolves.toBeDefined();
    // The retired list survives a restart.
    expect((await load(db, "RS256")).retiredJwks).toEqual([old.publicJwk]);
  });

  it("keeps the five most recent retired keys, newest first", async () => {
    const db = openDatabase({ path: ":memory:" });
    const kids: string[] = [];
    for (let i = 0; i < 7; i++) kids.push((await load(db, i % 2 === 0 ? "ES256" : "RS256")).kid);
    const last = await load(db, "ES256");
    expect(last.kid).toBe(kids[6]);
    expect(last.retiredJwks.map((k) => k.kid)).toEqual([kids[5], kids[4], kids[3], kids[2], kids[1]]);
  });

  it("refuses to replace a key it cannot open rather than rotating silently", async () => {
    const db = openDatabase({ path: ":memory:" });
    await load(db);
    const sealed = row(db, INSTANCE_KEY_SECRET)!.value_enc;
    const otherBox = createSecretBox(new Uint8Array(32).fill(9));
    await expect(load(db, "ES256", { box: otherBox })).rejects.toThrow(/cannot open/);
    await expect(load(db, "RS256", { box: otherBox })).rejects.toThrow(/cannot open/);
    expect(row(db, INSTANCE_KEY_SECRET)!.value_enc).toBe(sealed);
  });
});

describe("jwks", () => {
  it("merges several keys and drops duplicates by kid", async () => {
    const db = openDatabase({ path: ":memory:" });
    const a = await load(db, "ES256");
    const b = await load(db, "RS256");
    expect(jwks([b, a]).keys.map((k) => k.kid)).toEqual([b.kid, a.kid]);
  });
});
