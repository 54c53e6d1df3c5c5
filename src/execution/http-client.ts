import { promises as dns } from "node:dns";
import net from "node:net";
import tls from "node:tls";
import { performance } from "node:perf_hooks";
import { Agent } from "undici";
import type { buildConnector, Dispatcher } from "undici";
import { checkEndpointUrl, resolvedAddressProblem } from "../net/address-policy.js";
import { createWaitingCalls, originKey, type WaitingCalls } from "../net/waiting-calls.js";
import { describeError, flattenHeaders } from "../net/bounded-response.js";

/** What one POST to a target amounted to; network problems are outcomes, never exceptions. */
export type CallOutcome =
  | { kind: "ok"; status: number; body: Uint8Array; headers: Record<string, string>; latencyMs: number }
  | { kind: "http_error"; status: number; body: Uint8Array; headers: Record<string, string>; latencyMs: number }
  | { kind: "timeout"; latencyMs: number }
  | { kind: "unreachable"; message: string; latencyMs: number }
  | { kind: "too_large"; limitBytes: number; latencyMs: number }
  | { kind: "blocked"; address: string; problem: string; latencyMs: number }
  | { kind: "canceled"; latencyMs: number };

/** One POST to a target: `timeoutMs` bounds connect, send and reading the whole body; `signal` is the caller's cancellation. */
export interface TargetRequest {
  url: string;
  headers: Record<string, string>;
  body: Uint8Array | string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** The only way Tether reaches a target: keep-alive POSTs behind the connect-time address guard. */
export interface TargetHttpClient {
  /** Sends one POST; resolves with an outcome for every network failure, throws only for programming errors. */
  post(req: TargetRequest): Promise<CallOutcome>;
  /**
   * Refuses new calls, waits up to `closeDrainMs` for those in flight, ends the rest as canceled, then closes
   * every pooled connection (so a hung target cannot hold a shutdown for its whole timeout, up to 270 s).
   */
  close(): Promise<void>;
}

/** One address a host name resolved to. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** What a dialer is asked to reach: only `addresses` (already checked); `hostname` is for TLS SNI and certificates. */
export interface DialTarget {
  hostname: string;
  port: number;
  tls: boolean;
  addresses: readonly ResolvedAddress[];
}

/** Opens a socket to one of `target.addresses`; TLS sockets are reported ready on "secureConnect", plain ones on "connect". */
export type Dialer = (target: DialTarget) => net.Socket;

/** Options of {@link createTargetHttpClient}. */
export interface HttpClientOptions {
  /** Development mode: allows http URLs and loopback addresses. */
  dev: boolean;
  /** Largest response body accepted, in bytes (default 1 MiB); a longer body is cut off and its connection dropped. */
  maxResponseBytes?: number;
  /** Resolves a host name (default: `dns.promises.lookup` with `all: true`); called once per new connection. */
  lookup?: (hostname: string) => Promise<ResolvedAddress[]>;
  /** Opens the socket (default {@link dialTarget}); tests wrap it to assert nothing but loopback is ever dialled. */
  dial?: Dialer;
  /**
   * Upper bound on resolving plus connecting, in ms (default 10 s); each call's own timeout applies as well,
   * and an attempt is dropped as soon as every call that could use it has given up.
   */
  connectTimeoutMs?: number;
  /** Connections kept per origin (default 64). */
  connectionsPerOrigin?: number;
  /** User-Agent sent unless the request sets one (default "Tether-Actions/1"). */
  userAgent?: string;
  /** How long {@link TargetHttpClient.close} lets calls in flight finish before it cancels them, in ms (default 5 s). */
  closeDrainMs?: number;
}

const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

/** The connector's refusal of a resolved address, carried through undici to {@link TargetHttpClient.post}. */
class BlockedAddressError extends Error {
  constructor(
    readonly address: string,
    readonly problem: string,
  ) {
    super(problem);
    this.name = "BlockedAddressError";
  }
}

/** Resolves with the system resolver, in the order it returns (IPv6 first where the host prefers it). */
async function systemLookup(hostname: string): Promise<ResolvedAddress[]> {
  const found = await dns.lookup(hostname, { all: true, order: "verbatim" });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
}

/** Default dialer: plain TCP or TLS (http/1.1 only) whose only name resolution is the list of checked addresses. */
export function dialTarget(target: DialTarget): net.Socket {
  const first = target.addresses[0];
  if (first === undefined) throw new Error("dialTarget needs at least one address");
  // Node resolves `host` through this function only, so the socket can reach nothing but checked addresses
  // while `host` stays the original name for SNI and the certificate check (IP literals skip lookup).
  const lookup: net.LookupFunction = (_host, opts, cb) => {
    if (opts.all) cb(null, target.addresses.map((a) => ({ address: a.address, family: a.family })));
    else cb(null, first.address, first.family);
  };
  const base = { host: target.hostname, port: target.port, lookup, noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 };
  if (!target.tls) return net.connect(base);
  const servername = net.isIP(target.hostname) === 0 ? target.hostname : undefined;
  return tls.connect({ ...base, ...(servername ? { servername } : {}), ALPNProtocols: ["http/1.1"] });
}

/** The connector gave up a connection attempt because every call that could use it had passed its deadline. */
class AbandonedConnectError extends Error {
  readonly code = "ETIMEDOUT";
  constructor(hostname: string) {
    super(`gave up connecting to ${hostname}: no call waits for it any more`);
    this.name = "AbandonedConnectError";
  }
}

/**
 * An undici connector that resolves once, refuses the connection if any address fails the policy, then dials
 * only checked addresses; it gives up at `connectTimeoutMs` or when no call `waiting` on the origin is left.
 */
function guardedConnector(
  dev: boolean,
  lookup: (hostname: string) => Promise<ResolvedAddress[]>,
  dial: Dialer,
  connectTimeoutMs: number,
  waiting: WaitingCalls,
): buildConnector.connector {
  async function checkedAddresses(hostname: string): Promise<readonly ResolvedAddress[]> {
    const family = net.isIP(hostname);
    const addresses = family !== 0 ? [{ address: hostname, family: family as 4 | 6 }] : await lookup(hostname);
    if (addresses.length === 0) throw Object.assign(new Error(`${hostname} resolved to no address`), { code: "ENOTFOUND" });
    // One refused address refuses the host: a name mixing public and private answers is a rebinding tell.
    for (const a of addresses) {
      const problem = resolvedAddressProblem(a.address, { dev });
      if (problem !== undefined) throw new BlockedAddressError(a.address, problem);
    }
    return addresses;
  }

  return ({ hostname, protocol, port }, callback) => {
    const secure = protocol === "https:";
    const key = originKey(protocol, hostname, port);
    const giveUpAt = performance.now() + connectTimeoutMs;
    let socket: net.Socket | undefined;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (err: Error | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err !== null || socket === undefined) {
        socket?.destroy();
        callback(err ?? new Error("no socket"), null);
      } else callback(null, socket);
    };
    // Re-armed while calls wait: a stalled TLS handshake or a SYN into a black hole must not hold a socket
    // after every caller's deadline (undici does not cancel a connect when the requests that wanted it abort).
    let seenWaiting = false;
    const watch = () => {
      const now = performance.now();
      if (now >= giveUpAt) return finish(Object.assign(new Error(`connecting to ${hostname} timed out`), { code: "ETIMEDOUT" }));
      const latest = waiting.latest(key);
      seenWaiting ||= latest !== undefined;
      // Never seen a call under this key (the spellings disagree): only the hard limit applies.
      const until = Math.min(giveUpAt, seenWaiting ? (latest ?? now) : giveUpAt);
      if (until <= now) return finish(new AbandonedConnectError(hostname));
      timer = setTimeout(watch, Math.ceil(until - now));
      timer.unref();
    };
    watch();
    checkedAddresses(hostname).then(
      (addresses) => {
        if (settled) return;
        try {
          socket = dial({ hostname, port: Number(port) || (secure ? 443 : 80), tls: secure, addresses });
        } catch (err) {
          return finish(err instanceof Error ? err : new Error(String(err)));
        }
        socket.once(secure ? "secureConnect" : "connect", () => finish(null));
        socket.once("error", (err) => finish(err));
      },
      (err: unknown) => finish(err instanceof Error ? err : new Error(String(err))),
    );
  };
}

