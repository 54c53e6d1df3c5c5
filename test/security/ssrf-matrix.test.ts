import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Code, createClient, createRouterTransport, type Client } from "@connectrpc/connect";
import { ActionService } from "../../gen/zitadel/action/v2/action_service_pb.js";
import { createTetherApp } from "../../src/app.js";
import { openDatabase } from "../../src/store/db.js";
import { createTargetHttpClient, type CallOutcome, type ResolvedAddress, type TargetHttpClient } from "../../src/execution/http-client.js";
import { adminCaller, inProcess } from "../helpers/in-process.js";
import { expectCode } from "../helpers/expect-code.js";
import { createNetworkGuard, startTlsServer, v4, v6, type NetworkGuard } from "../helpers/guarded-network.js";

// Every test here resolves through a scripted resolver and dials through a guard that reaches nothing but
// 127.0.0.1 (a "public" address is a stand-in for a local server and is never dialled itself).

type Verdict = "refuse" | "accept";
type Mode = "normal" | "dev";
interface UrlRow {
  what: string;
  url: string;
  normal: Verdict;
  dev: Verdict;
}

const refusedInBoth = (what: string, url: string): UrlRow => ({ what, url, normal: "refuse", dev: "refuse" });
const devOnly = (what: string, url: string): UrlRow => ({ what, url, normal: "refuse", dev: "accept" });
const acceptedInBoth = (what: string, url: string): UrlRow => ({ what, url, normal: "accept", dev: "accept" });

