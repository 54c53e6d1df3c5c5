// A test-only ActionService that echoes what it receives, for transport and gateway tests (no store, no rules).
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Message } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor, type ServiceImpl } from "@connectrpc/connect";
import { codeFromString } from "@connectrpc/connect/protocol-connect";
import { ActionService } from "../../gen/zitadel/action/v2/action_service_pb.js";
import { PayloadType } from "../../gen/zitadel/action/v2/target_pb.js";

/** One call the fake received: the RPC name and the typed request. */
export interface FakeCall {
  method: string;
  request: Message;
}

/** A uint64 above 2^53, to prove it travels as a JSON string without losing digits. */
export const BIG_TOTAL = 18_000_000_000_000_000_001n;

const now = () => timestampFromDate(new Date("2025-01-23T10:34:18.051Z"));

/**
 * Creates the fake: CreateTarget answers `id = name` (a name `fail:<code>` throws that Connect code),
 * GetTarget throws NOT_FOUND for id `missing` and waits for {@link releaseSlow} for id `slow`,
 * the list RPCs answer `totalResult = BIG_TOTAL`. Every request is recorded in `calls`.
 */
export function createFakeActionService() {
  const calls: FakeCall[] = [];
  let releaseSlow: () => void = () => {};
  let slowStarted: () => void = () => {};
  const slowGate = { started: new Promise<void>((r) => (slowStarted = r)), released: new Promise<void>((r) => (releaseSlow = r)) };
  const record = (method: string, request: Message) => void calls.push({ method, request });
  const page = { totalResult: BIG_TOTAL, appliedLimit: 100n };

  const impl: ServiceImpl<typeof ActionService> = {
    createTarget(req) {
      record("CreateTarget", req);
      const failure = /^fail:(.+)$/.exec(req.name)?.[1];
      if (failure) throw new ConnectError(`asked to fail with ${failure}`, codeFromString(failure) ?? Code.Unknown);
      return { id: req.name, creationDate: now(), signingKey: "s".repeat(36) };
    },
    updateTarget(req) {
      record("UpdateTarget", req);
      return { changeDate: now(), ...(req.name !== undefined ? { signingKey: `rotated-${req.name}` } : {}) };
    },
    deleteTarget(req) {
      record("DeleteTarget", req);
      return { deletionDate: now() };
    },
    async getTarget(req) {
      record("GetTarget", req);
      if (req.id === "missing") throw new ConnectError("target not found", Code.NotFound);
      if (req.id === "slow") {
        slowStarted();
        await slowGate.released;
      }
      return { target: { id: req.id, name: `name-${req.id}`, creationDate: now(), endpoint: "https://example.com/hook", payloadType: PayloadType.JSON } };
    },
    listTargets(req) {
      record("ListTargets", req);
      return { pagination: page, targets: [{ id: "t1", name: "first", targetType: { case: "restWebhook", value: { interruptOnError: true } } }] };
    },
    addPublicKey(req) {
      record("AddPublicKey", req);
      return { keyId: `${req.targetId}-key`, creationDate: now() };
    },
    activatePublicKey(req) {
      record("ActivatePublicKey", req);
      return { changeDate: now() };
    },
    deactivatePublicKey(req) {
      record("DeactivatePublicKey", req);
      return { changeDate: now() };
    },
    removePublicKey(req) {
      record("RemovePublicKey", req);
      return { deletionDate: now() };
    },
    listPublicKeys(req) {
      record("ListPublicKeys", req);
      return { pagination: page, publicKeys: [{ keyId: "k1", active: true, publicKey: new TextEncoder().encode("PEM") }] };
    },
    setExecution(req) {
      record("SetExecution", req);
      return { setDate: now() };
    },
    listExecutions(req) {
      record("ListExecutions", req);
      return { pagination: page, executions: [] };
    },
    listExecutionFunctions(req) {
      record("ListExecutionFunctions", req);
      return { functions: ["preuserinfo"] };
    },
    listExecutionMethods(req) {
      record("ListExecutionMethods", req);
      return { methods: ActionService.methods.map((m) => `/${ActionService.typeName}/${m.name}`) };
    },
    listExecutionServices(req) {
      record("ListExecutionServices", req);
      return { services: [ActionService.typeName] };
    },
  };

  return {
    impl,
    calls,
    /** The typed request of the most recent call, which must be to `method`. */
    lastCall<T extends Message>(method: string): T {
      const call = calls[calls.length - 1];
      if (call?.method !== method) throw new Error(`expected last call ${method}, got ${call?.method ?? "none"}`);
      return call.request as T;
    },
    /** Resolves when a GetTarget for id `slow` is waiting. */
    slowStarted: slowGate.started,
    /** Lets waiting GetTarget calls for id `slow` answer. */
    releaseSlow: () => releaseSlow(),
  };
}

/** One request as an interceptor saw it. */
export interface SeenRequest {
  procedure: string;
  authorization: string | null;
  forwardedFor: string | null;
  contentType: string | null;
}

/** An interceptor that records the Authorization (and a few other) headers of every RPC it sees. */
export function createHeaderRecorder(): { interceptor: Interceptor; seen: SeenRequest[] } {
  const seen: SeenRequest[] = [];
  const interceptor: Interceptor = (next) => (req) => {
    seen.push({
      procedure: req.method.name,
      authorization: req.header.get("authorization"),
      forwardedFor: req.header.get("x-forwarded-for"),
      contentType: req.header.get("content-type"),
    });
    return next(req);
  };
  return { interceptor, seen };
}
