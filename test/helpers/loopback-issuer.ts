import { createServer } from "node:http";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { testIssuer } from "./oidc-issuer.js";

/**
 * A {@link testIssuer} whose issuer URL is a real loopback server publishing its JWKS at `/oauth/v2/keys`
 * (ZITADEL's path), so a Tether started with `TETHER_OIDC_ISSUER=<issuer>` fetches the keys over HTTP.
 */
export async function startLoopbackIssuer(options: { alg?: "ES256" | "RS256"; kid?: string } = {}) {
  let keys = "";
  let fetches = 0;
  const server = createServer((req, res) => {
    if (req.method !== "GET" || req.url !== "/oauth/v2/keys") {
      res.writeHead(404).end();
      return;
    }
    fetches++;
    res.writeHead(200, { "content-type": "application/json" }).end(keys);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const idp = await testIssuer({ issuer: url, ...options });
  keys = JSON.stringify(idp.jwksJson);
  return {
    ...idp,
    /** How many times the key set was fetched. */
    fetches: () => fetches,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}
