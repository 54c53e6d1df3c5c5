/** Event types Tether itself writes; each state change appends exactly one of these. */
export const BUILTIN_EVENT_TYPES = [
  "target.added",
  "target.changed",
  "target.removed",
  "target.public_key.added",
  "target.public_key.activated",
  "target.public_key.deactivated",
  "target.public_key.removed",
  "execution.set",
  "execution.removed",
] as const;

/** One of Tether's own event types. */
export type BuiltinEventType = (typeof BUILTIN_EVENT_TYPES)[number];

/** Who made a change: recorded as the event's creator and resource owner. */
export interface Actor {
  userId: string;
  /** The caller's organisation, when known; otherwise the instance owns the event. */
  orgId?: string;
}

/** An event as stored. */
export interface StoredEvent {
  position: number;
  type: string;
  aggregateType: string;
  aggregateId: string;
  sequence: number;
  creator: string;
  resourceOwner: string;
  payload: unknown;
  createdAt: Date;
}
