import type { TargetStore } from "../store/target-store.js";
import type { PublicKeyStore } from "../store/public-key-store.js";
import type { Target } from "../domain/target.js";

/** Everything needed to call one target, read at call time so changes apply to the very next call. */
export interface CallableTarget extends Omit<Target, "createdAt" | "changedAt"> {
  /** Valid signing keys, newest first (more than one during a rotation grace period). */
  signingKeys: string[];
  /** The active, unexpired public key (JWE only). */
  publicKey?: { id: string; pem: string; keyType: "rsa" | "ec" };
}

/** Loads a target for calling; undefined when it was deleted after resolution. */
export type TargetLoader = (id: string, now: Date) => CallableTarget | undefined;

/** A loader over the target and public-key stores; key expiry is judged at `now`. */
export function createTargetLoader(deps: { targets: TargetStore; publicKeys: PublicKeyStore }): TargetLoader {
  return (id, now) => {
    const t = deps.targets.find(id);
    if (!t) return undefined;
    const target: CallableTarget = {
      id: t.id,
      name: t.name,
      type: t.type,
      interruptOnError: t.interruptOnError,
      endpoint: t.endpoint,
      timeoutMs: t.timeoutMs,
      payloadType: t.payloadType,
      signingKeys: deps.targets.signingKeys(id, now),
    };
    if (t.payloadType === "jwe") {
      const key = deps.publicKeys.activeKey(id, now);
      if (key) target.publicKey = { id: key.id, pem: key.pem, keyType: key.keyType };
    }
    return target;
  };
}
