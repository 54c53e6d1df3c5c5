import { create } from "@bufbuild/protobuf";
import { DurationSchema, type Duration, type Timestamp } from "@bufbuild/protobuf/wkt";
import { invalidArgument } from "../domain/errors.js";
import { checkId } from "../domain/target.js";
import type { Delivery, DeliveryAttempt, DeliveryState as DomainDeliveryState } from "../domain/delivery.js";
import type { DeliveryQuery } from "../store/delivery-store.js";
import { checkEnum, dateFromTimestamp, pageFromProto, timestampFromDate } from "./convert-common.js";
import {
  DeliveryAttemptSchema,
  DeliveryKind,
  DeliverySchema,
  DeliveryState,
  type Delivery as ProtoDelivery,
  type DeliveryAttempt as ProtoDeliveryAttempt,
  type ListDeliveriesRequest,
  type RetryDeadDeliveriesRequest,
} from "../../gen/tether/v1/delivery_service_pb.js";

const STATE_FROM_PROTO: Record<Exclude<DeliveryState, DeliveryState.UNSPECIFIED>, DomainDeliveryState> = {
  [DeliveryState.PENDING]: "pending",
  [DeliveryState.IN_FLIGHT]: "in_flight",
  [DeliveryState.DELIVERED]: "delivered",
  [DeliveryState.DEAD]: "dead",
};
const STATE_TO_PROTO: Record<DomainDeliveryState, DeliveryState> = {
  pending: DeliveryState.PENDING,
  in_flight: DeliveryState.IN_FLIGHT,
  delivered: DeliveryState.DELIVERED,
  dead: DeliveryState.DEAD,
};
const KIND_TO_PROTO: Record<Delivery["kind"], DeliveryKind> = { event: DeliveryKind.EVENT, async: DeliveryKind.ASYNC };

/** A creation-time window: `created_after` inclusive, `created_before` exclusive; an inverted window is INVALID_ARGUMENT. */
function windowFromProto(after: Timestamp | undefined, before: Timestamp | undefined): { from?: Date; to?: Date } {
  const from = after && dateFromTimestamp("created_after", after);
  const to = before && dateFromTimestamp("created_before", before);
  if (from && to && from.getTime() > to.getTime()) throw invalidArgument("created_after", "must not be later than created_before");
  return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
}

/** An optional id filter: empty means no filter, anything else must be a valid id. */
function optionalId(field: string, id: string): string | undefined {
  return id === "" ? undefined : checkId(field, id);
}

function statesFromProto(states: readonly DeliveryState[]): DomainDeliveryState[] {
  return [
    ...new Set(
      states.map((s, i) => {
        checkEnum(`states[${i}]`, s, DeliveryState);
        if (s === DeliveryState.UNSPECIFIED) throw invalidArgument(`states[${i}]`, "must not be DELIVERY_STATE_UNSPECIFIED");
        return STATE_FROM_PROTO[s];
      }),
    ),
  ];
}

/** Validates a ListDeliveriesRequest into a store query. */
export function deliveryQueryFromProto(req: ListDeliveriesRequest): DeliveryQuery {
  const page = pageFromProto(req.pagination);
  const targetId = optionalId("target_id", req.targetId);
  const { from, to } = windowFromProto(req.createdAfter, req.createdBefore);
  const query: DeliveryQuery = { page, states: statesFromProto(req.states) };
  if (targetId !== undefined) query.targetId = targetId;
  if (req.eventType !== "") query.eventType = req.eventType;
  if (from) query.createdFrom = from;
  if (to) query.createdTo = to;
  return query;
}

/** Validates a RetryDeadDeliveriesRequest into the store's filter (no field set means every dead delivery). */
export function retryDeadFilterFromProto(req: RetryDeadDeliveriesRequest): { targetId?: string; from?: Date; to?: Date } {
  const targetId = optionalId("target_id", req.targetId);
  return { ...(targetId !== undefined ? { targetId } : {}), ...windowFromProto(req.createdAfter, req.createdBefore) };
}

/** A stored delivery as the proto message; the payload and the snapshot's sealed signing keys are left out. */
export function deliveryToProto(d: Delivery): ProtoDelivery {
  return create(DeliverySchema, {
    id: d.id,
    kind: KIND_TO_PROTO[d.kind],
    executionId: d.executionId,
    targetId: d.target.id,
    targetName: d.target.name,
    endpoint: d.target.endpoint,
    eventType: d.eventType ?? "",
    eventPosition: BigInt(d.eventPosition ?? 0),
    state: STATE_TO_PROTO[d.state],
    attempts: d.attempts,
    // Only a pending job has a meaningful due time; the column keeps the last schedule otherwise.
    nextAttemptDate: d.state === "pending" ? timestampFromDate(d.nextAttemptAt) : undefined,
    creationDate: timestampFromDate(d.createdAt),
    changeDate: timestampFromDate(d.updatedAt),
    lastStatus: d.lastStatus ?? 0,
    lastError: d.lastError ?? "",
  });
}

/** A latency in (fractional) milliseconds as a Duration, kept to whole nanoseconds. */
function latencyToProto(ms: number): Duration {
  const totalNanos = BigInt(Math.round(Math.max(0, ms) * 1_000_000));
  return create(DurationSchema, { seconds: totalNanos / 1_000_000_000n, nanos: Number(totalNanos % 1_000_000_000n) });
}

/** A recorded attempt as the proto message. */
export function deliveryAttemptToProto(a: DeliveryAttempt): ProtoDeliveryAttempt {
  return create(DeliveryAttemptSchema, {
    attempt: a.attempt,
    startDate: timestampFromDate(a.startedAt),
    latency: latencyToProto(a.latencyMs),
    outcome: a.outcome,
    statusCode: a.status ?? 0,
    error: a.error ?? "",
    responseBody: a.responseBody ?? "",
  });
}
