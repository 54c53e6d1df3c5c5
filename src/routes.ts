import type { ConnectRouter, ServiceImpl } from "@connectrpc/connect";
import type { DescService } from "@bufbuild/protobuf";
import { ActionService } from "../gen/zitadel/action/v2/action_service_pb.js";
import { ActionService as ActionServiceV2beta } from "../gen/zitadel/action/v2beta/action_service_pb.js";
import { DeliveryService } from "../gen/tether/v1/delivery_service_pb.js";
import { createActionServiceV2beta } from "./api/v2beta/action-service-v2beta.js";
import { registerPublicServices, type PublicServicesOptions } from "./grpc/public-services.js";

/** A host application's own service, mounted next to the Action Service and wrapped by the same interceptors. */
export interface HostService {
  service: DescService;
  register(router: ConnectRouter): void;
}

/** Pairs a service descriptor with its implementation for {@link registerServices}. */
export function hostService<S extends DescService>(service: S, impl: Partial<ServiceImpl<S>>): HostService {
  return { service, register: (router) => void router.service(service, impl) };
}

/**
 * The services a server mounts (their REST paths are served too): the Action Service in v2 and in v2beta
 * (for the published SDK), Tether's Delivery Service, then the host's.
 */
export function mountedServices(host: readonly HostService[] = []): readonly DescService[] {
  return [ActionService, ActionServiceV2beta, DeliveryService, ...host.map((h) => h.service)];
}

/** The service implementations to register. */
export interface ServiceImpls {
  action: ServiceImpl<typeof ActionService>;
  /** Tether's `tether.v1.DeliveryService`; registered when present. */
  deliveries?: ServiceImpl<typeof DeliveryService>;
  host?: readonly HostService[];
  /** Health and reflection, served without auth or executions (see grpc/public-services.ts); registered when present. */
  publicServices?: PublicServicesOptions;
}

/** The one place services are registered on a Connect router. */
export function registerServices(impls: ServiceImpls): (router: ConnectRouter) => void {
  return (router) => {
    router.service(ActionService, impls.action);
    // Always derived from the v2 implementation, so v2beta can never be mounted without handlers or drift from v2.
    router.service(ActionServiceV2beta, createActionServiceV2beta(impls.action));
    if (impls.deliveries) router.service(DeliveryService, impls.deliveries);
    for (const h of impls.host ?? []) h.register(router);
    // Health and reflection read the router's services when asked, so they cover every service here.
    if (impls.publicServices) registerPublicServices(router, impls.publicServices);
  };
}
