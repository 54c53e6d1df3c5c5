import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { startTether, type StartOptions } from "../../src/tether.js";
import { loopbackOnlyHttpClient } from "./loopback-http.js";

/** What {@link startTestTether} accepts besides the start options: a logger to capture (default silent). */
export type TestTetherOptions = StartOptions & { logger?: Logger };

/** Starts the real server (real SQLite file in a temp data dir) on 127.0.0.1, port 0. */
export async function startTestTether(
  env: Record<string, string> = {},
  dataDir = mkdtempSync(join(tmpdir(), "tether-e2e-")),
  { logger, ...options }: TestTetherOptions = {},
) {
  const config = loadConfig({ TETHER_PORT: "0", TETHER_HOST: "127.0.0.1", TETHER_DATA_DIR: dataDir, TETHER_LOG_LEVEL: "silent", ...env });
  // Target calls never leave the machine in tests (no DNS for outside names, only 127.0.0.1 dialled).
  const tether = await startTether(config, logger ?? createLogger({ level: "silent" }), { http: loopbackOnlyHttpClient(config.dev), ...options });
  return {
    ...tether,
    dataDir,
    /** The admin token created on first start (undefined on a restart over the same data dir). */
    token: tether.newAdminToken,
    /** Stops the server; removes the data dir unless `keepData`. */
    async stop(keepData = false) {
      await tether.close();
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A fetch against the server's REST paths with the admin token. */
export function restClient(baseUrl: string, token: string | undefined) {
  return async (method: string, path: string, body?: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      ...(body !== undefined ? { body } : {}),
    });
    const text = await res.text();
    let json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- response bodies are asserted field by field
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text, headers: res.headers };
  };
}
