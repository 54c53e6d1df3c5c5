import { describe, expect, it } from "vitest";
import { snapshotTarget } from "../../src/execution/outbox.js";
import { create, toJsonString, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { Code, createClient, createRouterTransport } from "@connectrpc/connect";
import { createActionService } from "../../src/api/action-service.js";
import { createConditionCatalog } from "../../src/api/catalog.js";
import { timestampFromDate } from "../../src/api/convert-common.js";
import { createDeliveryService } from "../../src/api/delivery-handlers.js";
import { createErrorInterceptor } from "../../src/api/errors.js";
import { createAuthInterceptor } from "../../src/auth/auth-interceptor.js";
import type { Caller } from "../../src/auth/caller.js";
import type { DeliveryAttempt, TargetSnapshot } from "../../src/domain/delivery.js";
import { createHttpRouteTable } from "../../src/gateway/http-rules.js";
import { mountedServices, registerServices } from "../../src/routes.js";
import { createDeliveryStore } from "../../src/store/delivery-store.js";
import { expectCode } from "../helpers/expect-code.js";
import { adminCaller } from "../helpers/in-process.js";
import { actor, memoryStores, newTarget, sequentialIds } from "../helpers/store-fixtures.js";
import {
  DeliveryKind,
  DeliveryService,
  DeliveryState,
  GetDeliveryResponseSchema,
  ListDeliveriesResponseSchema,
  RetryDeadDeliveriesResponseSchema,
  RetryDeliveryResponseSchema,
  ListDeliveriesRequestSchema,
  type RetryDeadDeliveriesRequestSchema,
} from "../../gen/tether/v1/delivery_service_pb.js";
import { PaginationRequestSchema } from "../../gen/zitadel/filter/v2/filter_pb.js";

const SECOND = 1000;
type ListRequest = MessageInitShape<typeof ListDeliveriesRequestSchema>;
type RetryDeadRequest = MessageInitShape<typeof RetryDeadDeliveriesRequestSchema>;

/** The Delivery Service behind the real error and auth interceptors, over fresh in-memory stores. */
function setup(options: { caller?: Caller; mountDeliveries?: boolean } = {}) {
  const stores = memoryStores();
  const deliveries = createDeliveryStore(stores.db, { clock: stores.clock, newId: sequentialIds("job-") });
  const catalog = createConditionCatalog({ services: () => mountedServices(), eventTypes: () => [] });
  const action = createActionService({ ...stores, catalog, rules: { dev: false } });
  const routes = registerServices({ action, ...(options.mountDeliveries === false ? {} : { deliveries: createDeliveryService({ deliveries }) }) });
  const errors: unknown[] = [];
  const interceptors = [
    createErrorInterceptor((_m, fields) => errors.push(fields)),
    createAuthInterceptor({ authenticator: { authenticate: async () => options.caller ?? adminCaller } }),
  ];
  const client = createClient(DeliveryService, createRouterTransport(routes, { router: { interceptors } }));

  /** Creates an async target and returns its snapshot and its clear signing key. */
  function target(name: string) {
    const { target: t, signingKey } = stores.targets.create(newTarget({ name, type: "async", endpoint: `https://hooks.example.net/${name}` }), actor);
    const snapshot = snapshotTarget(stores, t.id, stores.clock())!;
    return { snapshot, signingKey };
  }

  /** Enqueues an event job (or an async call without `eventType`), then moves the clock on one second. */
  function enqueue(snapshot: TargetSnapshot, eventType?: string, position?: number): string {
    const id = deliveries.enqueue({
      kind: eventType ? "event" : "async",
      executionId: eventType ? `event/${eventType}` : "request/zitadel.action.v2.ActionService",
      target: snapshot,
      payload: JSON.stringify({ marker: "payload-marker", eventType }),
      ...(eventType ? { eventType } : {}),
      ...(position !== undefined ? { eventPosition: position } : {}),
    });
    stores.clock.advance(SECOND);
    return id;
  }

  const attempt = (n: number, more: Partial<DeliveryAttempt> = {}): DeliveryAttempt => ({ attempt: n, startedAt: stores.clock(), latencyMs: 1.5, outcome: "ok", status: 200, ...more });
  /** Finishes job `id` as dead after one 410 attempt. */
  const kill = (id: string) => deliveries.finish(id, attempt(1, { outcome: "http_error", status: 410, error: "410 Gone" }), { state: "dead", reason: "target answered 410 Gone" });
  /** Finishes job `id` as delivered at the first attempt. */
  const deliver = (id: string) => deliveries.finish(id, attempt(1), { state: "delivered" });

  return { stores, deliveries, client, errors, target, enqueue, attempt, kill, deliver, start: stores.clock() };
}

/** Two targets and five jobs: A gets user.added (dead), user.removed (delivered), an async call (pending); B gets user.added twice (dead, pending). */
function populated() {
  const ctx = setup();
  const a = ctx.target("a");
  const b = ctx.target("b");
  const t0 = ctx.stores.clock();
  const ids = {
    aAdded: ctx.enqueue(a.snapshot, "user.added", 1),
    aRemoved: ctx.enqueue(a.snapshot, "user.removed", 2),
    aAsync: ctx.enqueue(a.snapshot),
    bAdded: ctx.enqueue(b.snapshot, "user.added", 1),
    bAdded2: ctx.enqueue(b.snapshot, "user.added", 3),
  };
  ctx.kill(ids.aAdded);
  ctx.deliver(ids.aRemoved);
  ctx.kill(ids.bAdded);
  const at = (seconds: number) => timestampFromDate(new Date(t0.getTime() + seconds * SECOND));
  return { ...ctx, a, b, ids, at };
}

describe("ListDeliveries", () => {
  it("lists every delivery newest first with the total and the applied limit", async () => {
    const { client, ids } = populated();
    const res = await client.listDeliveries({});
    expect(res.deliveries.map((d) => d.id)).toEqual([ids.bAdded2, ids.bAdded, ids.aAsync, ids.aRemoved, ids.aAdded]);
    expect(res.pagination).toMatchObject({ totalResult: 5n, appliedLimit: 100n });
  });

  it("maps a dead event delivery field by field, without a due date", async () => {
    const { client, ids, a, start } = populated();
    const { deliveries } = await client.listDeliveries({ pagination: { asc: true, limit: 1 } });
    expect(deliveries[0]).toMatchObject({
      id: ids.aAdded,
      kind: DeliveryKind.EVENT,
      executionId: "event/user.added",
      targetId: a.snapshot.id,
      targetName: "a",
      endpoint: "https://hooks.example.net/a",
      eventType: "user.added",
      eventPosition: 1n,
      state: DeliveryState.DEAD,
      attempts: 1,
      lastStatus: 410,
      lastError: "target answered 410 Gone",
      creationDate: timestampFromDate(start),
    });
    expect(deliveries[0]!.nextAttemptDate).toBeUndefined();
    expect(deliveries[0]!.changeDate).toEqual(timestampFromDate(new Date(start.getTime() + 5 * SECOND)));
  });

  it("maps a pending async delivery with its due date and no event fields", async () => {
    const { client, ids, start } = populated();
    const { delivery } = await client.getDelivery({ id: ids.aAsync });
    expect(delivery).toMatchObject({ kind: DeliveryKind.ASYNC, eventType: "", eventPosition: 0n, state: DeliveryState.PENDING, attempts: 0, lastStatus: 0, lastError: "" });
    expect(delivery?.nextAttemptDate).toEqual(timestampFromDate(new Date(start.getTime() + 2 * SECOND)));
  });

  it("filters by target, states, event type and creation window, combined with AND", async () => {
    const { client, ids, a, b, at } = populated();
    const list = async (init: ListRequest) => {
      const req = create(ListDeliveriesRequestSchema, init);
      req.pagination = create(PaginationRequestSchema, { asc: true });
      return (await client.listDeliveries(req)).deliveries.map((d) => d.id);
    };
    expect(await list({ targetId: a.snapshot.id })).toEqual([ids.aAdded, ids.aRemoved, ids.aAsync]);
    expect(await list({ states: [DeliveryState.DEAD] })).toEqual([ids.aAdded, ids.bAdded]);
    expect(await list({ states: [DeliveryState.PENDING, DeliveryState.DELIVERED, DeliveryState.PENDING] })).toEqual([ids.aRemoved, ids.aAsync, ids.bAdded2]);
    expect(await list({ eventType: "user.added" })).toEqual([ids.aAdded, ids.bAdded, ids.bAdded2]);
    // created_after is inclusive, created_before exclusive.
    expect(await list({ createdAfter: at(1), createdBefore: at(3) })).toEqual([ids.aRemoved, ids.aAsync]);
    expect(await list({ createdAfter: at(3) })).toEqual([ids.bAdded, ids.bAdded2]);
    expect(await list({ targetId: b.snapshot.id, eventType: "user.added", states: [DeliveryState.PENDING] })).toEqual([ids.bAdded2]);
    expect(await list({ targetId: "no-such-target" })).toEqual([]);
  });

  it("pages with offset, limit and order, counting all matches", async () => {
    const { client, ids } = populated();
    const page = await client.listDeliveries({ pagination: { offset: 1n, limit: 2 } });
    expect(page.deliveries.map((d) => d.id)).toEqual([ids.bAdded, ids.aAsync]);
    expect(page.pagination).toMatchObject({ totalResult: 5n, appliedLimit: 2n });
    const asc = await client.listDeliveries({ pagination: { offset: 3n, limit: 10, asc: true } });
    expect(asc.deliveries.map((d) => d.id)).toEqual([ids.bAdded, ids.bAdded2]);
  });

  it.each<[string, ListRequest, RegExp]>([
    ["an unknown state", { states: [DeliveryState.DEAD, 9 as DeliveryState] }, /^states\[1\]: unknown enum value 9/],
    ["an unspecified state", { states: [DeliveryState.UNSPECIFIED] }, /^states\[0\]: must not be DELIVERY_STATE_UNSPECIFIED/],
    ["a limit over 1000", { pagination: { limit: 5000 } }, /^pagination\.limit: must be at most 1000/],
    ["created_after later than created_before", { createdAfter: { seconds: 20n }, createdBefore: { seconds: 10n } }, /^created_after: must not be later than created_before/],
    ["a malformed timestamp", { createdBefore: { seconds: 10n, nanos: -1 } }, /^created_before: has invalid nanos/],
    ["a timestamp past 9999", { createdAfter: { seconds: 253402300800n } }, /^created_after: is outside/],
    ["a blank target id", { targetId: "   " }, /^target_id: must not be empty/],
    ["a target id over 200 characters", { targetId: "t".repeat(201) }, /^target_id: must be at most 200/],
  ])("rejects %s with INVALID_ARGUMENT naming the field", async (_what, req, message) => {
    const { client } = setup();
    await expectCode(client.listDeliveries(req), Code.InvalidArgument, message);
  });
});

describe("GetDelivery", () => {
  it("returns the delivery with every attempt, oldest first", async () => {
    const { client, deliveries, enqueue, target, attempt, stores } = setup();
    const id = enqueue(target("a").snapshot, "user.added", 7);
    deliveries.finish(id, attempt(1, { outcome: "http_error", status: 503, error: "target answered 503", responseBody: "busy", latencyMs: 1234.5678 }), { state: "pending", at: stores.clock() });
    deliveries.finish(id, attempt(2, { latencyMs: 0.37 }), { state: "delivered" });
    const res = await client.getDelivery({ id });
    expect(res.delivery).toMatchObject({ id, state: DeliveryState.DELIVERED, attempts: 2, lastStatus: 200, lastError: "" });
    expect(res.attempts).toHaveLength(2);
    expect(res.attempts[0]).toMatchObject({ attempt: 1, outcome: "http_error", statusCode: 503, error: "target answered 503", responseBody: "busy", latency: { seconds: 1n, nanos: 234_567_800 } });
    expect(res.attempts[0]!.startDate).toEqual(timestampFromDate(stores.clock()));
    expect(res.attempts[1]).toMatchObject({ attempt: 2, outcome: "ok", statusCode: 200, error: "", responseBody: "", latency: { seconds: 0n, nanos: 370_000 } });
  });

  it("returns no attempts for a delivery not tried yet", async () => {
    const { client, enqueue, target } = setup();
    const id = enqueue(target("a").snapshot, "user.added");
    expect((await client.getDelivery({ id })).attempts).toEqual([]);
  });

  it("rejects an empty id with INVALID_ARGUMENT and a missing one with NOT_FOUND", async () => {
    const { client } = setup();
    await expectCode(client.getDelivery({ id: "" }), Code.InvalidArgument, /^id: must not be empty/);
    await expectCode(client.getDelivery({ id: "job-404" }), Code.NotFound, /job-404/);
  });
});

describe("RetryDelivery", () => {
  it("makes a dead delivery pending and due now, keeping its attempts", async () => {
    const { client, ids, stores } = populated();
    stores.clock.advance(60 * SECOND);
    const now = timestampFromDate(stores.clock());
    const res = await client.retryDelivery({ id: ids.aAdded });
    expect(res).toMatchObject({ retried: true, nextAttemptDate: now });
    const got = await client.getDelivery({ id: ids.aAdded });
    expect(got.delivery).toMatchObject({ state: DeliveryState.PENDING, attempts: 1, nextAttemptDate: now, changeDate: now });
    expect(got.attempts).toHaveLength(1);
  });

  it("makes a pending delivery due now", async () => {
    const { client, deliveries, enqueue, target, attempt, stores } = setup();
    const id = enqueue(target("a").snapshot, "user.added");
    deliveries.finish(id, attempt(1, { outcome: "timeout" }), { state: "pending", at: new Date(stores.clock().getTime() + 3600 * SECOND) });
    const res = await client.retryDelivery({ id });
    expect(res.nextAttemptDate).toEqual(timestampFromDate(stores.clock()));
    expect(deliveries.nextDueAt()).toEqual(stores.clock());
  });

  it("refuses a delivered delivery with FAILED_PRECONDITION", async () => {
    const { client, ids, deliveries } = populated();
    await expectCode(client.retryDelivery({ id: ids.aRemoved }), Code.FailedPrecondition, /is delivered/);
    expect(deliveries.get(ids.aRemoved)?.state).toBe("delivered");
  });

  it("refuses a delivery in flight with FAILED_PRECONDITION", async () => {
    const { client, deliveries, enqueue, target } = setup();
    const id = enqueue(target("a").snapshot, "user.added");
    expect(deliveries.claim(1).map((d) => d.id)).toEqual([id]);
    await expectCode(client.retryDelivery({ id }), Code.FailedPrecondition, /is in flight/);
    expect(deliveries.get(id)?.state).toBe("in_flight");
  });

  it("rejects a missing delivery with NOT_FOUND and an empty id with INVALID_ARGUMENT", async () => {
    const { client } = setup();
    await expectCode(client.retryDelivery({ id: "job-404" }), Code.NotFound, /job-404/);
    await expectCode(client.retryDelivery({ id: "" }), Code.InvalidArgument, /^id: /);
  });
});

describe("RetryDeadDeliveries", () => {
  it("replays the dead deliveries of one target only", async () => {
    const { client, ids, a, deliveries } = populated();
    expect((await client.retryDeadDeliveries({ targetId: a.snapshot.id })).count).toBe(1n);
    expect(deliveries.get(ids.aAdded)?.state).toBe("pending");
    expect(deliveries.get(ids.bAdded)?.state).toBe("dead");
    expect(deliveries.get(ids.aRemoved)?.state).toBe("delivered");
  });

  it("replays the dead deliveries created in a window", async () => {
    const { client, ids, at, deliveries } = populated();
    expect((await client.retryDeadDeliveries({ createdAfter: at(1), createdBefore: at(4) })).count).toBe(1n);
    expect(deliveries.get(ids.bAdded)?.state).toBe("pending");
    expect(deliveries.get(ids.aAdded)?.state).toBe("dead");
  });

  it("replays every dead delivery when no filter is set, then finds none", async () => {
    const { client } = populated();
    expect((await client.retryDeadDeliveries({})).count).toBe(2n);
    expect((await client.retryDeadDeliveries({})).count).toBe(0n);
    const { deliveries } = await client.listDeliveries({ states: [DeliveryState.DEAD] });
    expect(deliveries).toEqual([]);
  });

  it.each<[string, RetryDeadRequest, RegExp]>([
    ["created_after later than created_before", { createdAfter: { seconds: 2n }, createdBefore: { seconds: 1n } }, /^created_after: must not be later than created_before/],
    ["a malformed timestamp", { createdAfter: { seconds: 1n, nanos: 1_000_000_000 } }, /^created_after: has invalid nanos/],
    ["a blank target id", { targetId: " " }, /^target_id: must not be empty/],
  ])("rejects %s with INVALID_ARGUMENT and replays nothing", async (_what, req, message) => {
    const { client, deliveries } = populated();
    await expectCode(client.retryDeadDeliveries(req), Code.InvalidArgument, message);
    expect(deliveries.stats().dead).toBe(2);
  });
});

describe("secrets", () => {
  it("never returns a signing key, sealed or clear, nor the payload", async () => {
    const { client, ids, a, b } = populated();
    const json = <D extends DescMessage>(schema: D, msg: MessageShape<D>) => toJsonString(schema, msg);
    const out = [
      json(ListDeliveriesResponseSchema, await client.listDeliveries({})),
      ...(await Promise.all(Object.values(ids).map(async (id) => json(GetDeliveryResponseSchema, await client.getDelivery({ id }))))),
      json(RetryDeliveryResponseSchema, await client.retryDelivery({ id: ids.aAdded })),
      json(RetryDeadDeliveriesResponseSchema, await client.retryDeadDeliveries({})),
    ].join("\n");
    expect(out).toContain(ids.aAdded);
    for (const { signingKey, snapshot } of [a, b]) {
      expect(snapshot.sealedSigningKeys).toHaveLength(1);
      expect(out).not.toContain(signingKey);
      expect(out).not.toContain(Buffer.from(signingKey).toString("base64"));
      for (const sealed of snapshot.sealedSigningKeys) expect(out).not.toContain(sealed);
    }
    expect(out).not.toContain("sealed(");
    expect(out).not.toContain("payload-marker");
  });
});

describe("permissions and mounting", () => {
  const reader: Caller = { userId: "reader", permissions: new Set(["action.delivery.read"]), via: "pat" };
  const nobody: Caller = { userId: "nobody", permissions: new Set(["action.target.read"]), via: "pat" };

  it("lets action.delivery.read list and get but not retry", async () => {
    const { client } = setup({ caller: reader });
    await expect(client.listDeliveries({})).resolves.toBeDefined();
    await expectCode(client.getDelivery({ id: "job-404" }), Code.NotFound);
    await expectCode(client.retryDelivery({ id: "job-404" }), Code.PermissionDenied, /action\.delivery\.write/);
    await expectCode(client.retryDeadDeliveries({}), Code.PermissionDenied, /action\.delivery\.write/);
  });

  it("refuses a caller without action.delivery.read", async () => {
    const { client } = setup({ caller: nobody });
    await expectCode(client.listDeliveries({}), Code.PermissionDenied, /action\.delivery\.read/);
    await expectCode(client.getDelivery({ id: "x" }), Code.PermissionDenied, /action\.delivery\.read/);
  });

  it("is not served when no implementation is registered", async () => {
    const { client } = setup({ mountDeliveries: false });
    await expectCode(client.listDeliveries({}), Code.Unimplemented);
  });

  it("is mounted with its REST paths under /v1/deliveries", () => {
    const table = createHttpRouteTable(mountedServices());
    const rows = table.routes.filter((r) => r.method.parent.typeName === DeliveryService.typeName).map((r) => `${r.verb} ${r.template} ${r.body.kind} ${r.method.name}`);
    expect(rows.sort()).toEqual(
      [
        "GET /v1/deliveries/{id} none GetDelivery",
        "POST /v1/deliveries/retry_dead all RetryDeadDeliveries",
        "POST /v1/deliveries/search all ListDeliveries",
        "POST /v1/deliveries/{id}/retry none RetryDelivery",
      ].sort(),
    );
    const hit = (verb: string, path: string) => {
      const m = table.match(verb, path);
      return m.kind === "matched" ? `${m.route.method.name}(${m.params.map((p) => p.value).join(",")})` : m.kind;
    };
    expect(hit("POST", "/v1/deliveries/search")).toBe("ListDeliveries()");
    expect(hit("POST", "/v1/deliveries/retry_dead")).toBe("RetryDeadDeliveries()");
    expect(hit("GET", "/v1/deliveries/job-1")).toBe("GetDelivery(job-1)");
    expect(hit("POST", "/v1/deliveries/job-1/retry")).toBe("RetryDelivery(job-1)");
  });
});
