import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import { once } from "node:events";
import net, { type AddressInfo, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  createTargetHttpClient,
  dialTarget,
  type CallOutcome,
  type DialTarget,
  type HttpClientOptions,
  type ResolvedAddress,
  type TargetHttpClient,
} from "../../src/execution/http-client.js";

// Self-signed for target.test (valid until 2126); only used to see which SNI name the client sends.
const TLS_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg1ul8LZt+lE9mf0qq
ApRZHe7IOSHVq399nxPX7KY5zDqhRANCAATzAuTWCBioANr7wnUT/OUdkom0j8Og
4xvE7AHCRsWTr+zSJAJ2l6psNO1iKmbYO92NnvRqhbtU7duqvNorjEOu
-----END PRIVATE KEY-----`;
const TLS_CERT = `-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUA6VvZJAQEYAKfsMfg4j6x2go9l8wCgYIKoZIzj0EAwIw
FjEUMBIGA1UEAwwLdGFyZ2V0LnRlc3QwIBcNMjYxMTIzMTMyODM0WhgPMjEyNjEw
MzAxMzI4MzRaMBYxFDASBgNVBAMMC3RhcmdldC50ZXN0MFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAE8wLk1ggYqADa+8J1E/zlHZKJtI/DoOMbxOwBwkbFk6/s0iQC
dpeqbDTtYipm2DvdjZ70aoW7VO3bqrzaK4xDrqNrMGkwHQYDVR0OBBYEFCkH1dLN
6K3xHpJtjzhLkkceQzzoMB8GA1UdIwQYMBaAFCkH1dLN6K3xHpJtjzhLkkceQzzo
MA8GA1UdEwEB/wQFMAMBAf8wFgYDVR0RBA8wDYILdGFyZ2V0LnRlc3QwCgYIKoZI
zj0EAwIDSAAwRQIgaoY0BMhdgdEVafanJYrbzPUPc+Cz8rpm4anZmOfz4bcCIQDb
xN+3L3GmgdkGGGBWgLj4saRpe+JfqBW/DRUQI8YWEA==
-----END CERTIFICATE-----`;

type Handler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;

const servers: Server[] = [];
const clients: TargetHttpClient[] = [];
// Anything the guards saw that is not loopback; checked after every test.
let violations: string[] = [];
let lookups: string[] = [];
let dials: DialTarget[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
  expect(violations).toEqual([]);
  violations = [];
  lookups = [];
  dials = [];
});

/** A resolver that answers from `answer` and records each question; it never touches real DNS. */
function fakeLookup(answer: (hostname: string, nth: number) => ResolvedAddress[]) {
  return async (hostname: string) => {
    lookups.push(hostname);
    return answer(hostname, lookups.length);
  };
}

const v4 = (address: string): ResolvedAddress => ({ address, family: 4 });
const toLoopback = fakeLookup(() => [v4("127.0.0.1")]);

/** The only dialer tests use: refuses (and records) any address but 127.0.0.1, so no packet leaves loopback. */
function guardedDial(target: DialTarget) {
  dials.push(target);
  const stray = target.addresses.filter((a) => a.address !== "127.0.0.1");
  if (stray.length > 0) {
    violations.push(`dial to ${stray.map((a) => a.address).join(", ")}`);
    throw new Error("test dialer only reaches 127.0.0.1");
  }
  return dialTarget(target);
}

function client(opts: Partial<HttpClientOptions> = {}) {
  const c = createTargetHttpClient({
    dev: true,
    dial: guardedDial,
    lookup: fakeLookup((name) => {
      violations.push(`unexpected lookup of ${name}`);
      throw new Error("no lookup configured");
    }),
    ...opts,
  });
  clients.push(c);
  return c;
}

async function serve(handler: Handler) {
  const sockets: Socket[] = [];
  const closed = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handler(req, Buffer.concat(chunks), res));
  });
  server.on("connection", (s: Socket) => {
    sockets.push(s);
    s.on("close", () => closed.add(s));
  });
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  return { port, url: (path = "/hook") => `http://127.0.0.1:${port}${path}`, sockets, closed };
}

