// The fuzz properties: one generated request per run, sent on a chosen protocol, its answer checked.
import fc from "fast-check";
import type { DescMethod } from "@bufbuild/protobuf";
import { binaryBody } from "./fuzz-binary.js";
import { authHeaders, procedurePath, type FuzzHarness } from "./fuzz-harness.js";
import { checkRestOutcome, checkRpcOutcome } from "./fuzz-invariants.js";
import { jsonBody } from "./fuzz-json.js";
import { rpcOutcome, rpcRequest, type Codec, type EnvelopeFault, type RpcProtocol } from "./fuzz-protocols.js";
import { restRequest, type RestBinding } from "./fuzz-rest.js";
import { fuzzTrace } from "./fuzz-settings.js";

/** Protocol headers that clients get wrong: timeouts, compression, versions. */
function protocolHeaders(protocol: RpcProtocol): fc.Arbitrary<Record<string, string>> {
  const none = fc.constant({});
  const odd =
    protocol === "connect"
      ? fc.constantFrom<Record<string, string>>(
          { "connect-timeout-ms": "0" },
          { "connect-timeout-ms": "-1" },
          { "connect-timeout-ms": "abc" },
          { "connect-timeout-ms": "99999999999" },
          { "connect-protocol-version": "2" },
          { "content-encoding": "gzip" },
          { "content-encoding": "zstd" },
          { "content-type": "application/json; charset=latin1" },
        )
      : fc.constantFrom<Record<string, string>>(
          { "grpc-timeout": "0n" },
          { "grpc-timeout": "1S" },
          { "grpc-timeout": "999999999H" },
          { "grpc-timeout": "soon" },
          { "grpc-encoding": "gzip" },
          { "grpc-encoding": "zstd" },
          { "grpc-accept-encoding": "nope" },
        );
  return fc.oneof({ arbitrary: none, weight: 12 }, { arbitrary: odd, weight: 1 });
}

const FAULTS: EnvelopeFault[] = ["compressed-flag", "short-length", "long-length", "two-messages", "no-envelope", "trailing-garbage"];

function envelopeFault(protocol: RpcProtocol): fc.Arbitrary<EnvelopeFault> {
  if (protocol === "connect") return fc.constant("none");
  return fc.oneof({ arbitrary: fc.constant("none" as const), weight: 12 }, { arbitrary: fc.constantFrom(...FAULTS), weight: 1 });
}

/** Options of {@link rpcProperty}. */
export interface RpcPropertyOptions {
  protocol: RpcProtocol;
  codec: Codec;
  /** HTTP versions to pick from (gRPC needs HTTP/2). */
  http: readonly ("h1" | "h2")[];
}

/** A property that sends generated requests for one RPC on one protocol and codec and checks every answer. */
export function rpcProperty(h: FuzzHarness, method: DescMethod, options: RpcPropertyOptions) {
  const body = options.codec === "json" ? jsonBody(method.input, h.ctx) : binaryBody(method.input, h.ctx);
  return fc.asyncProperty(
    body,
    authHeaders(h.server.token),
    protocolHeaders(options.protocol),
    envelopeFault(options.protocol),
    fc.constantFrom(...options.http),
    async (bytes, auth, extra, fault, http) => {
      const req = rpcRequest(options.protocol, options.codec, procedurePath(method), bytes, { ...auth.headers, ...extra }, fault);
      h.sent.count++;
      fuzzTrace("send", method.name, http, fault, JSON.stringify(extra), auth.auth, bytes.length, Buffer.from(bytes.subarray(0, 40)).toString("hex"));
      const res = await h.wire[http](req);
      fuzzTrace("got", res.status, JSON.stringify(res.trailers), res.body.subarray(0, 120).toString("latin1"));
      checkRpcOutcome(method, rpcOutcome(options.protocol, options.codec, res), auth.auth);
    },
  );
}

/** A property that sends generated REST requests for one binding of an RPC and checks every answer. */
export function restProperty(h: FuzzHarness, method: DescMethod, binding: RestBinding) {
  return fc.asyncProperty(restRequest(method, binding, h.ctx), authHeaders(h.server.token), fc.constantFrom("h1" as const, "h2" as const), async (req, auth, http) => {
    h.sent.count++;
    fuzzTrace("send", http, req.method, req.path.slice(0, 200), JSON.stringify(req.headers), auth.auth, req.body?.length);
    const res = await h.wire[http]({ ...req, headers: { ...req.headers, ...auth.headers } });
    fuzzTrace("got", res.status, res.body.subarray(0, 120).toString("utf8"));
    checkRestOutcome(method, res, auth.auth);
  });
}

/** Paths the server answers without an RPC behind them, and paths near the REST templates. */
const ODD_PATHS = ["/", "/healthz", "/readyz", "/metrics", "/oauth/v2/keys", "/v2/actions", "/v2/actions/", "/v2beta", "/v1/deliveries", "//v2/actions/targets", "/v2/actions/targets/", "/v2/actions/targets/1/", "/v2/actions/targets/1/publickeys/2/3/4", "/zitadel.action.v2.ActionService/", "/zitadel.action.v2.ActionService/Nope", "/grpc.health.v1.Health/Check", "/%", "/..%2F..%2Fetc", "/v2/actions/targets/search?", "/a?b=%zz"];

/** A property that sends any verb to any known or odd path and checks that the answer is never a server error. */
export function anyRouteProperty(h: FuzzHarness, templates: readonly string[]) {
  const path = fc.oneof(fc.constantFrom(...ODD_PATHS), fc.constantFrom(...templates).map((t) => t.replace(/\{[^}]*\}/g, "1")));
  const verb = fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "FOO");
  const body = fc.option(fc.constantFrom("{}", "[]", "x", '{"a":1}'), { nil: undefined });
  return fc.asyncProperty(path, verb, body, authHeaders(h.server.token), fc.constantFrom("h1" as const, "h2" as const), async (p, method, text, auth, http) => {
    h.sent.count++;
    const res = await h.wire[http]({ method, path: p, headers: { ...auth.headers, "content-type": "application/json" }, ...(text !== undefined && method !== "GET" && method !== "HEAD" ? { body: new TextEncoder().encode(text) } : {}) });
    if (res.status >= 500 && res.status !== 501) throw new Error(`${method} ${p}: HTTP ${res.status} ${res.body.toString("utf8").slice(0, 200)}`);
    if (res.status >= 400 && method !== "HEAD" && (res.headers["content-type"] ?? "").startsWith("application/json")) {
      const status = JSON.parse(res.body.toString("utf8")) as { code?: unknown; message?: unknown };
      if (typeof status.code !== "number" && typeof status.code !== "string") throw new Error(`${method} ${p}: HTTP ${res.status} error without a code: ${res.body.toString("utf8").slice(0, 200)}`);
    }
  });
}
