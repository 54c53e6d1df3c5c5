import type { Logger } from "pino";
import { createLogger } from "../../src/log.js";
import type { LogLevel } from "../../src/config.js";

/** A real Tether logger (same redaction as production) whose JSON lines are kept in memory for assertions. */
export function captureLogs(level: LogLevel = "trace") {
  const lines: string[] = [];
  const logger: Logger = createLogger({ level, destination: { write: (line: string) => void lines.push(line) } });
  return {
    logger,
    /** Every line written so far, as pino wrote it (JSON text). */
    lines,
    /** All lines joined, for substring scans. */
    text: () => lines.join(""),
    /** The parsed records whose `msg` matches. */
    records: (msg?: RegExp) =>
      lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => msg === undefined || msg.test(String(r["msg"]))),
  };
}
