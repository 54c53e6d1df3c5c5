// Health and reflection: public infrastructure next to the API. They are registered with their own
// interceptor list, which connect-es lets a service use instead of the router's: so no token is asked
// for and no execution fires for them (an "all" execution with a dead target must not fail a health
// probe), whatever the router's chain holds. They are not in mountedServices either, so conditions
// cannot name them and the REST gateway does not serve them.
import type { DescService } from "@bufbuild/protobuf";
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { ServerReflection as ServerReflectionV1 } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { createDescriptorIndex, type DescriptorIndex } from "./descriptor-index.js";
import { createHealthService } from "./health-service.js";
import type { HealthStatus } from "./health-status.js";
import { createReflectionServiceV1, createReflectionServiceV1alpha } from "./reflection.js";

/** Options of {@link registerPublicServices}. */
export interface PublicServicesOptions {
  /** The serving state reported by the health service. */
  health: HealthStatus;
  /** Interceptors these services run behind instead of the router's (error mapping; never auth or executions). */
  interceptors: readonly Interceptor[];
  /** False leaves reflection out (it publishes every mounted schema, host services included); default true. */
  reflection?: boolean;
}

/**
 * Registers `grpc.health.v1.Health` and both reflection versions. Register them last: they report every
 * service on the router, read from the router itself when asked, so services added later show up too.
 */
export function registerPublicServices(router: ConnectRouter, options: PublicServicesOptions): void {
  const services = routerServices(router);
  const names = () => services().map((s) => s.typeName);
  const index = memoized(services, createDescriptorIndex);
  const handlerOptions = { interceptors: [...options.interceptors] };
  router.service(Health, createHealthService({ status: options.health, services: names }), handlerOptions);
  if (options.reflection === false) return;
  router.service(ServerReflectionV1, createReflectionServiceV1(index), handlerOptions);
  router.service(ServerReflectionV1alpha, createReflectionServiceV1alpha(index), handlerOptions);
}

/** The distinct services of the router's handlers, in registration order; the same array until one is added. */
function routerServices(router: ConnectRouter): () => readonly DescService[] {
  let seen = -1;
  let services: readonly DescService[] = [];
  return () => {
    if (router.handlers.length !== seen) {
      seen = router.handlers.length;
      services = [...new Map(router.handlers.map((h) => [h.service.typeName, h.service])).values()];
    }
    return services;
  };
}

function memoized(services: () => readonly DescService[], build: (s: readonly DescService[]) => DescriptorIndex): () => DescriptorIndex {
  let from: readonly DescService[] | undefined;
  let index: DescriptorIndex | undefined;
  return () => {
    const current = services();
    if (current !== from || !index) {
      index = build(current);
      from = current;
    }
    return index;
  };
}
