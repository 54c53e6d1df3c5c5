import net from "node:net";
import tls from "node:tls";
import { readFileSync } from "node:fs";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { DialTarget, ResolvedAddress } from "../../src/execution/http-client.js";

/** The self-signed key of the test TLS server (CN and SAN `target.test`, valid until 2126). */
export const TEST_TLS_KEY = readFileSync(new URL("../fixtures/tls-target.key", import.meta.url), "utf8");
/** The self-signed certificate of the test TLS server, trusted only by the guard's stand-in dialer. */
export const TEST_TLS_CERT = readFileSync(new URL("../fixtures/tls-target.crt", import.meta.url), "utf8");

const LOOPBACK = "127.0.0.1";

/** An IPv4 answer for a scripted resolver. */
export const v4 = (address: string): ResolvedAddress => ({ address, family: 4 });
/** An IPv6 answer for a scripted resolver. */
export const v6 = (address: string): ResolvedAddress => ({ address, family: 6 });

/**
 * A resolver and a dialer for the target HTTP client that keep every packet on 127.0.0.1: the resolver
 * answers only from a script (no DNS query is ever made) and the dialer connects to 127.0.0.1 alone. An
 * address the test declares a stand-in (say a "public" 93.184.216.34) is never dialled either: the dialer
 * connects to a local server in its place. Anything else asked of the dialer is recorded as a violation.
 */
export function createNetworkGuard() {
  const script = new Map<string, ResolvedAddress[][]>();
  const standIns = new Map<string, number>();
  const lookups: string[] = [];
  const dials: DialTarget[] = [];
  const violations: string[] = [];

  async function lookup(hostname: string): Promise<ResolvedAddress[]> {
    lookups.push(hostname);
    const answers = script.get(hostname.toLowerCase());
    if (answers === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname} (no scripted answer)`), { code: "ENOTFOUND" });
    const nth = lookups.filter((h) => h.toLowerCase() === hostname.toLowerCase()).length;
    return answers[Math.min(nth, answers.length) - 1]!;
  }

  /** The local port to reach instead of `target`, or undefined when the test did not allow every address. */
  function localPort(target: DialTarget): number | undefined {
    const ports = target.addresses.map((a) => (a.address === LOOPBACK ? target.port : standIns.get(a.address)));
    if (ports.some((p) => p === undefined)) return undefined;
    return ports[0];
  }

  function dial(target: DialTarget): net.Socket {
    dials.push(target);
    const port = localPort(target);
    if (port === undefined) {
      violations.push(`dial to ${target.addresses.map((a) => a.address).join(", ")}`);
      throw new Error("the test dialer only reaches 127.0.0.1");
    }
    // Always host 127.0.0.1: an IP-literal hostname must never become the address connected to.
    if (!target.tls) return net.connect({ host: LOOPBACK, port });
    const servername = net.isIP(target.hostname) === 0 ? target.hostname : undefined;
    return tls.connect({
      host: LOOPBACK,
      port,
      ...(servername ? { servername } : {}),
      ca: TEST_TLS_CERT,
      // The chain is verified against the test CA; the name is not, as stand-ins carry any host name.
      checkServerIdentity: () => undefined,
      ALPNProtocols: ["http/1.1"],
    });
  }

  return {
    lookup,
    dial,
    /** Host names asked of the resolver, in order. */
    lookups,
    /** Every dial request, allowed or not. */
    dials,
    /** Dials the guard refused; a test passes only if this stays empty. */
    violations,
    /** Scripts `hostname`: the n-th lookup gets the n-th answer, and the last answer repeats. */
    answer(hostname: string, ...answers: ResolvedAddress[][]) {
      script.set(hostname.toLowerCase(), answers);
    },
    /** Lets the dialer stand in a local server on `port` for `address` (which is never dialled itself). */
    standIn(address: string, port: number) {
      standIns.set(address, port);
    },
  };
}

/** The guard's type. */
export type NetworkGuard = ReturnType<typeof createNetworkGuard>;

/** An HTTPS server on 127.0.0.1 with the test certificate, counting the connections it accepted. */
export async function startTlsServer(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server: HttpsServer = createHttpsServer({ key: TEST_TLS_KEY, cert: TEST_TLS_CERT }, handler);
  let connections = 0;
  server.on("secureConnection", () => connections++);
  server.listen(0, LOOPBACK);
  await once(server, "listening");
  return {
    port: (server.address() as AddressInfo).port,
    /** TLS connections accepted so far. */
    connections: () => connections,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
