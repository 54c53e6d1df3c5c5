import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import type { DeliveryStore } from "../store/delivery-store.js";
import { checkId } from "../domain/target.js";
import { failedPrecondition, notFound } from "../domain/errors.js";
import type { DeliveryState } from "../domain/delivery.js";
import { paginationToProto, timestampFromDate } from "./convert-common.js";
import { deliveryAttemptToProto, deliveryQueryFromProto, deliveryToProto, retryDeadFilterFromProto } from "./convert-delivery.js";
import {
  GetDeliveryResponseSchema,
  ListDeliveriesResponseSchema,
  RetryDeadDeliveriesResponseSchema,
  RetryDeliveryResponseSchema,
  type DeliveryService,
  type GetDeliveryRequest,
  type ListDeliveriesRequest,
  type RetryDeadDeliveriesRequest,
  type RetryDeliveryRequest,
} from "../../gen/tether/v1/delivery_service_pb.js";

/** Dependencies of the Delivery Service handlers. */
export interface DeliveryServiceDeps {
  /** The outbox the worker drains. */
  deliveries: DeliveryStore;
}

/** The `tether.v1.DeliveryService` implementation: thin handlers over the delivery store. */
export function createDeliveryService(deps: DeliveryServiceDeps): ServiceImpl<typeof DeliveryService> {
  const { deliveries } = deps;
  /** The delivery with `id`, or NOT_FOUND. */
  const load = (id: string) => deliveries.get(id) ?? throwNotFound(id);
  return {
    listDeliveries(req: ListDeliveriesRequest) {
      const query = deliveryQueryFromProto(req);
      const { total, items } = deliveries.list(query);
      return create(ListDeliveriesResponseSchema, { pagination: paginationToProto(total, query.page), deliveries: items.map(deliveryToProto) });
    },
    getDelivery(req: GetDeliveryRequest) {
      const d = load(checkId("id", req.id));
      return create(GetDeliveryResponseSchema, { delivery: deliveryToProto(d), attempts: d.attemptLog.map(deliveryAttemptToProto) });
    },
    retryDelivery(req: RetryDeliveryRequest) {
      const id = checkId("id", req.id);
      load(id);
      // The store refuses delivered and in-flight jobs (read the state again: it may have changed meanwhile).
      if (!deliveries.retry(id)) throw notRetryable(id, load(id).state);
      return create(RetryDeliveryResponseSchema, { retried: true, nextAttemptDate: timestampFromDate(load(id).nextAttemptAt) });
    },
    retryDeadDeliveries(req: RetryDeadDeliveriesRequest) {
      const count = deliveries.retryDead(retryDeadFilterFromProto(req));
      return create(RetryDeadDeliveriesResponseSchema, { count: BigInt(count) });
    },
  };
}

function throwNotFound(id: string): never {
  throw notFound("delivery.not_found", `delivery ${id} not found`);
}

function notRetryable(id: string, state: DeliveryState) {
  return failedPrecondition("delivery.not_retryable", `delivery ${id} is ${state.replace("_", " ")}; only dead or pending deliveries can be retried`);
}
