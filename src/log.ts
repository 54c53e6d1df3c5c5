import { pino, type DestinationStream, type Logger } from "pino";
import type { LogLevel } from "./config.js";

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  level: LogLevel;
  /** Where JSON lines go; stdout by default. */
  destination?: DestinationStream;
}

// Secrets that may end up in a logged object: credentials, tokens, signing, instance and master keys.
// Paths are case-sensitive, so header names appear as Node delivers them (lower case) and as written
// by hand (capitalised); error objects nest request headers one level deeper (err.request.headers).
const SECRET_FIELDS = ["authorization", "Authorization", "token", "signingKey", "signingKeys", "signing_key", "privateKey", "privateJwk", "jwk", "masterKey"];
const REDACT_PATHS = [
  ...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`]),
  ...["authorization", "Authorization"].flatMap((h) => [`headers.${h}`, `*.headers.${h}`, `*.*.headers.${h}`]),
];

/** Creates the JSON-lines logger with secrets redacted as `[redacted]`. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    { level: options.level, redact: { paths: REDACT_PATHS, censor: "[redacted]" }, timestamp: pino.stdTimeFunctions.isoTime },
    options.destination,
  );
}