/** A checked endpoint, ready to dispatch: remembered per URL string (the check is pure, so it never changes). */
type Endpoint = { ok: true; origin: string; path: string; key: string } | { ok: false; problem: string; host: string };

/** Endpoints remembered per client; the map starts over when it is full (targets are few, so it rarely is). */
const ENDPOINT_CACHE_SIZE = 1024;

const EMPTY_BODY = new Uint8Array(0);

/**
 * One POST in flight, and its own undici dispatch handler: collects the answer up to the size cap without a
 * response stream, and settles exactly once with an outcome (timeout, cancellation and shutdown included).
 */
class TargetCall implements Dispatcher.DispatchHandler {
  readonly promise: Promise<CallOutcome>;
  private resolve!: (outcome: CallOutcome) => void;
  private reject!: (err: unknown) => void;
  private settled = false;
  /** Which limit ended the call first, so a timeout is never reported as a cancel. */
  private cause: "timeout" | "canceled" | undefined;
  /** Why the call was given up before undici started it: handed to the controller when it does. */
  private reason: Error | undefined;
  private controller: Dispatcher.DispatchController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private status = 0;
  private headers: Dispatcher.ResponseData["headers"] = {};
  private chunks: Buffer[] = [];
  private size = 0;
  stopWaiting: (() => void) | undefined;

