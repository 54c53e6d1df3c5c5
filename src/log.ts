import { pino, type DestinationStream, type Logger } from "pino";
import type { LogLevel } from "./config.js";

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  level: LogLevel;
  /** Where JSON lines go; stdout by default. */
  destination?: DestinationStream;
}

// Secrets that may end up in a logged object: credentials, tokens, signing and master keys.
const REDACT_PATHS = [
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "token",
  "*.token",
  "signingKey",
  "*.signingKey",
  "signing_key",
  "*.signing_key",
  "privateKey",
  "*.privateKey",
  "masterKey",
  "*.masterKey",
];

/** Creates the JSON-lines logger with secrets redacted as `[redacted]`. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    { level: options.level, redact: { paths: REDACT_PATHS, censor: "[redacted]" }, timestamp: pino.stdTimeFunctions.isoTime },
    options.destination,
  );
}