/** Bounded polling for something the other side of a socket does asynchronously. */
async function until(predicate: () => boolean, timeoutMs = 2000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

const json = (status: number, body: string, headers: Record<string, string> = {}): Handler => (_req, _body, res) => {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(body);
};

const post = (c: TargetHttpClient, url: string, extra: Partial<Parameters<TargetHttpClient["post"]>[0]> = {}) =>
  c.post({ url, headers: {}, body: "{}", timeoutMs: 2000, ...extra });

function text(outcome: CallOutcome) {
  return "body" in outcome ? Buffer.from(outcome.body).toString() : undefined;
}

describe("createTargetHttpClient", () => {
  it("returns status, body and headers of a 2xx answer and sends the caller's headers and body", async () => {
    let seen: { headers: IncomingMessage["headers"]; body: string } | undefined;
    const srv = await serve((req, body, res) => {
      seen = { headers: req.headers, body: body.toString() };
      json(200, '{"ok":true}', { "x-answer": "42" })(req, body, res);
    });
    const outcome = await post(client(), srv.url(), { headers: { "ZITADEL-Signature": "t=1,v1=ab" }, body: '{"a":1}' });
    expect(outcome).toMatchObject({ kind: "ok", status: 200, headers: { "x-answer": "42" } });
    expect(text(outcome)).toBe('{"ok":true}');
    expect(outcome.latencyMs).toBeGreaterThan(0);
    expect(seen?.body).toBe('{"a":1}');
    expect(seen?.headers).toMatchObject({ "content-type": "application/json", "zitadel-signature": "t=1,v1=ab", "user-agent": "Tether-Actions/1" });
    expect(dials.map((d) => d.addresses)).toEqual([[v4("127.0.0.1")]]);
    expect(lookups).toEqual([]); // an IP literal is checked directly
  });

  it("keeps a content-type the caller sets and accepts binary bodies", async () => {
    let seen: { type: string | undefined; body: Buffer } | undefined;
    const srv = await serve((req, body, res) => {
      seen = { type: req.headers["content-type"], body };
      json(204, "")(req, body, res);
    });
    const outcome = await post(client(), srv.url(), { headers: { "Content-Type": "application/jwt" }, body: new Uint8Array([1, 2, 3]) });
    expect(outcome).toMatchObject({ kind: "ok", status: 204 });
    expect(seen).toEqual({ type: "application/jwt", body: Buffer.from([1, 2, 3]) });
  });

  it("reuses one connection for sequential calls to the same origin", async () => {
    const srv = await serve(json(200, "{}"));
    const c = client();
    for (let i = 0; i < 5; i++) expect((await post(c, srv.url())).kind).toBe("ok");
    expect(srv.sockets).toHaveLength(1);
    expect(dials).toHaveLength(1);
  });

  it("skips an interim 1xx answer and returns the final one", async () => {
    const srv = await serve((req, body, res) => {
      res.writeEarlyHints({ link: "</style.css>; rel=preload" });
      json(201, '{"made":true}', { "x-extra": "1" })(req, body, res);
    });
    const outcome = await post(client(), srv.url());
    expect(outcome).toMatchObject({ kind: "ok", status: 201, headers: { "x-extra": "1" } });
    expect(text(outcome)).toBe('{"made":true}');
  });

  it("joins a repeated response header and reassembles a body that arrives in many chunks", async () => {
    const srv = await serve((_req, _body, res) => {
      res.writeHead(200, [["x-tag", "a"], ["x-tag", "b"]]);
      let i = 0;
      const next = () => (i < 50 ? res.write(`${i++},`, () => setImmediate(next)) : res.end("end"));
      next();
    });
    const outcome = await post(client(), srv.url());
    expect(outcome).toMatchObject({ kind: "ok", headers: { "x-tag": "a, b" } });
    expect(text(outcome)).toBe(`${Array.from({ length: 50 }, (_, i) => `${i},`).join("")}end`);
  });

  it("checks an endpoint the same way on every call, also when it has seen the URL before", async () => {
    const srv = await serve(json(200, "{}"));
    const c = client();
    for (let i = 0; i < 3; i++) {
      expect(await post(c, "ftp://127.0.0.1/hook")).toMatchObject({ kind: "blocked", problem: "must use http or https" });
      expect(await post(c, "http://user:pw@127.0.0.1/hook")).toMatchObject({ kind: "blocked", address: "127.0.0.1" });
      expect(await post(c, "not a url")).toMatchObject({ kind: "blocked", address: "", problem: "must be an absolute URL" });
      expect(await post(c, srv.url("/hook?x=1"))).toMatchObject({ kind: "ok" });
    }
    expect(dials).toHaveLength(1);
  });

  it("reports a 500 as http_error with its body", async () => {
    const srv = await serve(json(500, '{"error":"boom"}'));
    const outcome = await post(client(), srv.url());
    expect(outcome).toMatchObject({ kind: "http_error", status: 500 });
    expect(text(outcome)).toBe('{"error":"boom"}');
  });

  it("does not follow a redirect and reports it as http_error", async () => {
    let followed = 0;
    const srv = await serve((req, body, res) => {
      if (req.url === "/elsewhere") followed++;
      json(302, "", { location: "/elsewhere" })(req, body, res);
    });
    const outcome = await post(client(), srv.url());
    expect(outcome).toMatchObject({ kind: "http_error", status: 302, headers: { location: "/elsewhere" } });
    expect(followed).toBe(0);
  });

  it("times out on a server that answers too late", async () => {
    const srv = await serve((req, body, res) => setTimeout(() => json(200, "{}")(req, body, res), 500));
    const started = performance.now();
    const outcome = await post(client(), srv.url(), { timeoutMs: 100 });
    expect(outcome.kind).toBe("timeout");
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(95);
    expect(performance.now() - started).toBeLessThan(400);
  });

  it("times out on a body that trickles forever (the deadline covers reading the body)", async () => {
    const srv = await serve((_req, _body, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const tick = setInterval(() => res.write(" "), 10);
      res.on("close", () => clearInterval(tick));
    });
    const started = performance.now();
    expect((await post(client(), srv.url(), { timeoutMs: 150 })).kind).toBe("timeout");
    expect(performance.now() - started).toBeLessThan(500);
  });

  it("times out while the resolver hangs, before any connection exists", async () => {
    const c = client({ lookup: () => new Promise(() => undefined) });
    const outcome = await post(c, "http://slow-dns.test/hook", { timeoutMs: 80 });
    expect(outcome.kind).toBe("timeout");
    expect(dials).toEqual([]);
  });

  it("drops a connection whose TLS handshake stalls as soon as no call waits for it", async () => {
    // A TCP server that accepts and never answers the ClientHello.
    const accepted: Socket[] = [];
    const gone = new Set<Socket>();
    const stall = net.createServer((s) => {
      accepted.push(s);
      s.on("error", () => undefined);
      s.on("close", () => gone.add(s));
      s.resume(); // reading, so the client's close is noticed
    });
    stall.listen(0, "127.0.0.1");
    await once(stall, "listening");
    try {
      const port = (stall.address() as AddressInfo).port;
      const c = client({ lookup: toLoopback, connectTimeoutMs: 10_000 });
      expect((await post(c, `https://target.test:${port}/hook`, { timeoutMs: 100 })).kind).toBe("timeout");
      // Regression: the half-open TLS socket used to live on until the 10 s connect timeout.
      await until(() => accepted.length === 1 && gone.size === 1, 1500);
    } finally {
      for (const s of accepted) s.destroy();
      await new Promise<void>((resolve) => stall.close(() => resolve()));
    }
  });

  it.each(["http://127.0.0.1:9", "http://[::1]", "https://target.test", "https://TARGET.test:443"])("abandons a dial to %s nobody waits for any more, at the last waiting call's deadline", async (origin) => {
    const sockets: net.Socket[] = [];
    // A dial that never connects (like a SYN into a black hole) and so never sends a packet.
    const c = client({ lookup: toLoopback, dial: () => (sockets.push(new net.Socket()), sockets.at(-1)!), connectTimeoutMs: 10_000 });
    const started = performance.now();
    const [a, b] = await Promise.all([post(c, `${origin}/a`, { timeoutMs: 80 }), post(c, `${origin}/b`, { timeoutMs: 200 })]);
    expect([a.kind, b.kind]).toEqual(["timeout", "timeout"]);
    await until(() => sockets.length > 0 && sockets.every((s) => s.destroyed), 1000);
    expect(performance.now() - started).toBeLessThan(1200);
  });

  it("keeps a slow dial for a call that still waits when an earlier one gave up", async () => {
    const srv = await serve(json(200, "{}"));
    // Connects 250 ms late: after the first call's deadline, well before the second's.
    const slowDial = (target: DialTarget) => {
      const socket = new net.Socket();
      setTimeout(() => socket.connect({ host: "127.0.0.1", port: target.port }), 250);
      return socket;
    };
    const c = client({ dial: slowDial, connectTimeoutMs: 10_000 });
    const [first, second] = await Promise.all([post(c, srv.url(), { timeoutMs: 100 }), post(c, srv.url(), { timeoutMs: 3000 })]);
    expect(first.kind).toBe("timeout");
    expect(second).toMatchObject({ kind: "ok", status: 200 });
  });

  it("reports the caller's abort as canceled, not as a timeout", async () => {
    const srv = await serve((req, body, res) => setTimeout(() => json(200, "{}")(req, body, res), 500));
    const caller = new AbortController();
    setTimeout(() => caller.abort(), 50);
    const outcome = await post(client(), srv.url(), { timeoutMs: 1000, signal: caller.signal });
    expect(outcome.kind).toBe("canceled");
    expect(outcome.latencyMs).toBeLessThan(400);
  });

  it("reports an already aborted caller as canceled without connecting", async () => {
    const outcome = await post(client(), "http://127.0.0.1:9/hook", { signal: AbortSignal.abort() });
    expect(outcome.kind).toBe("canceled");
    expect(dials).toEqual([]);
  });

  it("stops reading an endless body at the cap, returns too_large and drops the connection", async () => {
    const srv = await serve((_req, _body, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      const chunk = Buffer.alloc(16 * 1024, 0x61);
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
      };
      res.on("drain", pump);
      pump();
    });
    const started = performance.now();
    const outcome = await post(client({ maxResponseBytes: 100_000 }), srv.url(), { timeoutMs: 5000 });
    expect(outcome).toMatchObject({ kind: "too_large", limitBytes: 100_000 });
    expect(performance.now() - started).toBeLessThan(1000);
    await until(() => srv.closed.size === 1);
  });

  it("refuses a declared content-length over the cap and accepts a body of exactly the cap", async () => {
    const srv = await serve((req, body, res) => json(200, "x".repeat(req.url === "/big" ? 11 : 10))(req, body, res));
    const c = client({ maxResponseBytes: 10 });
    expect(await post(c, srv.url("/big"))).toMatchObject({ kind: "too_large", limitBytes: 10 });
    expect(text(await post(c, srv.url("/fits")))).toBe("x".repeat(10));
  });

  it("reports a refused connection as unreachable", async () => {
    const srv = await serve(json(200, "{}"));
    const closedServer = servers.pop()!;
    await new Promise<void>((resolve) => closedServer.close(() => resolve()));
    const outcome = await post(client(), srv.url());
    expect(outcome.kind).toBe("unreachable");
    expect(outcome).toMatchObject({ message: expect.stringContaining("ECONNREFUSED") });
  });

  it("reports a server that drops the connection as unreachable", async () => {
    const srv = await serve((req) => req.socket.destroy());
    expect((await post(client(), srv.url())).kind).toBe("unreachable");
  });

  it("reports a name that does not resolve as unreachable", async () => {
    const lookup = fakeLookup(() => {
      throw Object.assign(new Error("getaddrinfo ENOTFOUND nowhere.test"), { code: "ENOTFOUND" });
    });
    const outcome = await post(client({ lookup }), "http://nowhere.test/hook");
    expect(outcome).toMatchObject({ kind: "unreachable", message: expect.stringContaining("ENOTFOUND") });
    expect(dials).toEqual([]);
  });

  it("blocks http outside dev mode without resolving or connecting", async () => {
    const outcome = await post(client({ dev: false }), "http://target.test/hook");
    expect(outcome).toMatchObject({ kind: "blocked", address: "target.test", problem: expect.stringContaining("https") });
    expect(lookups).toEqual([]);
    expect(dials).toEqual([]);
  });

  it.each([
    [[v4("10.0.0.5")], "10.0.0.5", "private"],
    [[v4("169.254.169.254")], "169.254.169.254", "metadata"],
    [[{ address: "::ffff:127.0.0.1", family: 6 as const }], "::ffff:127.0.0.1", "loopback"],
    [[v4("127.0.0.1"), v4("10.1.1.1")], "127.0.0.1", "loopback"],
  ])("blocks a name resolving to %j outside dev mode without connecting", async (answer, address, problem) => {
    const outcome = await post(client({ dev: false, lookup: fakeLookup(() => answer) }), "https://target.test/hook");
    expect(outcome).toMatchObject({ kind: "blocked", address, problem: expect.stringContaining(problem) });
    expect(lookups).toEqual(["target.test"]);
    expect(dials).toEqual([]);
  });

  it("blocks a name with one private answer among loopback ones even in dev mode", async () => {
    const outcome = await post(client({ lookup: fakeLookup(() => [v4("127.0.0.1"), v4("10.1.1.1")]) }), "http://target.test/hook");
    expect(outcome).toMatchObject({ kind: "blocked", address: "10.1.1.1" });
    expect(dials).toEqual([]);
  });

  it("connects a name to its checked address and keeps the original Host header", async () => {
    let host: string | undefined;
    const srv = await serve((req, body, res) => {
      host = req.headers.host;
      json(200, "{}")(req, body, res);
    });
    const outcome = await post(client({ lookup: toLoopback }), `http://target.test:${srv.port}/hook`);
    expect(outcome.kind).toBe("ok");
    expect(host).toBe(`target.test:${srv.port}`);
    expect(dials).toEqual([{ hostname: "target.test", port: srv.port, tls: false, addresses: [v4("127.0.0.1")] }]);
  });

  it("resolves once per connection and never dials a rebound address", async () => {
    let calls = 0;
    // The second answer closes the connection, so the third call needs a new one (and a new lookup).
    const srv = await serve((req, body, res) => json(200, "{}", ++calls === 2 ? { connection: "close" } : {})(req, body, res));
    const rebinding = fakeLookup((_name, nth) => [v4(nth === 1 ? "127.0.0.1" : "10.0.0.1")]);
    const c = client({ lookup: rebinding });
    const url = `http://rebind.test:${srv.port}/hook`;
    expect((await post(c, url)).kind).toBe("ok");
    expect((await post(c, url)).kind).toBe("ok");
    expect(lookups).toHaveLength(1);
    expect(await post(c, url)).toMatchObject({ kind: "blocked", address: "10.0.0.1" });
    expect(lookups).toHaveLength(2);
    expect(dials.map((d) => d.addresses)).toEqual([[v4("127.0.0.1")]]);
  });

  it("sends the original host name as TLS SNI while dialling the checked address", async () => {
    const names: string[] = [];
    const server = createTlsServer({ key: TLS_KEY, cert: TLS_CERT, SNICallback: (name, cb) => (names.push(name), cb(null)) }, (_req, res) => res.end());
    servers.push(server);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const port = (server.address() as AddressInfo).port;
    const outcome = await post(client({ lookup: toLoopback }), `https://target.test:${port}/hook`);
    // The certificate is self-signed, so the client must refuse it: proof that TLS verification is on.
    expect(outcome).toMatchObject({ kind: "unreachable", message: expect.stringMatching(/self[- ]signed/i) });
    expect(names).toEqual(["target.test"]);
    expect(dials).toMatchObject([{ hostname: "target.test", tls: true, addresses: [v4("127.0.0.1")] }]);
  });

  it("closes pooled connections on close() and refuses later calls", async () => {
    const srv = await serve(json(200, "{}"));
    const c = client();
    await Promise.all([post(c, srv.url()), post(c, srv.url())]);
    expect(srv.sockets.length).toBeGreaterThanOrEqual(1);
    await c.close();
    await until(() => srv.closed.size === srv.sockets.length);
    expect(await post(c, srv.url())).toMatchObject({ kind: "unreachable", message: expect.stringContaining("closed") });
  });

  it("ends calls still in flight after close()'s drain bound as canceled, instead of waiting out their timeouts", async () => {
    const srv = await serve(() => undefined); // never answers
    const c = client({ closeDrainMs: 100 });
    const pending = post(c, srv.url(), { timeoutMs: 20_000 });
    await until(() => srv.sockets.length === 1);
    const started = performance.now();
    await c.close();
    expect(performance.now() - started).toBeLessThan(1000);
    expect((await pending).kind).toBe("canceled");
    await until(() => srv.closed.size === 1);
  });

  it("lets a call in flight finish within close()'s drain bound", async () => {
    const srv = await serve((req, body, res) => setTimeout(() => json(200, "{}")(req, body, res), 100));
    const c = client({ closeDrainMs: 5000 });
    const pending = post(c, srv.url());
    await until(() => srv.sockets.length === 1);
    await c.close();
    expect(await pending).toMatchObject({ kind: "ok", status: 200 });
  });

  it("throws for a non-positive timeout, which is a programming error", async () => {
    await expect(post(client(), "http://127.0.0.1:9/hook", { timeoutMs: 0 })).rejects.toThrow(RangeError);
  });
});
