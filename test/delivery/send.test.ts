import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { compactDecrypt, decodeProtectedHeader, importPKCS8 } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { TargetSnapshot } from "../../src/domain/delivery.js";
import { parsePublicKeyPem } from "../../src/domain/public-key.js";
import { RECORDED_BODY_BYTES } from "../../src/delivery/send.js";
import { deliveryFixture, signatureVerifies, type DeliveryFixture } from "../helpers/delivery-fixture.js";
import { actor } from "../helpers/store-fixtures.js";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");

let f: DeliveryFixture;
beforeEach(async () => {
  f = await deliveryFixture();
});
afterEach(async () => {
  await f.close();
});

/** Enqueues a job for `snapshot` and sends it once, as the worker would. */
async function sendOnce(snapshot: TargetSnapshot, payload: unknown = { hello: "world" }) {
  const id = f.enqueue(snapshot, payload);
  const [job] = f.deliveries.claim(1);
  return { id, ...(await f.send(job!)) };
}

/** A target answering JWE, with an active RSA public key from the fixtures. */
function jweTarget(path: string) {
  const { snapshot } = f.target(path, { payloadType: "jwe" });
  const { id } = f.stores.publicKeys.add(snapshot.id, parsePublicKeyPem(Buffer.from(fixture("rsa.pub"))), undefined, actor);
  f.stores.publicKeys.activate(snapshot.id, id, actor);
  return { snapshot: { ...snapshot, publicKeyId: id }, keyId: id };
}

