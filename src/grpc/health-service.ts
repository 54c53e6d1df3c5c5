// grpc.health.v1.Health: the standard probe for load balancers, Kubernetes gRPC probes and grpc-health-probe.
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import type { HealthStatus } from "./health-status.js";

/** Dependencies of {@link createHealthService}. */
export interface HealthServiceDeps {
  status: HealthStatus;
  /** Full names of the services served; each can be checked by name, `""` stands for the whole server. */
  services: () => readonly string[];
}

/**
 * Every service shares the server's status (they share one process and one database). Per the health
 * protocol an unknown name is NOT_FOUND for Check, while Watch reports SERVICE_UNKNOWN and keeps the
 * stream open (until shutdown or the client leaves), in case the service appears later.
 */
export function createHealthService(deps: HealthServiceDeps): ServiceImpl<typeof Health> {
  const known = (service: string) => service === "" || deps.services().includes(service);
  const statusNow = () => (deps.status.serving() ? Status.SERVING : Status.NOT_SERVING);

  return {
    check(req) {
      if (!known(req.service)) throw new ConnectError(`unknown service "${req.service}"`, Code.NotFound);
      return { status: statusNow() };
    },
    async *watch(req, ctx) {
      if (!known(req.service)) {
        yield { status: Status.SERVICE_UNKNOWN };
        await deps.status.untilShutdown(ctx.signal);
        return;
      }
      for await (const serving of deps.status.watch(ctx.signal)) {
        yield { status: serving ? Status.SERVING : Status.NOT_SERVING };
      }
    },
    list() {
      const status = statusNow();
      const names = ["", ...deps.services()];
      return { statuses: Object.fromEntries(names.map((name) => [name, { status }])) };
    },
  };
}
