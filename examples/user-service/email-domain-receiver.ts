// A target receiver: checks the ZITADEL-Signature of each call (when given the signing key) and refuses
// AddHumanUser requests whose email domain is not allowed, by forwarding a 400 that Tether turns into
// INVALID_ARGUMENT for the caller (the target must have interrupt_on_error set).
import { createServer } from "node:http";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { verifySignature } from "../../src/index.js";

/** Options of {@link startEmailDomainReceiver}. */
export interface ReceiverOptions {
  port: number;
  /** Domains that may sign up. */
  allowed: string[];
  /** The target's signing key; when set, unsigned or badly signed calls get 401. */
  signingKey?: string;
}

/** Starts the receiver on 127.0.0.1. */
export async function startEmailDomainReceiver(options: ReceiverOptions) {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (options.signingKey) {
        const check = verifySignature(req.headers["zitadel-signature"], body, options.signingKey);
        if (!check.ok) {
          res.writeHead(401).end();
          return;
        }
      }
      const payload = JSON.parse(body.toString()) as { request?: { email?: string } };
      const domain = payload.request?.email?.split("@")[1] ?? "";
      res.setHeader("content-type", "application/json");
      if (options.allowed.includes(domain)) res.end();
      else res.end(JSON.stringify({ forwardedStatusCode: 400, forwardedErrorMessage: `email domain ${domain} is not allowed` }));
    });
  });
  server.listen(options.port, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, port, close: () => new Promise<void>((r) => server.close(() => r())) };
}
