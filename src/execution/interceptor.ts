import { fromJson, toJson, type DescMessage, type JsonValue, type Message, type Registry } from "@bufbuild/protobuf";
import type { ContextValues, Interceptor, UnaryRequest, UnaryResponse } from "@connectrpc/connect";
import { callerKey } from "../auth/caller.js";
import type { ExecutionRouter } from "./router.js";
import type { Dispatcher } from "./dispatch.js";
import { forwardedHeaders, requestPayload, responsePayload, type PayloadContext } from "./payload.js";

/** The identity a payload reports for the current caller. */
export type IdentityOf = (values: ContextValues) => Omit<PayloadContext, "instanceID">;

/** Options of {@link createExecutionInterceptor}. */
export interface ExecutionInterceptorOptions {
  router: ExecutionRouter;
  dispatcher: Dispatcher;
  /** Reported as `instanceID`. */
  instanceId: string;
  /** Who is calling (default: the caller Tether's auth interceptor stored; nothing when there is none). */
  identity?: IdentityOf;
  /** Registry for `google.protobuf.Any` fields in payloads, if the services use them. */
  registry?: Registry;
}

const tetherIdentity: IdentityOf = (values) => {
  const caller = values.get(callerKey);
  return caller ? { userID: caller.userId, orgID: caller.orgId, projectID: caller.projectId } : {};
};

/**
 * Fires request executions before the handler and response executions after it, for every unary RPC,
 * by full method name. A request target with interrupt stops the call before the handler runs; a
 * response target with interrupt turns a committed change into an error for the caller (as upstream).
 * Streaming calls pass through untouched.
 */
export function createExecutionInterceptor(options: ExecutionInterceptorOptions): Interceptor {
  const identityOf = options.identity ?? tetherIdentity;
  const json = options.registry ? { registry: options.registry } : {};

  return (next) => async (req) => {
    if (req.stream) return next(req);
    const fullMethod = `/${req.service.typeName}/${req.method.name}`;
    const { request: requestRoute, response: responseRoute } = options.router.forCall(fullMethod);
    if (!requestRoute && !responseRoute) return next(req); // the hot path: one freshness check, a few map reads

    const ctx: PayloadContext = { instanceID: options.instanceId, ...identityOf(req.contextValues) };
    const headers = forwardedHeaders((name) => req.header.get(name) ?? (name === "host" ? hostOf(req.url) : null));
    let request = req as UnaryRequest;
    if (requestRoute) {
      const schema = req.method.input as DescMessage;
      const message = await options.dispatcher.run<Message>({
        executionId: requestRoute.executionId,
        targetIds: requestRoute.targets,
        state: req.message as Message,
        render: (m) => requestPayload(fullMethod, ctx, toJson(schema, m, json), headers),
        apply: (_m, body) => fromJson(schema, parseJson(body), json),
        signal: req.signal,
      });
      request = { ...req, message } as UnaryRequest;
    }
    const res = (await next(request)) as UnaryResponse;
    if (!responseRoute) return res;
    const inSchema = req.method.input as DescMessage;
    const outSchema = req.method.output as DescMessage;
    const requestJson = toJson(inSchema, request.message as Message, json);
    const message = await options.dispatcher.run<Message>({
      executionId: responseRoute.executionId,
      targetIds: responseRoute.targets,
      state: res.message as Message,
      render: (m) => responsePayload(fullMethod, ctx, requestJson, toJson(outSchema, m, json), headers),
      apply: (_m, body) => fromJson(outSchema, parseJson(body), json),
      signal: req.signal,
    });
    return { ...res, message } as typeof res;
  };
}

function parseJson(body: Uint8Array): JsonValue {
  return JSON.parse(Buffer.from(body).toString("utf8")) as JsonValue;
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).host || null;
  } catch {
    return null;
  }
}
