// A minimal target receiver: it checks both signature headers, then reads the body as JSON, a JWT
// (verified against Tether's JWKS) or a JWE (decrypted with the receiver's private key, then verified),
// answers 200 and hands each verified payload to `onPayload`. Deliveries from the outbox carry a
// `webhook-id` that stays the same across retries; the receiver drops repeats of an id with the same body.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { createJwtPayloadVerifier, verifyLegacySignature, verifySignature } from "../../src/index.js";

/** What the receiver saw for one accepted call. */
export interface ReceivedPayload {
  /** `json`, `jwt` or `jwe`: how the body was encoded. */
  encoding: "json" | "jwt" | "jwe";
  /** The verified JSON body (for JWT/JWE, the verified inner payload). */
  payload: unknown;
  /** The `webhook-id` header of an outbox delivery, if any. */
  webhookId?: string;
}

/** Options of {@link startReceiver}. */
export interface ReceiverOptions {
  /** Port on 127.0.0.1 (0 picks a free one). */
  port: number;
  /** Signing keys of the targets that point here (several while a rotated key is in its grace period). */
  signingKeys: readonly string[];
  /** Tether's JWKS, e.g. `http://localhost:8080/oauth/v2/keys`; needed for JWT and JWE payloads. */
  jwksUrl?: string;
  /** PKCS#8 PEM private key whose public half was added to the target with AddPublicKey; needed for JWE. */
  privateKeyPem?: string;
  /** Called once per verified call (repeats of a `webhook-id` with the same body are acknowledged but not passed on). */
  onPayload(received: ReceivedPayload): void;
}

/** Largest body the receiver reads; Tether never sends more than its own 1 MiB limit on answers, but a receiver should bound its input too. */
const MAX_BODY_BYTES = 1 << 20;

/** How many recent `webhook-id`s the receiver remembers for de-duplication. */
const MAX_REMEMBERED_IDS = 10_000;

/** Starts the receiver on 127.0.0.1 and resolves once it listens. */
export async function startReceiver(options: ReceiverOptions) {
  const verifier = options.jwksUrl ? createJwtPayloadVerifier(options.jwksUrl) : undefined;
  const seen = new Set<string>();
  // Retries of one job come within Tether's retry window; keeping the newest ids bounds memory.
  const remember = (id: string) => {
    seen.add(id);
    if (seen.size > MAX_REMEMBERED_IDS) seen.delete(seen.values().next().value as string);
  };

  async function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    // Both headers carry the same keys; the timestamped one also stops replays, so it is the one to rely on.
    const check = verifySignature(req.headers["zitadel-signature"], body, options.signingKeys);
    if (!check.ok || !verifyLegacySignature(req.headers["x-zitadel-signature"], body, options.signingKeys)) {
      res.writeHead(401).end();
      return;
    }
    const webhookId = header(req, "webhook-id");
    // The header is not signed: keyed with the body's hash, a replayed request carrying a guessed future id
    // cannot make the receiver drop the real job that later arrives with that id.
    const key = webhookId ? `${webhookId}:${createHash("sha256").update(body).digest("hex")}` : undefined;
    if (key && seen.has(key)) {
      res.writeHead(200).end(); // already handled: acknowledge so Tether stops retrying
      return;
    }
    if (key) remember(key); // before the await, so two concurrent retries are not both passed on
    let received: Omit<ReceivedPayload, "webhookId">;
    try {
      received = await decode(body.toString("utf8"));
    } catch (e) {
      if (key) seen.delete(key);
      throw e;
    }
    options.onPayload({ ...received, ...(webhookId ? { webhookId } : {}) });
    res.writeHead(200).end();
  }

  async function decode(text: string): Promise<Omit<ReceivedPayload, "webhookId">> {
    const parts = text.split(".").length;
    if (text.startsWith("{")) return { encoding: "json", payload: JSON.parse(text) as unknown };
    if (!verifier) throw new Error("a JWT or JWE payload arrived but no jwksUrl is configured");
    if (parts === 3) return { encoding: "jwt", payload: await verifier.verify(text) };
    if (parts === 5 && options.privateKeyPem) return { encoding: "jwe", payload: await verifier.decryptAndVerify(text, options.privateKeyPem) };
    throw new Error("unrecognised payload encoding");
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy();
      else chunks.push(chunk);
    });
    req.on("end", () => {
      handle(req, res, Buffer.concat(chunks)).catch(() => {
        // A payload that does not verify or parse is refused; Tether records the 400 (and retries deliveries).
        if (!res.headersSent) res.writeHead(400).end();
      });
    });
  });
  server.listen(options.port, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
