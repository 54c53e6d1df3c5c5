import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { createHash, createPublicKey } from "node:crypto";
import { Code } from "@connectrpc/connect";
import { inProcess } from "../helpers/in-process.js";
import { expectCode } from "../helpers/expect-code.js";
import { PublicKeyFieldName } from "../../gen/zitadel/action/v2/query_pb.js";
import { TimestampFilterMethod } from "../../gen/zitadel/filter/v2/filter_pb.js";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));
const target = {
  name: "jwe",
  targetType: { case: "restWebhook" as const, value: {} },
  timeout: { seconds: 5n },
  endpoint: "https://hooks.example.net/jwe",
};

async function withTarget() {
  const ctx = inProcess();
  const { id } = await ctx.client.createTarget(target);
  return { ...ctx, targetId: id };
}

describe("AddPublicKey", () => {
  it.each(["rsa.pub", "ec.pub"])("accepts a %s SPKI PEM key, inactive, with a SHA256 fingerprint of the DER", async (file) => {
    const { client, targetId } = await withTarget();
    const pem = fixture(file);
    const { keyId, creationDate } = await client.addPublicKey({ targetId, publicKey: pem });
    expect(keyId).toMatch(/^\d+$/);
    expect(creationDate).toBeDefined();
    const der = createPublicKey(pem).export({ type: "spki", format: "der" });
    const expected = `SHA256:${createHash("sha256").update(der).digest("base64").replace(/=+$/, "")}`;
    const { publicKeys } = await client.listPublicKeys({ targetId });
    expect(publicKeys).toHaveLength(1);
    expect(publicKeys[0]).toMatchObject({ keyId, active: false, fingerprint: expected });
    expect(Buffer.from(publicKeys[0]!.publicKey).toString()).toBe(pem.toString());
  });

  it.each([
    ["a PKCS#1 RSA PUBLIC KEY", "rsa-pkcs1.pub"],
    ["an Ed25519 key", "ed25519.pub"],
    ["a private key", "ec.key"],
    ["an RSA key under 2048 bits", "rsa1024.pub"],
  ])("rejects %s with INVALID_ARGUMENT naming public_key", async (_what, file) => {
    const { client, targetId } = await withTarget();
    await expectCode(client.addPublicKey({ targetId, publicKey: fixture(file) }), Code.InvalidArgument, /^public_key: /);
  });

  it("rejects empty, garbage and oversized keys with INVALID_ARGUMENT", async () => {
    const { client, targetId } = await withTarget();
    await expectCode(client.addPublicKey({ targetId, publicKey: new Uint8Array() }), Code.InvalidArgument, /^public_key: /);
    await expectCode(client.addPublicKey({ targetId, publicKey: new TextEncoder().encode("hello") }), Code.InvalidArgument, /^public_key: /);
    await expectCode(client.addPublicKey({ targetId, publicKey: new Uint8Array(8193).fill(65) }), Code.InvalidArgument, /^public_key: /);
  });

  it("rejects an expiration in the past and a missing target", async () => {
    const { client, targetId } = await withTarget();
    await expectCode(client.addPublicKey({ targetId, publicKey: fixture("ec.pub"), expirationDate: { seconds: 1000n } }), Code.InvalidArgument, /^expiration_date: /);
    await expectCode(client.addPublicKey({ targetId: "404", publicKey: fixture("ec.pub") }), Code.NotFound);
    await expectCode(client.addPublicKey({ targetId: "", publicKey: fixture("ec.pub") }), Code.InvalidArgument, /^target_id: /);
  });
});

