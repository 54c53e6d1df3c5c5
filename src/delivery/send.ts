import type { Tracer } from "@opentelemetry/api";
import type { Clock } from "../domain/clock.js";
import type { Delivery, DeliveryAttempt } from "../domain/delivery.js";
import type { TargetHttpClient, CallOutcome } from "../execution/http-client.js";
import type { EncryptionKey, PayloadEncoder } from "../execution/encode.js";
import type { TargetStore } from "../store/target-store.js";
import type { PublicKeyStore } from "../store/public-key-store.js";
import { parseRetryAfter } from "../domain/delivery.js";
import { classifyOutcome } from "../execution/outcome.js";
import { signatureHeaders } from "../execution/signing.js";
import { openDeliveryPayload } from "../store/delivery-store.js";
import type { SecretBox } from "../crypto/secret-box.js";
import { defaultTracer, traceTargetCall } from "../observability/target-span.js";

/** Bytes of a target's response body kept in the attempt log. */
export const RECORDED_BODY_BYTES = 1024;

/** Dependencies of {@link sendDelivery}; every field is used once per attempt. */
export interface SendDeliveryDeps {
  /** The one outbound client (SSRF guard, keep-alive). */
  http: Pick<TargetHttpClient, "post">;
  /** Turns the stored JSON into the body the target wants (JSON, JWT, JWE). */
  encoder: Pick<PayloadEncoder, "encode">;
  /** Opens the job's sealed payload. */
  secrets: Pick<SecretBox, "open">;
  /** Opens the snapshot's sealed signing keys. */
  targets: Pick<TargetStore, "openSigningKey">;
  /** Looks up the snapshot's public key (JWE) at send time, so a deactivated key stops encryption at once. */
  publicKeys: Pick<PublicKeyStore, "find">;
  clock: Clock;
  /** Tracer of the per-attempt client spans (default: the global provider's, a no-op until an SDK is registered). */
  tracer?: Tracer;
}

/** One attempt's record, plus the delay a `Retry-After` header asked for. */
export interface SendResult {
  attempt: DeliveryAttempt;
  retryAfterMs?: number;
}

/** The sender the worker calls; {@link sendDelivery} bound to its deps is the production one. */
export type DeliverySender = (job: Delivery) => Promise<SendResult>;

type Prepared = { ok: true; body: string; headers: Record<string, string> } | { ok: false; message: string };

/**
 * Makes one attempt at a delivery job: opens its keys, encodes, signs, POSTs with the snapshot's timeout
 * and classifies the answer. Never throws for target or key trouble; those are recorded outcomes.
 */
export async function sendDelivery(job: Delivery, deps: SendDeliveryDeps): Promise<SendResult> {
  const startedAt = deps.clock();
  const attempt = job.attempts + 1;
  const prepared = await prepare(job, deps, startedAt);
  if (!prepared.ok) {
    return { attempt: { attempt, startedAt, latencyMs: 0, outcome: "prepare_failed", error: prepared.message } };
  }
  // No caller signal: nobody waits for an async delivery, so only the target's own timeout bounds it.
  const span = { source: "delivery" as const, target: job.target, executionId: job.executionId, deliveryId: job.id, attempt };
  const outcome = await traceTargetCall(deps.tracer ?? defaultTracer(), span, prepared.headers, (headers) =>
    deps.http.post({ url: job.target.endpoint, headers, body: prepared.body, timeoutMs: job.target.timeoutMs }),
  );
  return toResult(job, attempt, startedAt, outcome, deps.clock);
}

/** Binds {@link sendDelivery} to its deps, for {@link DeliveryWorkerDeps.send}. */
export function createDeliverySender(deps: SendDeliveryDeps): DeliverySender {
  return (job) => sendDelivery(job, deps);
}

async function prepare(job: Delivery, deps: SendDeliveryDeps, now: Date): Promise<Prepared> {
  let keys: string[];
  try {
    keys = job.target.sealedSigningKeys.map((sealed) => deps.targets.openSigningKey(job.target.id, sealed));
  } catch {
    // The cause may quote key material; the attempt log only says which step failed.
    return { ok: false, message: "cannot open the target's signing key" };
  }
  let payload: string;
  try {
    payload = openDeliveryPayload(deps.secrets, job);
  } catch {
    return { ok: false, message: "cannot open the stored payload (was the master key changed?)" };
  }
  const key = job.target.payloadType === "jwe" ? encryptionKey(job, deps, now) : undefined;
  if (key !== undefined && "message" in key) return { ok: false, message: key.message };
  const encoded = await deps.encoder.encode(payload, { payloadType: job.target.payloadType, ...(key ? { publicKey: key } : {}) });
  if (!encoded.ok) return { ok: false, message: encoded.message };
  const headers = {
    "content-type": "application/json",
    ...signatureHeaders(encoded.body, keys, now.getTime() / 1000),
    // Stable across attempts so receivers can de-duplicate (decisions §13).
    "webhook-id": job.id,
  };
  return { ok: true, body: encoded.body, headers };
}

/** The snapshot's public key if it is still usable now (decisions §9: expiry is checked at call time). */
function encryptionKey(job: Delivery, deps: SendDeliveryDeps, now: Date): EncryptionKey | { message: string } {
  const id = job.target.publicKeyId;
  if (id === undefined) return { message: "the target had no active public key when the delivery was enqueued" };
  const record = deps.publicKeys.find(job.target.id, id);
  if (!record) return { message: `public key ${id} no longer exists` };
  if (!record.active) return { message: `public key ${id} is no longer active` };
  if (record.expiresAt && record.expiresAt.getTime() <= now.getTime()) return { message: `public key ${id} has expired` };
  return { id: record.id, pem: record.pem, keyType: record.keyType };
}

function toResult(job: Delivery, attempt: number, startedAt: Date, outcome: CallOutcome, clock: Clock): SendResult {
  const classified = classifyOutcome(job.target, outcome);
  const record: DeliveryAttempt = {
    attempt,
    startedAt,
    latencyMs: Math.round(outcome.latencyMs * 1000) / 1000,
    // Event and async bodies are ignored unless they forward an error (classifyOutcome's forwarded_error).
    outcome: classified.ok ? "ok" : classified.kind,
  };
  if (!classified.ok) record.error = classified.error.rawMessage;
  if (outcome.kind !== "ok" && outcome.kind !== "http_error") return { attempt: record };
  record.status = outcome.status;
  if (outcome.body.length > 0) record.responseBody = Buffer.from(outcome.body.subarray(0, RECORDED_BODY_BYTES)).toString("utf8");
  const retryAfterMs = parseRetryAfter(outcome.headers["retry-after"], clock());
  return retryAfterMs === undefined ? { attempt: record } : { attempt: record, retryAfterMs };
}
