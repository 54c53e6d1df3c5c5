// Messages between the bench runner (parent, runs the Tether servers) and its helper processes.

/** One latency series: GetUser on a server (`url`), or a bare POST of `body` to the receiver (`post`). */
export type Series = { name: string; url: string; token: string } | { name: string; post: string; body: string };

/** Parent -> client. */
export type ToClient =
  | { type: "throughput"; url: string; token: string; concurrency: number; warmupMs: number; durationMs: number }
  | { type: "latency"; series: Series[]; warmup: number; count: number }
  | { type: "exit" };

/** Client -> parent. */
export type FromClient =
  | { type: "ready" }
  | { type: "throughput"; calls: number; errors: number; seconds: number; cpuMs: number }
  | { type: "latency"; samples: Record<string, number[]>; errors: number }
  | { type: "failed"; message: string };

/** Parent <-> receiver. */
export type ToReceiver = { type: "sizes" } | { type: "exit" };
export type FromReceiver = { type: "ready"; url: string } | { type: "sizes"; bytes: Record<string, number> };
