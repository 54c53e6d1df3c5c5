import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { createPrivateKey } from "node:crypto";
import { Code } from "@connectrpc/connect";
import { compactDecrypt, compactVerify, createRemoteJWKSet, decodeProtectedHeader } from "jose";
import { PayloadType } from "../../gen/zitadel/action/v2/target_pb.js";
import { engineFixture, onMethod, zitadelSignatureMatches } from "../helpers/engine-fixture.js";
import { expectCode } from "../helpers/expect-code.js";

let f: Awaited<ReturnType<typeof engineFixture>>;
beforeEach(async () => {
  f = await engineFixture();
});
afterEach(async () => {
  await f.close();
});

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));
const ann = { username: "ann", email: "ann@example.com" };

async function verifyWithJwks(token: string) {
  const jwks = createRemoteJWKSet(new URL(`${f.server.url}/oauth/v2/keys`));
  const { payload, protectedHeader } = await compactVerify(token, jwks);
  return { json: JSON.parse(new TextDecoder().decode(payload)), header: protectedHeader };
}

describe("JWT payloads", () => {
  it("sends a JWT signed by the instance key published at /oauth/v2/keys; its payload is the plain JSON payload", async () => {
    const { id, signingKey } = await f.mkTarget("/jwt", "webhook", { payloadType: PayloadType.JWT });
    await f.setExecution(onMethod("request", "AddHumanUser"), [id]);
    await f.users.addHumanUser(ann);
    const call = f.target.on("/jwt")[0]!;
    const token = call.body.toString();
    expect(token.split(".")).toHaveLength(3);
    const { json, header } = await verifyWithJwks(token);
    expect(header).toMatchObject({ alg: "ES256", typ: "JWT" });
    expect(header.kid).toBeTruthy();
    expect(json).toMatchObject({ fullMethod: "/tether.example.v1.UserService/AddHumanUser", request: ann });
    expect(json.exp).toBeUndefined();
    expect(call.headers["content-type"]).toBe("application/json");
    expect(zitadelSignatureMatches(call.headers["zitadel-signature"], call.body, signingKey)).toBe(true);
  });
});

describe("JWE payloads", () => {
  it.each([
    ["RSA", "rsa.pub", "rsa.key", "RSA-OAEP-256"],
    ["EC", "ec.pub", "ec.key", "ECDH-ES+A256KW"],
  ])("encrypts the JWT to the active %s key with kid, cty JWT and A256GCM", async (_kind, pub, priv, alg) => {
    const { id, signingKey } = await f.mkTarget("/jwe", "webhook", { payloadType: PayloadType.JWE, interrupt: true });
    const { keyId } = await f.admin.addPublicKey({ targetId: id, publicKey: fixture(pub) });
    await f.admin.activatePublicKey({ targetId: id, keyId });
    await f.setExecution(onMethod("request", "AddHumanUser"), [id]);
    await f.users.addHumanUser(ann);
    const call = f.target.on("/jwe")[0]!;
    const token = call.body.toString();
    expect(decodeProtectedHeader(token)).toMatchObject({ alg, enc: "A256GCM", kid: keyId, cty: "JWT", typ: "JWT" });
    const { plaintext } = await compactDecrypt(token, createPrivateKey(fixture(priv)));
    const { json } = await verifyWithJwks(new TextDecoder().decode(plaintext));
    expect(json.request).toEqual(ann);
    expect(zitadelSignatureMatches(call.headers["zitadel-signature"], call.body, signingKey)).toBe(true);
  });

  it("without an active key sends nothing and fails an interrupting target with INTERNAL", async () => {
    const { id } = await f.mkTarget("/jwe", "webhook", { payloadType: PayloadType.JWE, interrupt: true });
    await f.admin.addPublicKey({ targetId: id, publicKey: fixture("ec.pub") });
    await f.setExecution(onMethod("request", "AddHumanUser"), [id]);
    await expectCode(f.users.addHumanUser(ann), Code.Internal, /key/);
    expect(f.target.received).toHaveLength(0);
    expect(f.store.size).toBe(0);
  });

  it("stops using a key deactivated between two calls", async () => {
    const { id } = await f.mkTarget("/jwe", "webhook", { payloadType: PayloadType.JWE, interrupt: true });
    const { keyId } = await f.admin.addPublicKey({ targetId: id, publicKey: fixture("ec.pub") });
    await f.admin.activatePublicKey({ targetId: id, keyId });
    await f.setExecution(onMethod("request", "AddHumanUser"), [id]);
    await f.users.addHumanUser(ann);
    await f.admin.deactivatePublicKey({ targetId: id, keyId });
    await expectCode(f.users.addHumanUser(ann), Code.Internal);
    expect(f.target.received).toHaveLength(1);
  });

  it("stops using a key once it expires, checked at call time", async () => {
    const { id } = await f.mkTarget("/jwe", "webhook", { payloadType: PayloadType.JWE, interrupt: true });
    const expiresAt = Date.now() + 1500;
    const { keyId } = await f.admin.addPublicKey({
      targetId: id,
      publicKey: fixture("ec.pub"),
      expirationDate: { seconds: BigInt(Math.floor(expiresAt / 1000)), nanos: (expiresAt % 1000) * 1_000_000 },
    });
    await f.admin.activatePublicKey({ targetId: id, keyId });
    await f.setExecution(onMethod("request", "AddHumanUser"), [id]);
    await f.users.addHumanUser(ann);
    // Bounded polling until the expiry passes; each failing call proves nothing was sent.
    const deadline = Date.now() + 10_000;
    let failed = false;
    while (!failed && Date.now() < deadline) {
      failed = await f.users.addHumanUser(ann).then(
        () => false,
        () => true,
      );
      if (!failed) await new Promise((r) => setTimeout(r, 100));
    }
    expect(failed).toBe(true);
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
  });
});