  constructor(
    private readonly client: ClientState,
    private readonly req: TargetRequest,
    private readonly started: number,
  ) {
    this.promise = new Promise<CallOutcome>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.timer = setTimeout(onCallTimeout, req.timeoutMs, this);
    req.signal?.addEventListener("abort", this, { once: true });
  }

  /** The caller's signal fired (EventListener object form, so no closure per call). */
  handleEvent(): void {
    this.cancel(this.req.signal?.reason);
  }

  timeout(): void {
    this.cause ??= "timeout";
    this.giveUp(new Error(`timed out after ${this.req.timeoutMs} ms`));
  }

  /** Ends the call as canceled (the caller's abort, or the client's shutdown). */
  cancel(reason: unknown): void {
    this.cause ??= "canceled";
    this.giveUp(reason instanceof Error ? reason : new Error("the call was canceled"));
  }

  private giveUp(reason: Error): void {
    if (this.settled) return;
    this.finish({ kind: this.cause ?? "canceled", latencyMs: this.latency() });
    // undici only honours an abort once the request has a connection; until then it is remembered.
    if (this.controller) this.controller.abort(reason);
    else this.reason = reason;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.reason) controller.abort(this.reason);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Dispatcher.ResponseData["headers"]): void {
    if (this.settled || statusCode < 200) return; // 1xx: the final answer is still to come
    this.status = statusCode;
    this.headers = headers;
    const declared = Number(headers["content-length"]);
    if (Number.isFinite(declared) && declared > this.client.limit) this.tooLarge(controller);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    this.size += chunk.length;
    if (this.size > this.client.limit) return this.tooLarge(controller);
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.settled) return;
    const latencyMs = this.latency();
    const body = this.size === 0 ? EMPTY_BODY : joinChunks(this.chunks, this.size);
    const kind = this.status >= 200 && this.status < 300 ? "ok" : "http_error";
    const outcome: CallOutcome = { kind, status: this.status, body, headers: flattenHeaders(this.headers), latencyMs };
    this.cleanUp();
    // With pipelining 1 undici frees the connection on an immediate it queues right after this callback; a
    // caller that posts again at once would otherwise find it busy and open a second connection (and resolve
    // again). The microtask runs once this callback has returned, so our immediate comes after undici's.
    queueMicrotask(() => setImmediate(resolveLater, this.resolve, outcome));
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, err: Error): void {
    if (this.settled) return;
    if (this.cause !== undefined) return this.finish({ kind: this.cause, latencyMs: this.latency() });
    // Only a call past its deadline sees this (it waits until then), even if the connector's timer ran first.
    if (err instanceof AbandonedConnectError) return this.finish({ kind: "timeout", latencyMs: this.latency() });
    if (err instanceof BlockedAddressError) return this.finish({ kind: "blocked", address: err.address, problem: err.problem, latencyMs: this.latency() });
    // Invalid header values and the like are bugs in the caller, not network trouble.
    if ((err as { code?: unknown }).code === "UND_ERR_INVALID_ARG") {
      this.cleanUp();
      return this.reject(err);
    }
    this.finish({ kind: "unreachable", message: describeError(err), latencyMs: this.latency() });
  }

  /** Stops reading a body over the cap; aborting the request drops its connection. */
  private tooLarge(controller: Dispatcher.DispatchController): void {
    this.finish({ kind: "too_large", limitBytes: this.client.limit, latencyMs: this.latency() });
    controller.abort(new Error(`response body over ${this.client.limit} bytes`));
  }

  private latency(): number {
    return performance.now() - this.started;
  }

  private finish(outcome: CallOutcome): void {
    this.cleanUp();
    this.resolve(outcome);
  }

  private cleanUp(): void {
    this.settled = true;
    this.chunks = [];
    clearTimeout(this.timer);
    this.req.signal?.removeEventListener("abort", this);
    this.stopWaiting?.();
    this.client.inFlight.delete(this);
  }
}

