import { Code, ConnectError } from "@connectrpc/connect";
import { FUNCTION_NAMES } from "../domain/condition.js";
import type { ExecutionRouter } from "./router.js";
import type { Dispatcher } from "./dispatch.js";

/** Runs a function execution; see {@link createFunctionRunner}. */
export type RunFunction = (name: string, payload: Record<string, unknown>, options?: { signal?: AbortSignal }) => Promise<Record<string, unknown>>;

/**
 * Creates `runFunction(name, payload)`: resolves `function/<name>` and calls its targets in order with
 * `{"function":"function/<name>", …payload, "response": <accumulated>}`. A rest_call's 2xx body must be a
 * JSON object; its top-level fields overwrite the accumulated response (later targets win). Returns the
 * accumulated response ({} when no execution matches). Interrupting failures throw a ConnectError.
 */
export function createFunctionRunner(deps: { router: ExecutionRouter; dispatcher: Dispatcher }): RunFunction {
  return async (name, payload, options = {}) => {
    if (!FUNCTION_NAMES.includes(name)) throw new ConnectError(`unknown function ${JSON.stringify(name)}`, Code.InvalidArgument);
    const route = deps.router.forFunction(name);
    if (!route) return {};
    const executionId = `function/${name}`;
    return deps.dispatcher.run<Record<string, unknown>>({
      executionId: route.executionId,
      targetIds: route.targets,
      state: {},
      render: (response) => ({ function: executionId, ...payload, ...(Object.keys(response).length > 0 ? { response } : {}) }),
      apply: (response, body) => ({ ...response, ...parseObject(body) }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  };
}

function parseObject(body: Uint8Array): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body).toString("utf8"));
  } catch {
    throw new ConnectError("function target answered with a body that is not valid JSON", Code.FailedPrecondition);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new ConnectError("function target answered with JSON that is not an object", Code.FailedPrecondition);
  return parsed as Record<string, unknown>;
}
