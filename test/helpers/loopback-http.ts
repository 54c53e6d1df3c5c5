import { createTargetHttpClient, dialTarget, type TargetHttpClient } from "../../src/execution/http-client.js";

/**
 * A target client for tests that can never send a packet off this machine: names other than
 * `localhost` do not resolve (no DNS query is made), and the dialer refuses anything but 127.0.0.1.
 */
export function loopbackOnlyHttpClient(dev = true): TargetHttpClient {
  return createTargetHttpClient({
    dev,
    lookup: async (hostname) => {
      if (hostname === "localhost") return [{ address: "127.0.0.1", family: 4 }];
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname} (tests resolve no outside names)`), { code: "ENOTFOUND" });
    },
    dial: (target) => {
      if (target.addresses.some((a) => a.address !== "127.0.0.1")) throw new Error(`test dialer refused ${JSON.stringify(target.addresses)}`);
      return dialTarget(target);
    },
  });
}
