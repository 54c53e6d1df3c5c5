/** The key of a connection pool, the same whether a URL or undici's connector options spell it. */
export function originKey(protocol: string, hostname: string, port: string | number): string {
  const host = hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
  return `${protocol}//${host.toLowerCase()}:${Number(port) || (protocol === "https:" ? 443 : 80)}`;
}

/**
 * The deadlines of the calls in flight, per {@link originKey}, so that a connection attempt can be given up
 * once no call waits for it any more (undici keeps dialling after every request that wanted the socket aborted).
 */
export interface WaitingCalls {
  /** Registers a call until its deadline (a `performance.now()` time); returns the function that unregisters it. */
  add(key: string, deadline: number): () => void;
  /** The latest deadline of the calls registered on `key`, or undefined when there are none. */
  latest(key: string): number | undefined;
}

/** Creates an empty {@link WaitingCalls}. */
export function createWaitingCalls(): WaitingCalls {
  const byKey = new Map<string, Map<symbol, number>>();
  return {
    add(key, deadline) {
      const id = Symbol(key);
      const calls = byKey.get(key) ?? new Map<symbol, number>();
      byKey.set(key, calls.set(id, deadline));
      return () => {
        calls.delete(id);
        if (calls.size === 0 && byKey.get(key) === calls) byKey.delete(key);
      };
    },
    latest(key) {
      let latest: number | undefined;
      for (const deadline of byKey.get(key)?.values() ?? []) latest = latest === undefined ? deadline : Math.max(latest, deadline);
      return latest;
    },
  };
}
