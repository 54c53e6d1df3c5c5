// Environment -> typed Config. Pure: reads only the record it is given, so tests pass plain objects.

/** pino's level names, plus `silent`. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** OIDC settings; present only when `TETHER_OIDC_ISSUER` is set. Fits `createOidcVerifier`'s options. */
export interface OidcConfig {
  issuer: string;
  jwksUrl?: string;
  audience?: string;
  permissionsClaim: string;
  orgIdClaim?: string;
}

/** The server's settings, with defaults applied. */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** The master key as given (validated where it is decoded); never log it. */
  masterKey?: string;
  instanceId: string;
  dev: boolean;
  logLevel: LogLevel;
  oidc?: OidcConfig;
  readMaxBytes: number;
  /** Algorithm of the instance key that signs JWT payloads. */
  jwtAlg: "ES256" | "RS256";
  /** False is the break-glass switch (`TETHER_EXECUTIONS=off`): no execution fires and no event is matched. */
  executions: boolean;
  /** False turns gRPC server reflection off (`TETHER_REFLECTION=off`). */
  reflection: boolean;
  /** How long delivered and dead outbox jobs are kept, in ms; 0 keeps them for ever (default 7 and 30 days). */
  retention?: { deliveredMs: number; deadMs: number };
}

/** Documentation of one environment variable, for the README and `--help`-style output. */
export interface ConfigVariable {
  name: string;
  /** The default as written in the environment; undefined when unset means "off". */
  default?: string;
  description: string;
}

/** Every variable {@link loadConfig} reads, with its default and meaning. */
export const configVariables: readonly ConfigVariable[] = [
  { name: "TETHER_PORT", default: "8080", description: "TCP port for every protocol (gRPC, gRPC-Web, Connect, REST); 0 picks a free port." },
  { name: "TETHER_HOST", default: "0.0.0.0", description: "Address to listen on; all interfaces by default (containers), 127.0.0.1 for local only." },
  { name: "TETHER_DATA_DIR", default: "./data", description: "Directory for the database, the generated master key and admin.pat." },
  { name: "TETHER_MASTER_KEY", description: "Key that encrypts signing keys at rest; generated into the data dir when unset." },
  { name: "TETHER_INSTANCE_ID", default: "tether", description: "Reported as instanceID in target payloads (1-200 characters)." },
  { name: "TETHER_DEV", default: "false", description: "Development mode (true/false/1/0): allows http:// and loopback target endpoints." },
  { name: "TETHER_LOG_LEVEL", default: "info", description: `Log level: ${LOG_LEVELS.join(", ")}.` },
  { name: "TETHER_OIDC_ISSUER", description: "OIDC issuer URL; enables JWT access tokens. https required except for loopback or in dev mode." },
  { name: "TETHER_OIDC_JWKS_URL", description: "Issuer key set URL; default <issuer>/oauth/v2/keys." },
  { name: "TETHER_OIDC_AUDIENCE", description: "Required aud claim of access tokens; not checked when unset." },
  { name: "TETHER_OIDC_PERMISSIONS_CLAIM", default: "permissions", description: "Claim with the caller's permissions (array, space-separated string or roles object)." },
  { name: "TETHER_OIDC_ORG_CLAIM", default: "urn:zitadel:iam:user:resourceowner:id", description: "Claim with the caller's organisation id." },
  { name: "TETHER_READ_MAX_BYTES", default: "4194304", description: "Largest request body accepted, in bytes." },
  { name: "TETHER_JWT_ALG", default: "ES256", description: "Algorithm of the instance key that signs JWT/JWE payloads: ES256 or RS256 (keys published at /oauth/v2/keys)." },
  {
    name: "TETHER_EXECUTIONS",
    default: "on",
    description:
      "Break glass: off (or false/0) disables every execution (no request/response or function targets are called, events are not matched); already queued deliveries are still sent.",
  },
  {
    name: "TETHER_REFLECTION",
    default: "on",
    description: "gRPC server reflection (v1, v1alpha) without a token; off hides the schemas of every mounted service, host services included.",
  },
  {
    name: "TETHER_DELIVERED_RETENTION_HOURS",
    default: "168",
    description: "Hours a delivered outbox job (and its attempt log) is kept after its last attempt; 0 keeps them for ever.",
  },
  {
    name: "TETHER_DEAD_RETENTION_HOURS",
    default: "720",
    description: "Hours a dead-lettered job is kept for inspection and replay after its last attempt; 0 keeps them for ever.",
  },
];

/** Invalid configuration; the message lists every problem, one per line. */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(readonly problems: readonly string[]) {
    super(problems.map((p) => `  - ${p}`).join("\n"));
  }
}

const MAX_READ_BYTES = 1024 * 1024 * 1024;
/** Ten years; larger values are refused (0 means for ever), so the cut-off stays a valid date. */
const MAX_RETENTION_HOURS = 87_600;