/** Endpoints as typed into CreateTarget / UpdateTarget, and whether each mode saves them. */
const URL_MATRIX: UrlRow[] = [
  // This host's loopback, however it is spelled: dev mode only.
  devOnly("IPv4 loopback", "https://127.0.0.1/hook"),
  devOnly("IPv4 loopback elsewhere in 127/8", "https://127.255.255.254/hook"),
  devOnly("IPv6 loopback", "https://[::1]/hook"),
  devOnly("localhost", "https://localhost/hook"),
  devOnly("LOCALHOST. (case and trailing dot)", "https://LOCALHOST./hook"),
  devOnly("a .localhost subdomain", "https://foo.localhost/hook"),
  devOnly("a .localhost subdomain with a trailing dot", "https://foo.localhost./hook"),
  devOnly("localhost6", "https://localhost6/hook"),
  devOnly("localhost with two trailing dots", "https://localhost../hook"),
  devOnly("full-width localhost", "https://\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54/hook"),
  devOnly("a trailing dot after an IP", "https://127.0.0.1./hook"),
  devOnly("decimal 2130706433", "https://2130706433/hook"),
  devOnly("octal 0177.0.0.1", "https://0177.0.0.1/hook"),
  devOnly("hex 0x7f.0.0.1", "https://0x7f.0.0.1/hook"),
  devOnly("hex 0x7f000001", "https://0x7f000001/hook"),
  devOnly("short form 127.1", "https://127.1/hook"),
  devOnly("zero-padded 127.000.000.001", "https://127.000.000.001/hook"),
  devOnly("percent-encoded 127.0.0.1", "https://%31%32%37.0.0.1/hook"),
  devOnly("percent-encoded localhost", "https://%6c%6f%63%61%6c%68%6f%73%74/hook"),
  devOnly("full-width digits", "https://\uff11\uff12\uff17.\uff10.\uff10.\uff11/hook"),
  devOnly("IPv4-mapped ::ffff:127.0.0.1", "https://[::ffff:127.0.0.1]/hook"),
  devOnly("IPv4-mapped ::ffff:7f00:1", "https://[::ffff:7f00:1]/hook"),
  devOnly("IPv4-mapped in long form", "https://[0:0:0:0:0:ffff:127.0.0.1]/hook"),
  // Plain http is a dev-mode convenience.
  devOnly("http to a public name", "http://hooks.example.com/hook"),
  devOnly("http to localhost", "http://localhost:8081/hook"),
  // Never: unspecified, private, link-local, CGNAT, metadata, multicast, broadcast, reserved.
  refusedInBoth("0.0.0.0", "https://0.0.0.0/hook"),
  refusedInBoth("0 (0.0.0.0 in short form)", "https://0/hook"),
  refusedInBoth("IPv6 unspecified", "https://[::]/hook"),
  refusedInBoth("10/8", "https://10.0.0.1/hook"),
  refusedInBoth("172.16/12", "https://172.16.0.1/hook"),
  refusedInBoth("172.16/12 upper edge", "https://172.31.255.255/hook"),
  refusedInBoth("192.168/16", "https://192.168.1.1/hook"),
  refusedInBoth("192.168/16 in octal", "https://0300.0250.0.1/hook"),
  refusedInBoth("10/8 in decimal", "https://167772161/hook"),
  refusedInBoth("fc00::/7 (fc)", "https://[fc00::1]/hook"),
  refusedInBoth("fc00::/7 (fd)", "https://[fd12:3456:789a::1]/hook"),
  refusedInBoth("169.254/16", "https://169.254.1.1/hook"),
  refusedInBoth("fe80::/10", "https://[fe80::1]/hook"),
  refusedInBoth("CGNAT 100.64/10", "https://100.64.0.1/hook"),
  refusedInBoth("metadata 169.254.169.254", "https://169.254.169.254/latest/meta-data/"),
  refusedInBoth("metadata 169.254.169.254 in hex", "https://0xa9fea9fe/latest/meta-data/"),
  refusedInBoth("metadata 169.254.169.254 in decimal", "https://2852039166/latest/meta-data/"),
  refusedInBoth("metadata.google.internal", "https://metadata.google.internal/computeMetadata/v1/"),
  refusedInBoth("metadata.google.internal. (trailing dot)", "http://metadata.google.internal./computeMetadata/v1/"),
  refusedInBoth("AWS IMDS over IPv6", "https://[fd00:ec2::254]/latest/meta-data/"),
  refusedInBoth("Alibaba metadata 100.100.100.200", "https://100.100.100.200/latest/meta-data/"),
  refusedInBoth("Azure WireServer 168.63.129.16", "https://168.63.129.16/machine"),
  refusedInBoth("multicast 224/4", "https://224.0.0.1/hook"),
  refusedInBoth("IPv6 multicast", "https://[ff02::1]/hook"),
  refusedInBoth("broadcast", "https://255.255.255.255/hook"),
  refusedInBoth("reserved 240/4", "https://240.0.0.1/hook"),
  refusedInBoth("documentation 192.0.2/24", "https://192.0.2.10/hook"),
  refusedInBoth("benchmarking 198.18/15", "https://198.18.0.1/hook"),
  refusedInBoth("IPv4-mapped metadata", "https://[::ffff:169.254.169.254]/hook"),
  refusedInBoth("IPv4-mapped metadata in hex", "https://[::ffff:a9fe:a9fe]/hook"),
  refusedInBoth("IPv4-mapped private", "https://[::ffff:10.0.0.1]/hook"),
  refusedInBoth("IPv4-compatible private", "https://[::10.0.0.1]/hook"),
  refusedInBoth("IPv4-compatible loopback", "https://[::127.0.0.1]/hook"),
  refusedInBoth("NAT64 private", "https://[64:ff9b::10.0.0.1]/hook"),
  refusedInBoth("NAT64 metadata", "https://[64:ff9b::a9fe:a9fe]/hook"),
  refusedInBoth("NAT64 loopback", "https://[64:ff9b::7f00:1]/hook"),
  refusedInBoth("local-use NAT64", "https://[64:ff9b:1::808:808]/hook"),
  refusedInBoth("6to4 private", "https://[2002:a00:1::1]/hook"),
  refusedInBoth("6to4 metadata", "https://[2002:a9fe:a9fe::1]/hook"),
  refusedInBoth("6to4 loopback", "https://[2002:7f00:1::1]/hook"),
  refusedInBoth("Teredo", "https://[2001:0:4136:e378::1]/hook"),
  // Userinfo: the endpoint is shown on reads, and "public@private" tricks hide the real host.
  refusedInBoth("userinfo before a loopback host", "https://public@127.0.0.1/hook"),
  refusedInBoth("userinfo before a public host", "https://user:secret@hooks.example.com/hook"),
  refusedInBoth("an IP in the userinfo", "https://127.0.0.1@hooks.example.com/hook"),
  refusedInBoth("userinfo before metadata", "https://hooks.example.com@169.254.169.254/"),
  // Not http(s) at all.
  refusedInBoth("file:", "file:///etc/passwd"),
  refusedInBoth("gopher:", "gopher://127.0.0.1:6379/_INFO"),
  // Public: accepted; names are not resolved when saving (decisions §10).
  acceptedInBoth("a public name", "https://hooks.example.com/hook"),
  acceptedInBoth("a public IPv4", "https://93.184.216.34/hook"),
  acceptedInBoth("a public IPv6", "https://[2606:4700:4700::1111]/hook"),
  acceptedInBoth("NAT64 of a public IPv4", "https://[64:ff9b::808:808]/hook"),
  acceptedInBoth("a name that contains localhost", "https://localhost.example.com/hook"),
  acceptedInBoth("a name that will resolve privately (checked when called)", "https://rebind.example.com/hook"),
];

