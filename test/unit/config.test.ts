import { describe, expect, it } from "vitest";
import { ConfigError, configVariables, loadConfig } from "../../src/config.js";

function problemsOf(env: Record<string, string | undefined>): readonly string[] {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error("loadConfig should have thrown");
}

describe("loadConfig", () => {
  it("applies every default on an empty environment", () => {
    expect(loadConfig({})).toEqual({
      port: 8080,
      host: "0.0.0.0",
      dataDir: "./data",
      instanceId: "tether",
      dev: false,
      logLevel: "info",
      readMaxBytes: 4194304,
      jwtAlg: "ES256",
      executions: true,
      reflection: true,
      retention: { deliveredMs: 168 * 3600_000, deadMs: 720 * 3600_000 },
    });
  });

  it("reads every variable", () => {
    const config = loadConfig({
      TETHER_PORT: "0",
      TETHER_HOST: "127.0.0.1",
      TETHER_DATA_DIR: "/var/lib/tether",
      TETHER_MASTER_KEY: "k".repeat(44),
      TETHER_INSTANCE_ID: "prod-1",
      TETHER_DEV: "TRUE",
      TETHER_LOG_LEVEL: "debug",
      TETHER_OIDC_ISSUER: "https://example.zitadel.cloud",
      TETHER_OIDC_JWKS_URL: "https://example.zitadel.cloud/keys",
      TETHER_OIDC_AUDIENCE: "123@tether",
      TETHER_OIDC_PERMISSIONS_CLAIM: "urn:zitadel:iam:org:project:roles",
      TETHER_OIDC_ORG_CLAIM: "org",
      TETHER_READ_MAX_BYTES: "1024",
      TETHER_JWT_ALG: "rs256",
      TETHER_EXECUTIONS: "OFF",
      TETHER_REFLECTION: "off",
      TETHER_DELIVERED_RETENTION_HOURS: "24",
      TETHER_DEAD_RETENTION_HOURS: "0",
    });
    expect(config).toEqual({
      port: 0,
      host: "127.0.0.1",
      dataDir: "/var/lib/tether",
      masterKey: "k".repeat(44),
      instanceId: "prod-1",
      dev: true,
      logLevel: "debug",
      readMaxBytes: 1024,
      jwtAlg: "RS256",
      executions: false,
      reflection: false,
      retention: { deliveredMs: 24 * 3600_000, deadMs: 0 },
      oidc: {
        issuer: "https://example.zitadel.cloud",
        jwksUrl: "https://example.zitadel.cloud/keys",
        audience: "123@tether",
        permissionsClaim: "urn:zitadel:iam:org:project:roles",
        orgIdClaim: "org",
      },
    });
  });

  it("treats empty values as unset", () => {
    expect(loadConfig({ TETHER_PORT: "", TETHER_MASTER_KEY: "", TETHER_OIDC_ISSUER: " " })).toEqual(loadConfig({}));
  });

  it("accepts 0/1 and false for TETHER_DEV", () => {
    expect(loadConfig({ TETHER_DEV: "1" }).dev).toBe(true);
    expect(loadConfig({ TETHER_DEV: "0" }).dev).toBe(false);
    expect(loadConfig({ TETHER_DEV: "false" }).dev).toBe(false);
  });

  it("lists every bad variable at once with a clear message", () => {
    const problems = problemsOf({
      TETHER_PORT: "abc",
      TETHER_DEV: "maybe",
      TETHER_LOG_LEVEL: "loud",
      TETHER_READ_MAX_BYTES: "-1",
      TETHER_INSTANCE_ID: "x".repeat(201),
      TETHER_OIDC_ISSUER: "not a url",
      TETHER_JWT_ALG: "HS256",
      TETHER_EXECUTIONS: "disabled",
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'TETHER_PORT must be an integer 0-65535, got "abc"',
        'TETHER_DEV must be true, false, 1 or 0, got "maybe"',
        expect.stringMatching(/^TETHER_LOG_LEVEL must be one of fatal, error, warn, info.*got "loud"$/),
        expect.stringMatching(/^TETHER_READ_MAX_BYTES must be an integer 1-\d+, got "-1"$/),
        expect.stringMatching(/^TETHER_INSTANCE_ID must be 1-200/),
        'TETHER_OIDC_ISSUER must be an absolute URL, got "not a url"',
        'TETHER_JWT_ALG must be ES256 or RS256, got "HS256"',
        'TETHER_EXECUTIONS must be on or off (or true/false, 1/0), got "disabled"',
      ]),
    );
    expect(problems).toHaveLength(8);
  });

  it("puts one problem per line in the error message", () => {
    expect(() => loadConfig({ TETHER_PORT: "70000", TETHER_HOST: "::", TETHER_DEV: "2" })).toThrow(
      /^ {2}- TETHER_PORT must be an integer 0-65535, got "70000"\n {2}- TETHER_DEV/,
    );
  });

  it("switches executions with on/off or the boolean spellings, in any case (the break-glass setting)", () => {
    expect(loadConfig({ TETHER_EXECUTIONS: "on" }).executions).toBe(true);
    expect(loadConfig({ TETHER_EXECUTIONS: " Off " }).executions).toBe(false);
    expect(loadConfig({ TETHER_EXECUTIONS: "" }).executions).toBe(true);
    for (const value of ["false", "0", "FALSE"]) expect(loadConfig({ TETHER_EXECUTIONS: value }).executions).toBe(false);
    for (const value of ["true", "1"]) expect(loadConfig({ TETHER_EXECUTIONS: value }).executions).toBe(true);
    for (const value of ["no", "disabled", "2"]) {
      expect(problemsOf({ TETHER_EXECUTIONS: value })).toEqual([`TETHER_EXECUTIONS must be on or off (or true/false, 1/0), got ${JSON.stringify(value)}`]);
    }
  });

  it("rejects non-digit port spellings", () => {
    for (const port of ["1e3", "0x50", "80.0", "+80"]) expect(problemsOf({ TETHER_PORT: port })).toHaveLength(1);
  });

  it("requires https for the OIDC issuer except for loopback or in dev mode", () => {
    expect(problemsOf({ TETHER_OIDC_ISSUER: "http://idp.example.com" })[0]).toMatch(/TETHER_OIDC_ISSUER must be an https URL/);
    expect(loadConfig({ TETHER_OIDC_ISSUER: "http://127.0.0.1:9000" }).oidc?.issuer).toBe("http://127.0.0.1:9000");
    expect(loadConfig({ TETHER_OIDC_ISSUER: "http://idp.example.com", TETHER_DEV: "1" }).oidc?.issuer).toBe("http://idp.example.com");
  });

  it("rejects OIDC settings without an issuer instead of ignoring them", () => {
    expect(problemsOf({ TETHER_OIDC_AUDIENCE: "x", TETHER_OIDC_JWKS_URL: "https://a/keys" })).toEqual([
      "TETHER_OIDC_JWKS_URL requires TETHER_OIDC_ISSUER",
      "TETHER_OIDC_AUDIENCE requires TETHER_OIDC_ISSUER",
    ]);
  });

  it("defaults the OIDC permissions claim to `permissions`", () => {
    expect(loadConfig({ TETHER_OIDC_ISSUER: "https://idp.example.com" }).oidc).toEqual({
      issuer: "https://idp.example.com",
      permissionsClaim: "permissions",
    });
  });

  it("never echoes the master key in errors", () => {
    const secret = "super-secret-master-key-value";
    const problems = problemsOf({ TETHER_MASTER_KEY: secret, TETHER_PORT: "x" });
    expect(problems.join("\n")).not.toContain(secret);
  });

  it("keeps delivered jobs 7 days and dead ones 30 days unless told otherwise; 0 keeps them for ever", () => {
    expect(loadConfig({}).retention).toEqual({ deliveredMs: 168 * 3600_000, deadMs: 720 * 3600_000 });
    expect(loadConfig({ TETHER_DELIVERED_RETENTION_HOURS: "0", TETHER_DEAD_RETENTION_HOURS: "24" }).retention).toEqual({ deliveredMs: 0, deadMs: 24 * 3600_000 });
    expect(problemsOf({ TETHER_DELIVERED_RETENTION_HOURS: "7d", TETHER_DEAD_RETENTION_HOURS: "-1" })).toEqual([
      'TETHER_DELIVERED_RETENTION_HOURS must be an integer 0-87600, got "7d"',
      'TETHER_DEAD_RETENTION_HOURS must be an integer 0-87600, got "-1"',
    ]);
  });

  it("documents every variable it reads", () => {
    const names = configVariables.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain("TETHER_MASTER_KEY");
    expect(names).toContain("TETHER_EXECUTIONS");
    expect(names).toHaveLength(18);
    expect(configVariables.find((v) => v.name === "TETHER_EXECUTIONS")?.default).toBe("on");
    for (const v of configVariables) expect(v.description.length).toBeGreaterThan(10);
  });
});
