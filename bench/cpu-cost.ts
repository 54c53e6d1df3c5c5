// Server CPU per call, the figure a busy neighbour barely moves (it stretches wall time, not our work):
// it says how much of the added latency is Tether computing rather than waiting.
import { Agent, request } from "undici";

/** CPU µs this process spends while `run` executes, divided by `calls`. */
export async function cpuPerCall(calls: number, run: () => Promise<unknown>): Promise<number> {
  const from = process.cpuUsage();
  await run();
  const used = process.cpuUsage(from);
  return (used.user + used.system) / calls;
}

/** Sequential bare POSTs from this (the server's) process: the CPU a target call costs without Tether. */
export async function barePosts(url: string, body: string, count: number): Promise<void> {
  const agent = new Agent({ keepAliveTimeout: 60_000, connections: 1 });
  try {
    for (let i = 0; i < count; i++) {
      const res = await request(url, { method: "POST", dispatcher: agent, headers: { "content-type": "application/json" }, body });
      await res.body.text();
    }
  } finally {
    await agent.close();
  }
}