const MODES: Mode[] = ["normal", "dev"];

describe.each(MODES)("save time, %s mode", (mode) => {
  let api: ReturnType<typeof inProcess>;
  let baseId: string;
  let n = 0;
  const timeout = { seconds: 5n };
  const webhook = { case: "restWebhook" as const, value: { interruptOnError: true } };

  beforeAll(async () => {
    api = inProcess({ dev: mode === "dev" });
    baseId = (await api.client.createTarget({ name: "base", targetType: webhook, timeout, endpoint: "https://hooks.example.com/base" })).id;
  });
  afterAll(async () => {
    await api.app.engine.close();
    api.db.close();
  });

  it.each(URL_MATRIX.map((r) => [r.what, r.url, r[mode]] as const))("CreateTarget with %s (%s): %s", async (_what, url, verdict) => {
    const name = `t${++n}`;
    const created = api.client.createTarget({ name, targetType: webhook, timeout, endpoint: url });
    if (verdict === "refuse") {
      await expectCode(created, Code.InvalidArgument, /^endpoint: /);
      expect((await api.client.listTargets({})).targets.map((t) => t.name)).not.toContain(name);
    } else {
      const { id } = await created;
      expect((await api.client.getTarget({ id })).target?.endpoint).toBe(url);
    }
  });

  it.each(URL_MATRIX.map((r) => [r.what, r.url, r[mode]] as const))("UpdateTarget with %s (%s): %s", async (_what, url, verdict) => {
    const before = (await api.client.getTarget({ id: baseId })).target?.endpoint;
    const updated = api.client.updateTarget({ id: baseId, endpoint: url });
    if (verdict === "refuse") {
      await expectCode(updated, Code.InvalidArgument, /^endpoint: /);
      expect((await api.client.getTarget({ id: baseId })).target?.endpoint).toBe(before);
    } else {
      await updated;
      expect((await api.client.getTarget({ id: baseId })).target?.endpoint).toBe(url);
    }
  });
});

/** Local stand-ins for "the internet": an HTTPS server (normal mode) and an HTTP server (dev mode). */
let tlsServer: Awaited<ReturnType<typeof startTlsServer>>;
let httpServer: Server;
let httpPort: number;
const served: string[] = [];

/** `/close` answers with `connection: close`; `/redirect/<code>` redirects to the metadata service. */
function standInHandler(req: IncomingMessage, res: ServerResponse): void {
  served.push(req.url ?? "");
  req.resume();
  req.on("end", () => {
    const redirect = /^\/redirect\/(\d{3})$/.exec(req.url ?? "");
    if (redirect) return void res.writeHead(Number(redirect[1]), { location: "http://169.254.169.254/latest/meta-data/iam/" }).end();
    res.writeHead(200, { "content-type": "application/json", ...(req.url === "/close" ? { connection: "close" } : {}) }).end("{}");
  });
}

