// The helper processes: bench/client.ts (load) and bench/receiver.ts (webhook), and the IPC to reach them.
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { FromClient, FromReceiver, ToClient, ToReceiver } from "./protocol.js";

/** The running helpers. */
export interface Helpers {
  receiverUrl: string;
  /** Sends one request to the client process and waits for its reply of the given type. */
  ask<T extends FromClient["type"]>(m: ToClient, type: T): Promise<Extract<FromClient, { type: T }>>;
  /** Body size per path the receiver saw last. */
  receivedBytes(): Promise<Record<string, number>>;
  /** This process and both helpers, for the contention figure. */
  pids(): number[];
  stop(): Promise<void>;
}

const nextMessage = <T>(c: ChildProcess) => new Promise<T>((resolve) => c.once("message", (m) => resolve(m as T)));

/** Forks both helpers (they inherit tsx through execArgv) and waits until they are ready. */
export async function startHelpers(): Promise<Helpers> {
  const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
  const receiver = fork(here("./receiver.ts"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const client = fork(here("./client.ts"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const [ready] = await Promise.all([nextMessage<FromReceiver>(receiver), nextMessage<FromClient>(client)]);
  if (ready.type !== "ready") throw new Error("receiver did not start");
  return {
    receiverUrl: ready.url,
    async ask(m, type) {
      const reply = nextMessage<FromClient>(client);
      client.send(m);
      const r = await reply;
      if (r.type !== type) throw new Error(`client: ${r.type === "failed" ? r.message : `unexpected ${r.type}`}`);
      return r as Extract<FromClient, { type: typeof type }>;
    },
    async receivedBytes() {
      const reply = nextMessage<FromReceiver>(receiver);
      receiver.send({ type: "sizes" } satisfies ToReceiver);
      const r = await reply;
      return r.type === "sizes" ? r.bytes : {};
    },
    pids: () => [process.pid, client.pid ?? 0, receiver.pid ?? 0],
    async stop() {
      await Promise.all([stop(client, { type: "exit" }), stop(receiver, { type: "exit" })]);
    },
  };
}

/** Asks a helper to close its sockets and leave; kills it if it does not within 5 s. */
async function stop(c: ChildProcess, m: ToClient | ToReceiver): Promise<void> {
  if (c.exitCode !== null || !c.connected) return;
  const exited = new Promise<void>((resolve) => c.once("exit", () => resolve()));
  c.send(m);
  const timer = setTimeout(() => c.kill(), 5000);
  await exited;
  clearTimeout(timer);
}
