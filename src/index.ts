// Tether as a library: run the server in-process with your own services, or wire the execution
// engine into your own Connect server; plus helpers for target receivers.

/** Start a full server (Action Service + your services on one port) from a config. */
export { startTether, type StartOptions, type RunningTether } from "./tether.js";
export { loadConfig, ConfigError, configVariables, type Config } from "./config.js";
export { createLogger } from "./log.js";
export { openDatabase, type Db } from "./store/db.js";

/** Build the app yourself (stores, services, interceptors) and mount it on your own server. */
export { createTetherApp, type TetherApp, type TetherAppDeps } from "./app.js";
export { hostService, type HostService } from "./routes.js";
export { createHttpHandler } from "./handler.js";
export { startServer } from "./server.js";

/** The execution engine and its pieces. */
export { createExecutionEngine, type ExecutionEngine, type ExecutionEngineDeps } from "./execution/engine.js";
export { createExecutionInterceptor, type ExecutionInterceptorOptions } from "./execution/interceptor.js";
export { createExecutionRouter, type ExecutionRouter } from "./execution/router.js";
export { createDispatcher, type Dispatcher, type TargetCallReport } from "./execution/dispatch.js";
export { createFunctionRunner, type RunFunction } from "./execution/functions.js";
export { createTargetHttpClient, type TargetHttpClient, type CallOutcome } from "./execution/http-client.js";

/** Observability: the per-app Prometheus metrics (`app.metrics`, served at `GET /metrics`) and the RPC/target spans. */
export { createTetherMetrics, type TetherMetrics, type TetherMetricsDeps } from "./observability/metrics.js";
export { createRpcTelemetryInterceptor, type RpcTelemetryOptions } from "./observability/rpc-telemetry.js";
export { metricsRoute } from "./extra-routes.js";

/** Receiver side: verify what Tether (or ZITADEL) sends to your target. */
export { verifySignature, verifyLegacySignature, type SignatureVerification } from "./receiver/verify-signature.js";
export { verifyJwtPayload, decryptJwePayload, decryptAndVerify, createJwtPayloadVerifier } from "./receiver/jwt.js";
