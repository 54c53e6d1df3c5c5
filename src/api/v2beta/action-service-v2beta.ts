import type { DescMessage, DescMethodUnary, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { ActionService } from "../../../gen/zitadel/action/v2/action_service_pb.js";
import { ActionService as ActionServiceV2beta } from "../../../gen/zitadel/action/v2beta/action_service_pb.js";
import { checkV2betaEndpoint } from "./limits.js";
import { reinterpret } from "./reinterpret.js";

type V2Impl = ServiceImpl<typeof ActionService>;

/** The v2 handler one v2beta RPC is served by. */
type V2Handler<I extends DescMessage, O extends DescMessage> = (req: MessageShape<I>, ctx: HandlerContext) => Promise<MessageInitShape<O>> | MessageInitShape<O>;

/** Serves one v2beta RPC by its v2 namesake: request in as v2, response back as v2beta, same context. */
function bridge<BI extends DescMessage, BO extends DescMessage, VI extends DescMessage, VO extends DescMessage>(
  beta: DescMethodUnary<BI, BO>,
  v2: DescMethodUnary<VI, VO>,
  handle: V2Handler<VI, VO>,
  check: (req: MessageShape<BI>) => void = () => {},
) {
  return async (req: MessageShape<BI>, ctx: HandlerContext): Promise<MessageShape<BO>> => {
    check(req);
    return reinterpret(v2.output, beta.output, await handle(reinterpret(beta.input, v2.input, req), ctx));
  };
}

/**
 * The `zitadel.action.v2beta.ActionService` (what @zitadel/proto and @zitadel/client 1.3.1 speak) served by the
 * v2 implementation, so validation, errors, events and storage are the same. v2beta has no public-key RPCs and
 * no `payload_type` (targets it creates get JSON; updates leave the type alone; reads do not show it).
 */
export function createActionServiceV2beta(v2: V2Impl): ServiceImpl<typeof ActionServiceV2beta> {
  const B = ActionServiceV2beta.method;
  const V = ActionService.method;
  // Each v2 handler is called as a method of `v2`, so an implementation written as a class keeps its `this`.
  return {
    createTarget: bridge(B.createTarget, V.createTarget, (r, c) => v2.createTarget(r, c), (r) => checkV2betaEndpoint(r.endpoint)),
    updateTarget: bridge(B.updateTarget, V.updateTarget, (r, c) => v2.updateTarget(r, c), (r) => checkV2betaEndpoint(r.endpoint)),
    deleteTarget: bridge(B.deleteTarget, V.deleteTarget, (r, c) => v2.deleteTarget(r, c)),
    getTarget: bridge(B.getTarget, V.getTarget, (r, c) => v2.getTarget(r, c)),
    listTargets: bridge(B.listTargets, V.listTargets, (r, c) => v2.listTargets(r, c)),
    setExecution: bridge(B.setExecution, V.setExecution, (r, c) => v2.setExecution(r, c)),
    listExecutions: bridge(B.listExecutions, V.listExecutions, (r, c) => v2.listExecutions(r, c)),
    listExecutionFunctions: bridge(B.listExecutionFunctions, V.listExecutionFunctions, (r, c) => v2.listExecutionFunctions(r, c)),
    listExecutionMethods: bridge(B.listExecutionMethods, V.listExecutionMethods, (r, c) => v2.listExecutionMethods(r, c)),
    listExecutionServices: bridge(B.listExecutionServices, V.listExecutionServices, (r, c) => v2.listExecutionServices(r, c)),
  };
}