/** The chunks copied into one array of their own (a chunk may be a view of a larger, reused buffer). */
function joinChunks(chunks: readonly Buffer[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

function onCallTimeout(call: TargetCall): void {
  call.timeout();
}

function resolveLater(resolve: (outcome: CallOutcome) => void, outcome: CallOutcome): void {
  resolve(outcome);
}

/** What every call of one client shares. */
interface ClientState {
  /** Largest response body accepted, in bytes. */
  limit: number;
  /** Calls not settled yet; close() waits for them, then cancels the rest. */
  inFlight: Set<TargetCall>;
}

/** Creates the keep-alive client that calls targets; see {@link HttpClientOptions} for the knobs and defaults. */
export function createTargetHttpClient(options: HttpClientOptions): TargetHttpClient {
  const dev = options.dev;
  const userAgent = options.userAgent ?? "Tether-Actions/1";
  const waiting = createWaitingCalls();
  const state: ClientState = { limit: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES, inFlight: new Set() };
  const agent = new Agent({
    connect: guardedConnector(dev, options.lookup ?? systemLookup, options.dial ?? dialTarget, options.connectTimeoutMs ?? 10_000, waiting),
    connections: options.connectionsPerOrigin ?? 64,
    pipelining: 1,
    allowH2: false,
    // Each call carries its own deadline (up to 270 s, decisions §8); undici's 300 s defaults must not cut in.
    headersTimeout: 0,
    bodyTimeout: 0,
  });

  // The save-time check again at call time (a snapshot may predate a policy change), once per URL string.
  const endpoints = new Map<string, Endpoint>();
  function endpoint(raw: string): Endpoint {
    let found = endpoints.get(raw);
    if (found !== undefined) return found;
    const checked = checkEndpointUrl(raw, { dev });
    found = checked.ok
      ? {
          ok: true,
          origin: checked.url.origin,
          path: `${checked.url.pathname}${checked.url.search}`,
          key: originKey(checked.url.protocol, checked.url.hostname, checked.url.port),
        }
      : { ok: false, problem: checked.problem, host: hostOf(raw) };
    if (endpoints.size >= ENDPOINT_CACHE_SIZE) endpoints.clear();
    endpoints.set(raw, found);
    return found;
  }

  function call(req: TargetRequest, started: number): Promise<CallOutcome> {
    const target = endpoint(req.url);
    if (!target.ok) return Promise.resolve({ kind: "blocked", address: target.host, problem: target.problem, latencyMs: performance.now() - started });
    if (req.signal?.aborted) return Promise.resolve({ kind: "canceled", latencyMs: performance.now() - started });
    const headers: Record<string, string> = { "content-type": "application/json", "user-agent": userAgent };
    for (const name in req.headers) headers[name.toLowerCase()] = req.headers[name]!;
    const c = new TargetCall(state, req, started);
    state.inFlight.add(c);
    c.stopWaiting = waiting.add(target.key, started + req.timeoutMs);
    agent.dispatch({ origin: target.origin, path: target.path, method: "POST", headers, body: req.body }, c);
    return c.promise;
  }

  let closing: Promise<void> | undefined;
  async function drainThenClose(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const drained = new Promise<void>((resolve) => (timer = setTimeout(resolve, options.closeDrainMs ?? 5_000)));
    const promises = () => [...state.inFlight].map((c) => c.promise);
    await Promise.race([Promise.allSettled(promises()), drained]);
    clearTimeout(timer);
    // Every call still in flight ends as canceled now.
    const reason = new Error("the target HTTP client is closing");
    const left = promises();
    for (const c of [...state.inFlight]) c.cancel(reason);
    await Promise.allSettled(left);
    // Undici may still hold requests abandoned at their deadline (queued behind a slow connect), and nobody
    // waits for those, so destroy rather than drain.
    await agent.destroy();
  }

  return {
    post(req) {
      const started = performance.now();
      if (!(req.timeoutMs > 0) || !Number.isFinite(req.timeoutMs)) return Promise.reject(new RangeError(`timeoutMs must be a positive number, got ${req.timeoutMs}`));
      if (closing) return Promise.resolve({ kind: "unreachable", message: "the target HTTP client is closed", latencyMs: 0 });
      return call(req, started);
    },
    close() {
      closing ??= drainThenClose();
      return closing;
    },
  };
}

function hostOf(raw: string): string {
  try {
    return new URL(raw).hostname;
  } catch {
    return "";
  }
}
