// Runs the example receiver against a local Tether and prints every verified payload.
//
//   TETHER_DEV=1 npm start                                   # Tether on :8080 (dev mode allows http://127.0.0.1)
//   SIGNING_KEYS=<key from CreateTarget> npx tsx examples/receiver/main.ts
//
// Settings (environment): RECEIVER_PORT (default 9000), SIGNING_KEYS (comma-separated, required),
// TETHER_URL (default http://localhost:8080; its /oauth/v2/keys verifies JWT payloads), PRIVATE_KEY_FILE
// (PKCS#8 PEM for JWE payloads; add its public half with AddPublicKey and activate it).
import { readFileSync } from "node:fs";
import { startReceiver } from "./receiver.js";

const signingKeys = (process.env.SIGNING_KEYS ?? "").split(",").map((k) => k.trim()).filter(Boolean);
if (signingKeys.length === 0) {
  process.stderr.write("receiver: set SIGNING_KEYS to the signing key(s) CreateTarget returned\n");
  process.exit(2);
}
const tetherUrl = process.env.TETHER_URL ?? "http://localhost:8080";
const receiver = await startReceiver({
  port: Number(process.env.RECEIVER_PORT ?? 9000),
  signingKeys,
  jwksUrl: `${tetherUrl}/oauth/v2/keys`,
  ...(process.env.PRIVATE_KEY_FILE ? { privateKeyPem: readFileSync(process.env.PRIVATE_KEY_FILE, "utf8") } : {}),
  onPayload: (received) => process.stdout.write(`${JSON.stringify(received)}\n`),
});
process.stdout.write(`receiver listening on ${receiver.url} (point a target's endpoint here)\n`);
const stop = () => void receiver.close().then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
