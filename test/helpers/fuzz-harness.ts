// Wires the fuzz suite together: one server per test file, its catalog as generator context, and the final checks.
import fc from "fast-check";
import type { DescMethod } from "@bufbuild/protobuf";
import { createConnectRouter } from "@connectrpc/connect";
import { inProcess } from "./in-process.js";
import { databaseProblems } from "./fuzz-db.js";
import type { AuthKind } from "./fuzz-invariants.js";
import { startFuzzServer, type FuzzServer } from "./fuzz-server.js";
import type { FuzzContext } from "./fuzz-values.js";
import { createWireClients, type WireClients } from "./fuzz-wire.js";

/**
 * Every procedure the server's router registers (services added later, host services included, are fuzzed
 * automatically), read from an in-process app built the way the server builds it.
 */
export function routedMethods(): DescMethod[] {
  const { app, db } = inProcess();
  try {
    const router = createConnectRouter();
    app.routes(router);
    return router.handlers.map((h) => h.method);
  } finally {
    db.close();
  }
}

/**
 * The procedures the generic properties fuzz: every routed one except server streams, which stay open until the
 * client cancels (grpc.health.v1.Health/Watch), so a hung-connection check cannot tell them from a hang.
 */
export function fuzzedMethods(): DescMethod[] {
  return routedMethods().filter((m) => m.methodKind !== "server_streaming");
}

/** The unary procedures, which Connect's unary protocol and REST carry (streams use Connect's enveloped one). */
export function unaryMethods(): DescMethod[] {
  return routedMethods().filter((m) => m.methodKind === "unary");
}

/** The procedure path of an RPC. */
export function procedurePath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

/** A running server, its wire clients and the generator context. */
export interface FuzzHarness {
  server: FuzzServer;
  wire: WireClients;
  ctx: FuzzContext;
  /** Requests sent so far by this harness's properties (reported at the end). */
  sent: { count: number };
  /**
   * Checks what must hold after fuzzing: the SQLite file is consistent, nothing was logged as an
   * unexpected error, and a simple RPC still works. Then stops the server.
   */
  finish(): Promise<string[]>;
}

/** Starts a server for one fuzz test file. */
export async function startFuzzHarness(env: Record<string, string> = {}): Promise<FuzzHarness> {
  const server = await startFuzzServer(env);
  const wire = createWireClients(server.url);
  const get = async (path: string, key: string): Promise<string[]> => {
    const res = await wire.h1({ method: "GET", path, headers: { authorization: `Bearer ${server.token}` } });
    return (JSON.parse(res.body.toString("utf8")) as Record<string, string[]>)[key] ?? [];
  };
  const ctx: FuzzContext = {
    pool: server.pool,
    methods: await get("/v2/actions/executions/methods", "methods"),
    services: await get("/v2/actions/executions/services", "services"),
    functions: await get("/v2/actions/executions/functions", "functions"),
    eventTypes: ["target.added", "target.changed", "target.removed", "target.public_key.added", "execution.set", "execution.removed"],
  };
  const sent = { count: 0 };
  return {
    server,
    wire,
    ctx,
    sent,
    async finish() {
      const problems: string[] = [];
      try {
        const res = await wire.h1({ method: "GET", path: "/v2/actions/executions/functions", headers: { authorization: `Bearer ${server.token}` } });
        if (res.status !== 200) problems.push(`the server no longer answers a simple RPC: HTTP ${res.status}`);
        problems.push(...databaseProblems(server.dbPath));
        problems.push(...server.errorLogs.map((line) => `logged an error: ${line.slice(0, 500)}`));
      } finally {
        await wire.close();
        await server.stop();
      }
      console.info(`[fuzz] ${sent.count} generated requests answered`);
      return problems;
    },
  };
}

/** Headers for a fuzzed call: mostly the admin token, sometimes none or a broken one. */
export function authHeaders(token: string): fc.Arbitrary<{ auth: AuthKind; headers: Record<string, string> }> {
  return fc.oneof(
    { arbitrary: fc.constant({ auth: "admin" as const, headers: { authorization: `Bearer ${token}` } }), weight: 20 },
    { arbitrary: fc.constant({ auth: "none" as const, headers: {} }), weight: 1 },
    {
      arbitrary: fc
        .constantFrom("Bearer ", "Bearer tether_pat_nope", `bearer${token}`, `Basic ${token}`, `Bearer ${token}x`, `Bearer ${"a".repeat(8000)}`, "Bearer eyJhbGciOiJub25lIn0.e30.")
        .map((value) => ({ auth: "bad" as const, headers: { authorization: value } })),
      weight: 1,
    },
  );
}