describe("sendDelivery", () => {
  it("posts the payload with webhook-id and both signature headers and records the answer", async () => {
    f.receiver.respond("/hook", { status: 202, body: "x".repeat(3000) });
    const { snapshot, signingKey } = f.target("/hook");
    const { id, attempt, retryAfterMs } = await sendOnce(snapshot);
    const [call] = f.receiver.on("/hook");
    expect(call!.headers["webhook-id"]).toBe(id);
    expect(call!.body.toString()).toBe('{"hello":"world"}');
    expect(signatureVerifies(call!.headers["zitadel-signature"] as string, call!.body, signingKey)).toBe(true);
    expect(call!.headers["x-zitadel-signature"]).toBe(`sha256=${createHmac("sha256", signingKey).update(call!.body).digest("hex")}`);
    expect(attempt).toMatchObject({ attempt: 1, outcome: "ok", status: 202 });
    expect(attempt.latencyMs).toBeGreaterThan(0);
    expect(attempt.responseBody).toHaveLength(RECORDED_BODY_BYTES);
    expect(retryAfterMs).toBeUndefined();
  });

  it("keeps async payloads sealed at rest and sends them opened; plain JSON rows (events, older versions, the admin CLI) are sent as they are", async () => {
    const { snapshot } = f.target("/sealed");
    const id = f.enqueue(snapshot, { secret: "s3cr3t-value" }, undefined, "async");
    const stored = f.stores.db.prepare("SELECT payload FROM deliveries WHERE id = ?").get(id) as { payload: string };
    expect(stored.payload).not.toContain("s3cr3t-value");
    expect(stored.payload.startsWith("v1.")).toBe(true);
    f.stores.db.prepare("UPDATE deliveries SET payload = ? WHERE id <> ?").run('{"plain":true}', id);
    f.enqueue(snapshot, {});
    f.stores.db.prepare("UPDATE deliveries SET payload = ? WHERE id <> ?").run('{"plain":true}', id);
    for (const job of f.deliveries.claim(2)) await f.send(job);
    expect(f.receiver.on("/sealed").map((c) => c.body.toString()).sort()).toEqual(['{"plain":true}', '{"secret":"s3cr3t-value"}']);
  });

  it("stores event payloads plain, as the events table already holds them, and sends them unchanged", async () => {
    const { snapshot } = f.target("/plain-event");
    const id = f.enqueue(snapshot, { event: "body" });
    const stored = f.stores.db.prepare("SELECT payload FROM deliveries WHERE id = ?").get(id) as { payload: string };
    expect(stored.payload).toBe('{"event":"body"}');
    for (const job of f.deliveries.claim(1)) await f.send(job);
    expect(f.receiver.on("/plain-event").map((c) => c.body.toString())).toEqual(['{"event":"body"}']);
  });

  it("signs with every key still valid during a rotation grace period", async () => {
    const { snapshot, signingKey: oldKey } = f.target("/rotated");
    const { signingKey: newKey } = f.stores.targets.update(snapshot.id, { rotateSigningKey: { graceMs: 60_000 } }, actor);
    const sealedSigningKeys = f.stores.targets.sealedSigningKeys(snapshot.id, f.stores.clock());
    await sendOnce({ ...snapshot, sealedSigningKeys });
    const [call] = f.receiver.on("/rotated");
    const header = call!.headers["zitadel-signature"] as string;
    expect(signatureVerifies(header, call!.body, newKey!)).toBe(true);
    expect(signatureVerifies(header, call!.body, oldKey)).toBe(true);
  });

  it("returns Retry-After in milliseconds, given in seconds or as an HTTP date", async () => {
    f.receiver.respond("/secs", { status: 503, headers: { "retry-after": "3" } });
    const secs = await sendOnce(f.target("/secs").snapshot);
    expect(secs.attempt).toMatchObject({ outcome: "http_error", status: 503 });
    expect(secs.retryAfterMs).toBe(3000);

    f.receiver.respond("/date", { status: 429, headers: { "retry-after": new Date(f.clock().getTime() + 10_000).toUTCString() } });
    const date = await sendOnce(f.target("/date").snapshot);
    expect(date.retryAfterMs).toBeGreaterThan(8000);
    expect(date.retryAfterMs).toBeLessThanOrEqual(10_000);
  });

  it("reports a timeout without a status", async () => {
    f.receiver.respond("/slow", { delayMs: 1000 });
    const { attempt } = await sendOnce(f.target("/slow", { timeoutMs: 100 }).snapshot);
    expect(attempt.outcome).toBe("timeout");
    expect(attempt.status).toBeUndefined();
    expect(attempt.error).toContain("timed out");
  });

  it("reports an unreachable target", async () => {
    const { snapshot } = f.target("/nobody");
    const { attempt } = await sendOnce({ ...snapshot, endpoint: "http://127.0.0.1:1/nobody" });
    expect(attempt.outcome).toBe("unreachable");
  });

  it("encrypts a JWE payload to the snapshot's public key", async () => {
    const { snapshot, keyId } = jweTarget("/jwe");
    const { attempt } = await sendOnce(snapshot, { secret: 1 });
    expect(attempt.outcome).toBe("ok");
    const [call] = f.receiver.on("/jwe");
    const jwe = call!.body.toString();
    expect(decodeProtectedHeader(jwe)).toMatchObject({ kid: keyId, alg: "RSA-OAEP-256", cty: "JWT" });
    const { plaintext } = await compactDecrypt(jwe, await importPKCS8(fixture("rsa.key"), "RSA-OAEP-256"));
    const payload = Buffer.from(plaintext).toString().split(".")[1]!;
    expect(Buffer.from(payload, "base64url").toString()).toBe('{"secret":1}');
  });

  describe("fails to prepare, without calling the target,", () => {
    it("when the snapshot's public key was deactivated", async () => {
      const { snapshot, keyId } = jweTarget("/inactive");
      f.stores.publicKeys.deactivate(snapshot.id, keyId, actor);
      const { attempt } = await sendOnce(snapshot);
      expect(attempt).toMatchObject({ outcome: "prepare_failed", error: `public key ${keyId} is no longer active` });
      expect(attempt.status).toBeUndefined();
    });

    it("when the snapshot's public key has expired since", async () => {
      const { snapshot } = f.target("/expired", { payloadType: "jwe" });
      const expiresAt = new Date(f.stores.clock().getTime() + 60_000);
      const { id } = f.stores.publicKeys.add(snapshot.id, parsePublicKeyPem(Buffer.from(fixture("rsa.pub"))), expiresAt, actor);
      f.stores.publicKeys.activate(snapshot.id, id, actor);
      f.clock.advance(expiresAt.getTime() - f.clock().getTime() + 1000);
      const { attempt } = await sendOnce({ ...snapshot, publicKeyId: id });
      expect(attempt).toMatchObject({ outcome: "prepare_failed", error: `public key ${id} has expired` });
    });

    it("when the public key is gone or there was none at enqueue time", async () => {
      const { snapshot } = f.target("/nokey", { payloadType: "jwe" });
      expect((await sendOnce(snapshot)).attempt.outcome).toBe("prepare_failed");
      expect((await sendOnce({ ...snapshot, publicKeyId: "404" })).attempt.error).toBe("public key 404 no longer exists");
    });

    it("when a sealed signing key cannot be opened", async () => {
      const { snapshot } = f.target("/badkey");
      const { attempt } = await sendOnce({ ...snapshot, sealedSigningKeys: ["not-a-sealed-key"] });
      expect(attempt).toMatchObject({ outcome: "prepare_failed", error: "cannot open the target's signing key", latencyMs: 0 });
    });

    it("when the stored payload cannot be opened (sealed under another master key, or moved to another job)", async () => {
      const { snapshot } = f.target("/badpayload");
      const first = f.enqueue(snapshot, { n: 1 }, undefined, "async");
      f.enqueue(snapshot, { n: 2 }, undefined, "async");
      // Swap the sealed payloads of the two rows: each is bound to its own job id.
      const rows = f.stores.db.prepare("SELECT n, payload FROM deliveries ORDER BY n").all() as { n: number; payload: string }[];
      const put = f.stores.db.prepare("UPDATE deliveries SET payload = ? WHERE n = ?");
      put.run(rows[1]!.payload, rows[0]!.n);
      put.run(rows[0]!.payload, rows[1]!.n);
      const jobs = f.deliveries.claim(2);
      expect(jobs.map((j) => j.id)).toContain(first);
      for (const job of jobs) {
        const { attempt } = await f.send(job);
        expect(attempt).toMatchObject({ outcome: "prepare_failed", error: "cannot open the stored payload (was the master key changed?)" });
      }
    });

    afterEach(() => {
      expect(f.receiver.received).toEqual([]);
    });
  });
});
