import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { Code, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { ActionService } from "../../gen/zitadel/action/v2/action_service_pb.js";
import { restClient, startTestTether } from "../helpers/tether-server.js";
import { testIssuer } from "../helpers/oidc-issuer.js";
import { expectCode } from "../helpers/expect-code.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const bearer = (token: string): Interceptor => (next) => (req) => {
  req.header.set("authorization", `Bearer ${token}`);
  return next(req);
};

describe("first start and restart", () => {
  it("creates admin.pat and master.key with mode 0600, then reuses them and keeps the data", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tether-start-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const first = await startTestTether({}, dataDir);
    expect(first.token).toMatch(/^tether_pat_/);
    expect(readFileSync(join(dataDir, "admin.pat"), "utf8").trim()).toBe(first.token);
    expect(statSync(join(dataDir, "admin.pat")).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, "master.key")).mode & 0o777).toBe(0o600);
    const rest = restClient(first.url, first.token);
    const created = await rest("POST", "/v2/actions/targets", '{"name":"persisted","restWebhook":{},"timeout":"1s","endpoint":"https://hooks.example.net/"}');
    const signingKey: string = created.json.signingKey;
    await first.stop(true);

    // Nothing on disk holds the signing key or the admin token in clear.
    for (const file of readdirSync(dataDir).filter((f) => f.startsWith("tether.db"))) {
      const bytes = readFileSync(join(dataDir, file));
      expect(bytes.includes(Buffer.from(signingKey)), file).toBe(false);
      expect(bytes.includes(Buffer.from(first.token!)), file).toBe(false);
    }

    const second = await startTestTether({}, dataDir);
    expect(second.token).toBeUndefined();
    const again = await restClient(second.url, first.token)("GET", `/v2/actions/targets/${created.json.id}`);
    expect(again.json.target.name).toBe("persisted");
    await second.stop(true);
  });

  it("gives back the database and its delivery lock when the port is taken, so a retry on a free port delivers", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tether-port-taken-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(0, "127.0.0.1", r));
    cleanups.push(() => new Promise<void>((r) => squatter.close(() => r())));
    const port = String((squatter.address() as { port: number }).port);
    await expect(startTestTether({ TETHER_PORT: port }, dataDir)).rejects.toThrow(/EADDRINUSE/);
    const { tryWorkerLock } = await import("../../src/store/worker-lock.js");
    const lock = tryWorkerLock({ name: join(dataDir, "tether.db"), memory: false });
    expect(lock, "the failed start released the worker lock").toBeDefined();
    lock!.release();
    const second = await startTestTether({}, dataDir);
    await second.stop(true);
  });

  it("refuses to start with a malformed master key and names the variable", async () => {
    await expect(startTestTether({ TETHER_MASTER_KEY: "too-short" })).rejects.toThrow(/TETHER_MASTER_KEY/);
  });
});

describe("OIDC access tokens", () => {
  async function issuerServer() {
    const issuer = await testIssuer({ issuer: "http://127.0.0.1" });
    const http: Server = createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(issuer.jwksJson));
    });
    http.listen(0, "127.0.0.1");
    await once(http, "listening");
    const port = (http.address() as { port: number }).port;
    cleanups.push(() => new Promise<void>((r) => http.close(() => r())));
    return { issuer, jwksUrl: `http://127.0.0.1:${port}/keys` };
  }

  it("accepts a JWT with the permission, refuses one without it, and refuses a foreign or expired one", async () => {
    const { issuer, jwksUrl } = await issuerServer();
    const server = await startTestTether({ TETHER_OIDC_ISSUER: issuer.issuer, TETHER_OIDC_JWKS_URL: jwksUrl });
    cleanups.push(() => server.stop());
    const client = (token: string) => createClient(ActionService, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", interceptors: [bearer(token)] }));

    const reader = await issuer.sign({ permissions: ["action.target.read"] });
    await expect(client(reader).listTargets({})).resolves.toBeDefined();
    const err = await expectCode(client(reader).createTarget({ name: "x" }), Code.PermissionDenied, /action\.target\.write/);
    expect(err.rawMessage).not.toContain(reader);
    const nobody = await issuer.sign({});
    await expect(client(nobody).listExecutionMethods({})).resolves.toBeDefined();
    await expectCode(client(nobody).listExecutions({}), Code.PermissionDenied);
    await expectCode(client(await issuer.sign({ permissions: ["action.target.read"] }, { iss: "https://elsewhere.test" })).listTargets({}), Code.Unauthenticated);
    await expectCode(client(await issuer.sign({ permissions: ["action.target.read"] }, { expiresIn: Math.floor(Date.now() / 1000) - 600 })).listTargets({}), Code.Unauthenticated);
  });
});

describe("the process entry point (npm start)", () => {
  it("keeps the admin token out of a piped stdout (a container log), names its file, serves, and stops cleanly on SIGTERM", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tether-main-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      env: { ...process.env, TETHER_PORT: "0", TETHER_HOST: "127.0.0.1", TETHER_DATA_DIR: dataDir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    cleanups.push(() => void child.kill("SIGKILL"));
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 20_000;
    while (!/"url":"http:\/\/127\.0\.0\.1:\d+"/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out)?.[1];
    expect(url, out).toBeDefined();
    const token = readFileSync(join(dataDir, "admin.pat"), "utf8").trim();
    // stdout is a pipe here, as in a container: the token would stay in the log, so only its file is named.
    expect(out).not.toContain(token);
    expect(out).toContain("created the admin personal access token; read it from the file");
    const res = await restClient(url!, token)("GET", "/v2/actions/executions/services");
    expect(res.status).toBe(200);
    child.kill("SIGTERM");
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(0);
  });

  it("exits with a clear message for bad configuration", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { env: { ...process.env, TETHER_PORT: "nope" }, stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(2);
    expect(err).toMatch(/TETHER_PORT/);
  });
});
