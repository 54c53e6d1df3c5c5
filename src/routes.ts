import type { ConnectRouter, ServiceImpl } from "@connectrpc/connect";
import type { DescService } from "@bufbuild/protobuf";
import { ActionService } from "../gen/zitadel/action/v2/action_service_pb.js";

/** Every service this server mounts; conditions may name their methods (ListExecutionMethods/Services). */
export const MOUNTED_SERVICES: readonly DescService[] = [ActionService];

/** The service implementations to register. */
export interface ServiceImpls {
  action: ServiceImpl<typeof ActionService>;
}

/** The one place services are registered on a Connect router. */
export function registerServices(impls: ServiceImpls): (router: ConnectRouter) => void {
  return (router) => {
    router.service(ActionService, impls.action);
  };
}
