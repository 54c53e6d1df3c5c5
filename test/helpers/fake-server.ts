import { ActionService } from "../../gen/zitadel/action/v2/action_service_pb.js";
import { createHttpHandler } from "../../src/handler.js";
import { startServer, type ServerOptions } from "../../src/server.js";
import { createFakeActionService, createHeaderRecorder } from "./fake-action-service.js";

/** The request size limit of {@link startFakeServer}, small so oversize tests stay cheap. */
export const FAKE_LIMIT = 64 * 1024;

/** The real handler and server (127.0.0.1, port 0) over the fake ActionService, with a header-recording interceptor. */
export async function startFakeServer(serverOptions: Partial<Omit<ServerOptions, "handler">> = {}) {
  const fake = createFakeActionService();
  const recorder = createHeaderRecorder();
  const handler = createHttpHandler({
    routes: (router) => router.service(ActionService, fake.impl),
    interceptors: [recorder.interceptor],
    services: [ActionService],
    readMaxBytes: FAKE_LIMIT,
    extraRoutes: [{ method: "GET", path: "/healthz", handle: (_req, res) => void res.end("ok\n") }],
  });
  const server = await startServer({ port: 0, host: "127.0.0.1", handler, ...serverOptions });
  return { fake, recorder, server };
}

/** One REST call over HTTP/1.1 (Node fetch); `json` is set for application/json responses. */
export async function restCall(baseUrl: string, method: string, path: string, body?: string | Uint8Array, headers: Record<string, string> = {}) {
  const res = await fetch(`${baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  const json = res.headers.get("content-type") === "application/json" ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  return { status: res.status, text, json, headers: res.headers };
}
