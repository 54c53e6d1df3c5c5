// The bench's load-generating process. Why a separate process: on this 2-core box a load generator sharing
// the server's event loop would steal its CPU and serialise with it; here client and server each get a core.
import { performance } from "node:perf_hooks";
import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { Agent, request } from "undici";
import { UserService } from "../gen/tether/example/v1/user_service_pb.js";
import type { FromClient, Series, ToClient } from "./protocol.js";

const send = (m: FromClient) => process.send!(m);

// One HTTP/2 session per server, reused across rounds so no round pays for a connection setup.
const sessions = new Map<string, { manager: Http2SessionManager; users: Client<typeof UserService> }>();
function usersAt(url: string, token: string): Client<typeof UserService> {
  let s = sessions.get(url);
  if (!s) {
    const auth: Interceptor = (next) => (req) => {
      req.header.set("authorization", `Bearer ${token}`);
      return next(req);
    };
    const manager = new Http2SessionManager(url);
    const transport = createConnectTransport({ baseUrl: url, httpVersion: "2", useBinaryFormat: true, sessionManager: manager, interceptors: [auth] });
    s = { manager, users: createClient(UserService, transport) };
    sessions.set(url, s);
  }
  return s.users;
}

// The bare POST baseline: what a target call costs without Tether (undici `request`, keep-alive, body read).
const bareAgent = new Agent({ keepAliveTimeout: 60_000, connections: 1 });
async function barePost(url: string, body: string): Promise<void> {
  const res = await request(url, { method: "POST", dispatcher: bareAgent, headers: { "content-type": "application/json" }, body });
  await res.body.text();
  if (res.statusCode !== 200) throw new Error(`receiver answered ${res.statusCode}`);
}

/** `concurrency` loops of GetUser; counts only calls that finish inside the measured window. */
async function throughput(m: Extract<ToClient, { type: "throughput" }>): Promise<FromClient> {
  const users = usersAt(m.url, m.token);
  const measureFrom = performance.now() + m.warmupMs;
  const end = measureFrom + m.durationMs;
  let calls = 0;
  let errors = 0;
  let cpuAt: NodeJS.CpuUsage | undefined;
  const timer = setTimeout(() => (cpuAt = process.cpuUsage()), m.warmupMs);
  const worker = async () => {
    while (performance.now() < end) {
      try {
        await users.getUser({ userId: "1" });
        const t = performance.now();
        if (t >= measureFrom && t < end) calls++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: m.concurrency }, worker));
  clearTimeout(timer);
  // CPU the generator burnt in the window: tells whether the client, not the server, was the limit.
  const cpu = process.cpuUsage(cpuAt);
  return { type: "throughput", calls, errors, seconds: m.durationMs / 1000, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/**
 * Sequential calls, the series interleaved call by call (A B C D E, B C D E A, …): this box's latency drifts by
 * tens of percent over seconds, and interleaving makes every series see the same drift, so their
 * percentiles can be subtracted. Each sample is one round trip in ms.
 */
async function latency(m: Extract<ToClient, { type: "latency" }>): Promise<FromClient> {
  const calls = m.series.map((s: Series) => {
    if ("post" in s) return () => barePost(s.post, s.body);
    const users = usersAt(s.url, s.token);
    return () => users.getUser({ userId: "1" }).then(() => undefined);
  });
  let errors = 0;
  for (let i = 0; i < m.warmup; i++) for (const c of calls) await c().catch(() => errors++);
  const samples: number[][] = m.series.map(() => []);
  for (let i = 0; i < m.count; i++) {
    // The order rotates each cycle so that no series always follows the same neighbour.
    for (let j = 0; j < calls.length; j++) {
      const k = (i + j) % calls.length;
      const t0 = performance.now();
      try {
        await calls[k]!();
        samples[k]!.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  }
  return { type: "latency", samples: Object.fromEntries(m.series.map((s, k) => [s.name, samples[k]!])), errors };
}

process.on("message", (raw) => {
  const m = raw as ToClient;
  if (m.type === "exit") {
    for (const s of sessions.values()) s.manager.abort();
    void bareAgent.close().then(() => process.disconnect());
    return;
  }
  const run = m.type === "throughput" ? throughput(m) : latency(m);
  run.then(send, (e: unknown) => send({ type: "failed", message: e instanceof Error ? e.message : String(e) }));
});

send({ type: "ready" });
