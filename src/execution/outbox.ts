import type { StoredEvent } from "../domain/events.js";
import type { TargetSnapshot } from "../domain/delivery.js";
import type { Clock } from "../domain/clock.js";
import type { TargetStore } from "../store/target-store.js";
import type { PublicKeyStore } from "../store/public-key-store.js";
import type { DeliveryStore } from "../store/delivery-store.js";
import type { ExecutionRouter } from "./router.js";
import { goJson } from "./payload.js";

/** Writes delivery jobs: for matching events (inside the event's transaction) and for rest_async calls. */
export interface Outbox {
  /** Enqueues one job per target of the best-matching event execution; call inside the event's transaction. */
  onEvent(event: StoredEvent): void;
  /** Enqueues a rest_async call of a request/response execution. */
  enqueueAsync(targetId: string, executionId: string, payloadJson: string): void;
}

/** Dependencies of {@link createOutbox}. */
export interface OutboxDeps {
  router: ExecutionRouter;
  targets: TargetStore;
  publicKeys: PublicKeyStore;
  deliveries: DeliveryStore;
  clock: Clock;
  instanceId: string;
  /** Called after each enqueue (the worker is woken once the transaction commits). */
  onEnqueued?: () => void;
}

/** The event payload in upstream's shape (`ContextInfoEvent`): mixed key casing, raw event JSON. */
export function eventPayload(e: StoredEvent, instanceId: string): Record<string, unknown> {
  return {
    aggregateID: e.aggregateId,
    aggregateType: e.aggregateType,
    resourceOwner: e.resourceOwner,
    instanceID: instanceId,
    version: "v1",
    sequence: e.sequence,
    event_type: e.type,
    created_at: e.createdAt.toISOString(),
    ...(e.creator !== "" ? { userID: e.creator } : {}),
    event_payload: e.payload,
  };
}

/**
 * A target as a delivery job remembers it: its settings now, its valid signing keys still sealed, and the
 * id of its active public key (JWE). Undefined when the target does not exist.
 */
export function snapshotTarget(deps: Pick<OutboxDeps, "targets" | "publicKeys">, targetId: string, now: Date): TargetSnapshot | undefined {
  const t = deps.targets.find(targetId);
  if (!t) return undefined;
  const snap: TargetSnapshot = {
    id: t.id,
    name: t.name,
    type: t.type,
    endpoint: t.endpoint,
    timeoutMs: t.timeoutMs,
    payloadType: t.payloadType,
    sealedSigningKeys: deps.targets.sealedSigningKeys(t.id, now),
  };
  const key = t.payloadType === "jwe" ? deps.publicKeys.activeKey(t.id, now) : undefined;
  if (key) snap.publicKeyId = key.id;
  return snap;
}

/** Creates the outbox writer. */
export function createOutbox(deps: OutboxDeps): Outbox {
  const snapshot = (targetId: string) => snapshotTarget(deps, targetId, deps.clock());

  return {
    onEvent(event) {
      const route = deps.router.forEvent(event.type);
      if (!route) return;
      const payload = goJson(eventPayload(event, deps.instanceId));
      for (const targetId of route.targets) {
        const target = snapshot(targetId);
        if (!target) continue;
        deps.deliveries.enqueue({
          kind: "event",
          executionId: route.executionId,
          target,
          payload,
          eventType: event.type,
          eventPosition: event.position,
          orderingKey: `${event.aggregateType}/${event.aggregateId}`,
        });
        deps.onEnqueued?.();
      }
    },
    enqueueAsync(targetId, executionId, payloadJson) {
      const target = snapshot(targetId);
      if (!target) return;
      deps.deliveries.enqueue({ kind: "async", executionId, target, payload: payloadJson });
      deps.onEnqueued?.();
    },
  };
}