beforeAll(async () => {
  tlsServer = await startTlsServer(standInHandler);
  httpServer = createServer(standInHandler);
  httpServer.listen(0, "127.0.0.1");
  await once(httpServer, "listening");
  httpPort = (httpServer.address() as AddressInfo).port;
});
afterAll(async () => {
  await tlsServer.close();
  httpServer.closeAllConnections();
  await new Promise<void>((resolve) => httpServer.close(() => resolve()));
});

let guard: NetworkGuard = createNetworkGuard();
const clients: TargetHttpClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  served.length = 0;
  expect(guard.violations).toEqual([]);
});

/** A fresh guard and a target client for `mode` that resolves and dials only through it. */
function guardedClient(mode: Mode): TargetHttpClient {
  guard = createNetworkGuard();
  const c = createTargetHttpClient({ dev: mode === "dev", lookup: guard.lookup, dial: guard.dial });
  clients.push(c);
  return c;
}

/** The stand-in base URL for a host in `mode`: https on the TLS server, or http on the HTTP server in dev mode. */
const base = (mode: Mode, host: string) => (mode === "dev" ? `http://${host}:${httpPort}` : `https://${host}:${tlsServer.port}`);
const portOf = (mode: Mode) => (mode === "dev" ? httpPort : tlsServer.port);
const post = (c: TargetHttpClient, url: string): Promise<CallOutcome> => c.post({ url, headers: {}, body: "{}", timeoutMs: 3000 });

interface AnswerRow {
  what: string;
  answer: ResolvedAddress[];
  normal: Verdict;
  dev: Verdict;
}

const publicV4 = v4("93.184.216.34");
const publicV6 = v6("2606:4700:4700::1111");
/** The answers in the matrix that are this host's own loopback, which dev mode allows. */
const THIS_HOST = new Set(["127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1"]);

/** What a host name resolves to when called, and whether each mode connects. */
const ANSWER_MATRIX: AnswerRow[] = [
  { what: "a public IPv4", answer: [publicV4], normal: "accept", dev: "accept" },
  { what: "a public IPv6", answer: [publicV6], normal: "accept", dev: "accept" },
  { what: "public IPv4 and IPv6", answer: [publicV4, publicV6], normal: "accept", dev: "accept" },
  { what: "127.0.0.1", answer: [v4("127.0.0.1")], normal: "refuse", dev: "accept" },
  { what: "127.0.0.2", answer: [v4("127.0.0.2")], normal: "refuse", dev: "accept" },
  { what: "::1", answer: [v6("::1")], normal: "refuse", dev: "accept" },
  { what: "::ffff:127.0.0.1", answer: [v6("::ffff:127.0.0.1")], normal: "refuse", dev: "accept" },
  { what: "a public and a loopback address", answer: [publicV4, v4("127.0.0.1")], normal: "refuse", dev: "accept" },
  ...(
    [
      ["0.0.0.0", [v4("0.0.0.0")]],
      ["::", [v6("::")]],
      ["10.0.0.1", [v4("10.0.0.1")]],
      ["172.20.1.1", [v4("172.20.1.1")]],
      ["192.168.0.1", [v4("192.168.0.1")]],
      ["fd00::1", [v6("fd00::1")]],
      ["169.254.10.10", [v4("169.254.10.10")]],
      ["fe80::1", [v6("fe80::1")]],
      ["fe80::1%eth0", [v6("fe80::1%eth0")]],
      ["100.64.0.1", [v4("100.64.0.1")]],
      ["169.254.169.254", [v4("169.254.169.254")]],
      ["fd00:ec2::254", [v6("fd00:ec2::254")]],
      ["100.100.100.200", [v4("100.100.100.200")]],
      ["168.63.129.16", [v4("168.63.129.16")]],
      ["224.0.0.251", [v4("224.0.0.251")]],
      ["ff02::1", [v6("ff02::1")]],
      ["255.255.255.255", [v4("255.255.255.255")]],
      ["240.0.0.1", [v4("240.0.0.1")]],
      ["::ffff:169.254.169.254", [v6("::ffff:169.254.169.254")]],
      ["::ffff:a00:1", [v6("::ffff:a00:1")]],
      ["::a00:1 (IPv4-compatible)", [v6("::a00:1")]],
      ["::7f00:1 (IPv4-compatible loopback)", [v6("::7f00:1")]],
      ["64:ff9b::a00:1 (NAT64)", [v6("64:ff9b::a00:1")]],
      ["64:ff9b::7f00:1 (NAT64 loopback)", [v6("64:ff9b::7f00:1")]],
      ["2002:a9fe:a9fe::1 (6to4 metadata)", [v6("2002:a9fe:a9fe::1")]],
      ["2002:7f00:1::1 (6to4 loopback)", [v6("2002:7f00:1::1")]],
      ["a public then a private address", [publicV4, v4("10.0.0.1")]],
      ["a private then a public address", [v4("192.168.1.1"), publicV4]],
      ["public IPv6 and a metadata IPv4", [publicV6, v4("169.254.169.254")]],
      ["loopback and private (a rebinding tell)", [v4("127.0.0.1"), v4("10.1.1.1")]],
      ["something that is not an address", [v4("not-an-ip")]],
    ] as const
  ).map(([what, answer]): AnswerRow => ({ what, answer: [...answer], normal: "refuse", dev: "refuse" })),
];