describe("activate, deactivate, remove", () => {
  it("keeps one active key, treats repeats as no-ops and removes only inactive keys", async () => {
    const { client, targetId } = await withTarget();
    const k1 = (await client.addPublicKey({ targetId, publicKey: fixture("ec.pub") })).keyId;
    const k2 = (await client.addPublicKey({ targetId, publicKey: fixture("rsa.pub") })).keyId;
    await client.activatePublicKey({ targetId, keyId: k1 });
    await client.activatePublicKey({ targetId, keyId: k2 });
    await client.activatePublicKey({ targetId, keyId: k2 });
    const active = await client.listPublicKeys({ targetId, filters: [{ filter: { case: "activeFilter", value: true } }] });
    expect(active.publicKeys.map((k) => k.keyId)).toEqual([k2]);
    await expectCode(client.removePublicKey({ targetId, keyId: k2 }), Code.FailedPrecondition, /deactivate/);
    await client.deactivatePublicKey({ targetId, keyId: k2 });
    await client.deactivatePublicKey({ targetId, keyId: k2 });
    expect((await client.removePublicKey({ targetId, keyId: k2 })).deletionDate).toBeDefined();
    expect((await client.removePublicKey({ targetId, keyId: k2 })).deletionDate).toBeUndefined();
  });

  it("reports a missing target or key on activate and deactivate as NOT_FOUND", async () => {
    const { client, targetId } = await withTarget();
    await expectCode(client.activatePublicKey({ targetId, keyId: "1" }), Code.NotFound);
    await expectCode(client.deactivatePublicKey({ targetId, keyId: "1" }), Code.NotFound);
    await expectCode(client.activatePublicKey({ targetId: "9", keyId: "1" }), Code.NotFound);
    await expectCode(client.activatePublicKey({ targetId, keyId: "" }), Code.InvalidArgument, /^key_id: /);
  });

  it("refuses to activate an expired key with FAILED_PRECONDITION", async () => {
    const { client, clock, targetId } = await withTarget();
    const expiry = BigInt(Math.floor(clock().getTime() / 1000) + 60);
    const { keyId } = await client.addPublicKey({ targetId, publicKey: fixture("ec.pub"), expirationDate: { seconds: expiry } });
    clock.advance(61_000);
    await expectCode(client.activatePublicKey({ targetId, keyId }), Code.FailedPrecondition, /expired/);
  });
});

describe("ListPublicKeys", () => {
  it("filters by ids and expiration, sorts by expiration and pages", async () => {
    const { client, clock, targetId } = await withTarget();
    const base = BigInt(Math.floor(clock().getTime() / 1000));
    const never = (await client.addPublicKey({ targetId, publicKey: fixture("ec.pub") })).keyId;
    const soon = (await client.addPublicKey({ targetId, publicKey: fixture("ec.pub"), expirationDate: { seconds: base + 100n } })).keyId;
    const later = (await client.addPublicKey({ targetId, publicKey: fixture("ec.pub"), expirationDate: { seconds: base + 900n } })).keyId;
    const sorted = await client.listPublicKeys({ targetId, sortingColumn: PublicKeyFieldName.EXPIRATION_DATE, pagination: { asc: true } });
    expect(sorted.publicKeys.map((k) => k.keyId)).toEqual([soon, later, never]);
    const before = await client.listPublicKeys({
      targetId,
      filters: [{ filter: { case: "expirationDateFilter", value: { timestamp: { seconds: base + 500n }, method: TimestampFilterMethod.BEFORE } } }],
    });
    expect(before.publicKeys.map((k) => k.keyId)).toEqual([soon]);
    const byId = await client.listPublicKeys({ targetId, filters: [{ filter: { case: "keyIdsFilter", value: { ids: [never, later] } } }], pagination: { limit: 1 } });
    expect(byId.pagination).toMatchObject({ totalResult: 2n, appliedLimit: 1n });
    await expectCode(client.listPublicKeys({ targetId: "nope" }), Code.NotFound);
    await expectCode(client.listPublicKeys({ targetId, filters: [{ filter: { case: "keyIdsFilter", value: { ids: ["a", "a"] } } }] }), Code.InvalidArgument, /duplicate/);
  });
});
