// Phase 2: sequential GetUser latency without execution and with a JSON, JWT and JWE webhook, plus a bare
// POST to the same receiver; then server CPU per call for each of them.
import { readFileSync } from "node:fs";
import { PayloadType } from "../gen/zitadel/action/v2/target_pb.js";
import type { Helpers } from "./procs.js";
import type { Series } from "./protocol.js";
import type { BenchServer } from "./servers.js";
import { barePosts, cpuPerCall } from "./cpu-cost.js";
import { watchOthers } from "./contention.js";

const WARMUP = 300; // cycles through every series before measuring
const COUNT = 3000; // samples per series
const CPU_COUNT = 1000; // calls per series for the server-CPU figure
export const GET_USER = "/tether.example.v1.UserService/GetUser";

/** Round trips in ms and server CPU µs per call, per series (none, json, jwt, jwe, bare). */
export interface LatencyFigures {
  samples: Record<string, number[]>;
  cpuUs: Record<string, number>;
  /** Share of the cores other processes used while the samples were taken. */
  othersPct: number;
}

/** A condition on one method's requests. */
export function requestOn(method: string) {
  return { conditionType: { case: "request" as const, value: { condition: { case: "method" as const, value: method } } } };
}

/** A webhook target on the receiver (path = name); interrupting, so a failed call shows up as an RPC error. */
export async function webhook(s: BenchServer, receiverUrl: string, name: string, payloadType: PayloadType): Promise<string> {
  const timeout = { seconds: 5n };
  const { id } = await s.admin.createTarget({ name: `bench-${name}`, targetType: { case: "restWebhook", value: { interruptOnError: true } }, timeout, endpoint: `${receiverUrl}/${name}`, payloadType });
  return id;
}

/**
 * `none` is a server with the interceptor and no GetUser execution; `start` makes one more server per payload
 * type (an execution is per method, so separate servers are what lets the client interleave them call by call).
 */
export async function measureLatency(h: Helpers, none: BenchServer, start: () => Promise<BenchServer>): Promise<LatencyFigures> {
  const typed = async (name: "json" | "jwt" | "jwe", type: PayloadType): Promise<Series> => {
    const s = await start();
    const target = await webhook(s, h.receiverUrl, name, type);
    if (type === PayloadType.JWE) {
      const { keyId } = await s.admin.addPublicKey({ targetId: target, publicKey: readFileSync(new URL("../test/fixtures/ec.pub", import.meta.url)) });
      await s.admin.activatePublicKey({ targetId: target, keyId });
    }
    await s.admin.setExecution({ condition: requestOn(GET_USER), targets: [target] });
    return { name, url: s.url, token: s.token };
  };
  // Shaped like the JSON payload Tether sends for this GetUser, so both bodies have the same size.
  const bareBody = { fullMethod: GET_USER, instanceID: "tether", userID: "admin", request: { userId: "1" }, headers: { "Content-Type": ["application/proto"], Host: [new URL(none.url).host] } };
  const series: Series[] = [
    { name: "none", url: none.url, token: none.token },
    await typed("json", PayloadType.JSON),
    await typed("jwt", PayloadType.JWT),
    await typed("jwe", PayloadType.JWE),
    { name: "bare", post: `${h.receiverUrl}/bare`, body: JSON.stringify(bareBody) },
  ];
  const watch = watchOthers(h.pids);
  const lat = await h.ask({ type: "latency", series, warmup: WARMUP, count: COUNT }, "latency");
  const othersPct = watch.end();
  if (lat.errors > 0) throw new Error(`${lat.errors} latency calls failed`);

  // Server CPU per call, one series at a time (process CPU cannot be split per call). The bare POSTs are sent
  // from this process, so they count what one target call costs here without Tether around it.
  const cpuUs: Record<string, number> = {};
  for (const sr of series) {
    if ("post" in sr) {
      await barePosts(sr.post, sr.body, 100);
      cpuUs[sr.name] = await cpuPerCall(CPU_COUNT, () => barePosts(sr.post, sr.body, CPU_COUNT));
    } else {
      await h.ask({ type: "latency", series: [sr], warmup: 100, count: 0 }, "latency");
      cpuUs[sr.name] = await cpuPerCall(CPU_COUNT, () => h.ask({ type: "latency", series: [sr], warmup: 0, count: CPU_COUNT }, "latency"));
    }
  }
  return { samples: lat.samples, cpuUs, othersPct };
}