describe.each(MODES)("connect time, %s mode: a host name resolving to", (mode) => {
  it.each(ANSWER_MATRIX.map((r) => [r.what, r[mode], r.answer] as const))("%s: %s", async (_what, verdict, answer) => {
    const c = guardedClient(mode);
    guard.answer("target.test", answer);
    if (verdict === "accept") {
      for (const a of answer) if (a.address !== "127.0.0.1") guard.standIn(a.address, portOf(mode));
      expect(await post(c, `${base(mode, "target.test")}/hook`)).toMatchObject({ kind: "ok", status: 200 });
      expect(guard.dials).toHaveLength(1);
      expect(served).toEqual(["/hook"]);
    } else {
      // The first address this mode does not allow is the one named.
      const refused = answer.find((a) => a !== publicV4 && a !== publicV6 && !(mode === "dev" && THIS_HOST.has(a.address)));
      expect(await post(c, `${base(mode, "target.test")}/hook`)).toMatchObject({ kind: "blocked", address: refused?.address });
      expect(guard.dials).toEqual([]);
    }
    expect(guard.lookups).toEqual(["target.test"]);
  });

  it("reports a name that resolves to no address as unreachable without dialling", async () => {
    const c = guardedClient(mode);
    guard.answer("empty.test", []);
    expect(await post(c, `${base(mode, "empty.test")}/hook`)).toMatchObject({ kind: "unreachable" });
    expect(guard.dials).toEqual([]);
  });
});

describe.each(MODES)("call time, %s mode: an endpoint saved under other rules", (mode) => {
  // A target stored before a policy change (or written to the database by hand) is checked again per call.
  it.each(URL_MATRIX.filter((r) => r[mode] === "refuse").map((r) => [r.what, r.url] as const))("refuses %s (%s) without resolving or dialling", async (_what, url) => {
    const outcome = await post(guardedClient(mode), url);
    expect(outcome.kind).toBe("blocked");
    expect(guard.lookups).toEqual([]);
    expect(guard.dials).toEqual([]);
  });
});

