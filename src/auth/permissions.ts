// The per-RPC permission table, as spec/api.md §2 lists it (upstream carries it in the
// zitadel.protoc_gen_zitadel.v2 auth option of each RPC), plus Tether's own Delivery Service.

/** The pseudo-permission that any authenticated caller satisfies (ListExecution* RPCs). */
export const AUTHENTICATED = "authenticated";

/** Every real permission an RPC of this server can require. */
export const PERMISSIONS = [
  "action.target.read",
  "action.target.write",
  "action.target.delete",
  "action.execution.read",
  "action.execution.write",
  "action.delivery.read",
  "action.delivery.write",
] as const;

/** One of {@link PERMISSIONS}. */
export type Permission = (typeof PERMISSIONS)[number];

/** The permissions of the admin token created on first start: all of them. */
export const ADMIN_PERMISSIONS: readonly string[] = PERMISSIONS;

const ACTION_SERVICE = "/zitadel.action.v2.ActionService";
const DELIVERY_SERVICE = "/tether.v1.DeliveryService";

/** The permission each known procedure requires, keyed by full procedure path (`/<service>/<method>`). */
export const PROCEDURE_PERMISSIONS: Readonly<Record<string, Permission | typeof AUTHENTICATED>> = {
  [`${ACTION_SERVICE}/CreateTarget`]: "action.target.write",
  [`${ACTION_SERVICE}/UpdateTarget`]: "action.target.write",
  [`${ACTION_SERVICE}/DeleteTarget`]: "action.target.delete",
  [`${ACTION_SERVICE}/GetTarget`]: "action.target.read",
  [`${ACTION_SERVICE}/ListTargets`]: "action.target.read",
  [`${ACTION_SERVICE}/AddPublicKey`]: "action.target.write",
  [`${ACTION_SERVICE}/ActivatePublicKey`]: "action.target.write",
  [`${ACTION_SERVICE}/DeactivatePublicKey`]: "action.target.write",
  [`${ACTION_SERVICE}/RemovePublicKey`]: "action.target.write",
  [`${ACTION_SERVICE}/ListPublicKeys`]: "action.target.read",
  [`${ACTION_SERVICE}/SetExecution`]: "action.execution.write",
  [`${ACTION_SERVICE}/ListExecutions`]: "action.execution.read",
  [`${ACTION_SERVICE}/ListExecutionFunctions`]: AUTHENTICATED,
  [`${ACTION_SERVICE}/ListExecutionMethods`]: AUTHENTICATED,
  [`${ACTION_SERVICE}/ListExecutionServices`]: AUTHENTICATED,
  [`${DELIVERY_SERVICE}/ListDeliveries`]: "action.delivery.read",
  [`${DELIVERY_SERVICE}/GetDelivery`]: "action.delivery.read",
  [`${DELIVERY_SERVICE}/RetryDelivery`]: "action.delivery.write",
  [`${DELIVERY_SERVICE}/RetryDeadDeliveries`]: "action.delivery.write",
};

/**
 * The permission a procedure requires; procedures not in the table (services mounted later that did
 * not add entries here) need only an authenticated caller, so add an entry for anything sensitive.
 */
export function requiredPermission(procedure: string): string {
  // Own-property lookup: a procedure named like "/__proto__" must not reach Object.prototype.
  return Object.hasOwn(PROCEDURE_PERMISSIONS, procedure) ? PROCEDURE_PERMISSIONS[procedure]! : AUTHENTICATED;
}
