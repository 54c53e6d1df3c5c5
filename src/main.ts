// The only module that touches the process: configuration, start, the one-time token print, signals.
import { join } from "node:path";
import { loadConfig, ConfigError } from "./config.js";
import { createLogger } from "./log.js";
import { startTether } from "./tether.js";

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`tether: invalid configuration:\n${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const log = createLogger({ level: config.logLevel });
  const tether = await startTether(config, log);
  if (tether.newAdminToken) {
    const path = join(config.dataDir, "admin.pat");
    // Shown once, and only on a terminal: when stdout is a pipe or a container log it would be kept in the log.
    if (process.stdout.isTTY) process.stdout.write(`\nAdmin personal access token (shown once; also saved to ${path}):\n\n  ${tether.newAdminToken}\n\n`);
    else log.info({ path }, "created the admin personal access token; read it from the file (mode 0600)");
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    tether.close().then(
      () => {
        log.info("stopped");
        process.exit(0);
      },
      (e: unknown) => {
        log.error({ err: e }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((e: unknown) => {
  process.stderr.write(`tether: failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