describe("DNS rebinding", () => {
  it("connects while the name resolves publicly and refuses the next connection once it resolves privately", async () => {
    const c = guardedClient("normal");
    guard.answer("rebind.test", [publicV4], [v4("10.0.0.1")]);
    guard.standIn(publicV4.address, tlsServer.port);
    const url = `${base("normal", "rebind.test")}/close`; // the answer closes the connection, so the next call reconnects
    expect(await post(c, url)).toMatchObject({ kind: "ok", status: 200 });
    expect(await post(c, url)).toMatchObject({ kind: "blocked", address: "10.0.0.1", problem: "address 10.0.0.1 is a private address" });
    expect(guard.lookups).toEqual(["rebind.test", "rebind.test"]);
    expect(guard.dials.map((d) => d.addresses)).toEqual([[publicV4]]);
  });

  it("refuses a rebind to the metadata address even in dev mode", async () => {
    const c = guardedClient("dev");
    guard.answer("rebind.test", [v4("127.0.0.1")], [v4("169.254.169.254")]);
    const url = `${base("dev", "rebind.test")}/close`;
    expect(await post(c, url)).toMatchObject({ kind: "ok" });
    expect(await post(c, url)).toMatchObject({ kind: "blocked", address: "169.254.169.254", problem: expect.stringContaining("metadata") });
    expect(guard.dials).toHaveLength(1);
  });
});

describe("redirects", () => {
  it.each([301, 302, 303, 307, 308])("does not follow a %i to the metadata address and reports it as http_error", async (status) => {
    const c = guardedClient("normal");
    guard.answer("hooks.test", [publicV4]);
    guard.standIn(publicV4.address, tlsServer.port);
    const outcome = await post(c, `${base("normal", "hooks.test")}/redirect/${status}`);
    expect(outcome).toMatchObject({ kind: "http_error", status, headers: { location: "http://169.254.169.254/latest/meta-data/iam/" } });
    expect(served).toEqual([`/redirect/${status}`]);
    expect(guard.lookups).toEqual(["hooks.test"]);
    expect(guard.dials).toHaveLength(1);
  });
});

describe("through the API and the execution engine (normal mode)", () => {
  let db: ReturnType<typeof openDatabase>;
  let app: ReturnType<typeof createTetherApp>;
  let client: Client<typeof ActionService>;
  const onListFunctions = {
    conditionType: { case: "request" as const, value: { condition: { case: "method" as const, value: "/zitadel.action.v2.ActionService/ListExecutionFunctions" } } },
  };

  function start() {
    db = openDatabase({ path: ":memory:" });
    app = createTetherApp({
      db,
      masterKey: new Uint8Array(32).fill(7),
      instanceId: "ssrf",
      dev: false,
      authenticator: { authenticate: async () => adminCaller },
      logError: () => undefined,
      http: guardedClient("normal"),
    });
    client = createClient(ActionService, createRouterTransport(app.routes, { router: { interceptors: app.interceptors } }));
  }
  afterEach(async () => {
    await app.engine.close();
    db.close();
  });

  async function hook(endpoint: string) {
    const { id } = await client.createTarget({ name: "hook", targetType: { case: "restWebhook", value: { interruptOnError: true } }, timeout: { seconds: 3n }, endpoint });
    await client.setExecution({ condition: onListFunctions, targets: [id] });
  }

  it("saves a name without resolving it, calls it while public and refuses the call once it rebinds privately (UNKNOWN)", async () => {
    start();
    guard.answer("rebind.test", [publicV4], [v4("10.0.0.1")]);
    guard.standIn(publicV4.address, tlsServer.port);
    await hook(`${base("normal", "rebind.test")}/close`);
    expect(guard.lookups).toEqual([]);
    await client.listExecutionFunctions({});
    expect(served).toEqual(["/close"]);
    await expectCode(client.listExecutionFunctions({}), Code.Unknown, /refused: address 10\.0\.0\.1 is a private address/);
    expect(served).toEqual(["/close"]);
    expect(guard.dials).toHaveLength(1);
  });

  it("fails a target that redirects to the metadata address with FAILED_PRECONDITION and follows nothing", async () => {
    start();
    guard.answer("hooks.test", [publicV4]);
    guard.standIn(publicV4.address, tlsServer.port);
    await hook(`${base("normal", "hooks.test")}/redirect/307`);
    await expectCode(client.listExecutionFunctions({}), Code.FailedPrecondition, /HTTP 307/);
    expect(served).toEqual(["/redirect/307"]);
    expect(guard.lookups).toEqual(["hooks.test"]);
  });
});