/** Reads the configuration from `env` (usually process.env); empty values count as unset. Throws {@link ConfigError}. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const problems: string[] = [];
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === "" ? undefined : v.trim();
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
    problems.push(`${name} must be an integer ${min}-${max}, got ${JSON.stringify(raw)}`);
    return fallback;
  };

  // Checked in the order of configVariables, so problems are listed in the order the README shows.
  const port = integer("TETHER_PORT", 8080, 0, 65535);
  const instanceId = get("TETHER_INSTANCE_ID") ?? "tether";
  if (instanceId.length > 200 || /\p{Cc}/u.test(instanceId)) {
    problems.push(`TETHER_INSTANCE_ID must be 1-200 printable characters, got ${instanceId.length} characters`);
  }
  const dev = parseBoolean(get("TETHER_DEV"), "TETHER_DEV", problems);
  const logLevelRaw = get("TETHER_LOG_LEVEL")?.toLowerCase() ?? "info";
  const logLevel = (LOG_LEVELS as readonly string[]).includes(logLevelRaw) ? (logLevelRaw as LogLevel) : "info";
  if (logLevel !== logLevelRaw) problems.push(`TETHER_LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(logLevelRaw)}`);
  const oidc = loadOidc(get, dev, problems);
  const readMaxBytes = integer("TETHER_READ_MAX_BYTES", 4 * 1024 * 1024, 1, MAX_READ_BYTES);
  const jwtAlgRaw = get("TETHER_JWT_ALG")?.toUpperCase() ?? "ES256";
  const jwtAlg = jwtAlgRaw === "RS256" ? "RS256" : "ES256";
  if (jwtAlg !== jwtAlgRaw) problems.push(`TETHER_JWT_ALG must be ES256 or RS256, got ${JSON.stringify(jwtAlgRaw)}`);
  const executions = parseOnOff(get("TETHER_EXECUTIONS"), "TETHER_EXECUTIONS", problems);
  const reflection = parseOnOff(get("TETHER_REFLECTION"), "TETHER_REFLECTION", problems);
  const deliveredHours = integer("TETHER_DELIVERED_RETENTION_HOURS", 168, 0, MAX_RETENTION_HOURS);
  const deadHours = integer("TETHER_DEAD_RETENTION_HOURS", 720, 0, MAX_RETENTION_HOURS);

  const config: Config = {
    port,
    host: get("TETHER_HOST") ?? "0.0.0.0",
    dataDir: get("TETHER_DATA_DIR") ?? "./data",
    instanceId,
    dev,
    logLevel,
    readMaxBytes,
    jwtAlg,
    executions,
    reflection,
    retention: { deliveredMs: deliveredHours * 3600_000, deadMs: deadHours * 3600_000 },
  };
  // The master key is passed through untouched (not trimmed: it is decoded elsewhere) and never echoed.
  const masterKey = env["TETHER_MASTER_KEY"];
  if (masterKey !== undefined && masterKey !== "") config.masterKey = masterKey;
  if (oidc) config.oidc = oidc;

  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function parseBoolean(raw: string | undefined, name: string, problems: string[]): boolean {
  if (raw === undefined) return false;
  const v = raw.toLowerCase();
  if (v === "1" || v === "true") return true;
  if (v === "0" || v === "false") return false;
  problems.push(`${name} must be true, false, 1 or 0, got ${JSON.stringify(raw)}`);
  return false;
}

// on/off reads as a switch and is what the docs use; true/false and 1/0 are accepted too.
function parseOnOff(raw: string | undefined, name: string, problems: string[]): boolean {
  if (raw === undefined) return true;
  // In an emergency nobody should have to guess the spelling: on/off and the boolean forms all work.
  const v = raw.toLowerCase();
  if (v === "on" || v === "true" || v === "1") return true;
  if (v === "off" || v === "false" || v === "0") return false;
  problems.push(`${name} must be on or off (or true/false, 1/0), got ${JSON.stringify(raw)}`);
  return true;
}

// Plain http would let anyone on the path swap the issuer's keys, so it is allowed only where there
// is no path (loopback) or in dev mode.
function checkUrl(name: string, raw: string, dev: boolean, problems: string[]): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push(`${name} must be an absolute URL, got ${JSON.stringify(raw)}`);
    return false;
  }
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  if (url.protocol === "https:" || (url.protocol === "http:" && (dev || loopback))) return true;
  problems.push(`${name} must be an https URL (http only for loopback or with TETHER_DEV=true), got ${JSON.stringify(raw)}`);
  return false;
}

function loadOidc(get: (name: string) => string | undefined, dev: boolean, problems: string[]): OidcConfig | undefined {
  const issuer = get("TETHER_OIDC_ISSUER");
  const dependents = ["TETHER_OIDC_JWKS_URL", "TETHER_OIDC_AUDIENCE", "TETHER_OIDC_PERMISSIONS_CLAIM", "TETHER_OIDC_ORG_CLAIM"];
  if (issuer === undefined) {
    // A claim or JWKS setting without an issuer is a half-done setup; say so instead of silently ignoring it.
    for (const name of dependents) if (get(name) !== undefined) problems.push(`${name} requires TETHER_OIDC_ISSUER`);
    return undefined;
  }
  checkUrl("TETHER_OIDC_ISSUER", issuer, dev, problems);
  const oidc: OidcConfig = { issuer, permissionsClaim: get("TETHER_OIDC_PERMISSIONS_CLAIM") ?? "permissions" };
  const jwksUrl = get("TETHER_OIDC_JWKS_URL");
  if (jwksUrl !== undefined && checkUrl("TETHER_OIDC_JWKS_URL", jwksUrl, dev, problems)) oidc.jwksUrl = jwksUrl;
  const audience = get("TETHER_OIDC_AUDIENCE");
  if (audience !== undefined) oidc.audience = audience;
  const orgIdClaim = get("TETHER_OIDC_ORG_CLAIM");
  if (orgIdClaim !== undefined) oidc.orgIdClaim = orgIdClaim;
  return oidc;
}
