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
const ACTION_SERVICE_V2BETA = "/zitadel.action.v2beta.ActionService";
const DELIVERY_SERVICE = "/tether.v1.DeliveryService";

/** The permission of each `zitadel.action.v2.ActionService` RPC, by method name. */
const ACTION_RPCS = {
  CreateTarget: "action.target.write",
  UpdateTarget: "action.target.write",
  DeleteTarget: "action.target.delete",
  GetTarget: "action.target.read",
  ListTargets: "action.target.read",
  AddPublicKey: "action.target.write",
  ActivatePublicKey: "action.target.write",
  DeactivatePublicKey: "action.target.write",
  RemovePublicKey: "action.target.write",
  ListPublicKeys: "action.target.read",
  SetExecution: "action.execution.write",
  ListExecutions: "action.execution.read",
  ListExecutionFunctions: AUTHENTICATED,
  ListExecutionMethods: AUTHENTICATED,
  ListExecutionServices: AUTHENTICATED,
} as const satisfies Record<string, Permission | typeof AUTHENTICATED>;

/** The RPCs `zitadel.action.v2beta.ActionService` shares with v2 (it has no public-key RPCs); same handlers, same permissions. */
const V2BETA_RPCS = [
  "CreateTarget",
  "UpdateTarget",
  "DeleteTarget",
  "GetTarget",
  "ListTargets",
  "SetExecution",
  "ListExecutions",
  "ListExecutionFunctions",
  "ListExecutionMethods",
  "ListExecutionServices",
] as const satisfies readonly (keyof typeof ACTION_RPCS)[];

/** The rows for some RPCs of one service, keyed by full procedure path. */
function rows(service: string, rpcs: readonly (keyof typeof ACTION_RPCS)[]): Record<string, Permission | typeof AUTHENTICATED> {
  return Object.fromEntries(rpcs.map((rpc) => [`${service}/${rpc}`, ACTION_RPCS[rpc]]));
}

/** The permission each known procedure requires, keyed by full procedure path (`/<service>/<method>`). */
export const PROCEDURE_PERMISSIONS: Readonly<Record<string, Permission | typeof AUTHENTICATED>> = {
  ...rows(ACTION_SERVICE, Object.keys(ACTION_RPCS) as (keyof typeof ACTION_RPCS)[]),
  ...rows(ACTION_SERVICE_V2BETA, V2BETA_RPCS),
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
