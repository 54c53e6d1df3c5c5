import { afterEach, describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { engineFixture, onMethod } from "../helpers/engine-fixture.js";
import { expectCode } from "../helpers/expect-code.js";
import { startEmailDomainReceiver } from "../../examples/user-service/email-domain-receiver.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("the example: validate the email domain before AddHumanUser", () => {
  it("lets allowed domains through and refuses others with the receiver's message", async () => {
    const f = await engineFixture();
    cleanups.push(() => f.close());
    const receiver = await startEmailDomainReceiver({ port: 0, allowed: ["example.com"] });
    cleanups.push(() => receiver.close());
    const { id } = await f.mkTarget("/unused", "webhook", { interrupt: true, endpoint: `${receiver.url}/check` });
    await f.setExecution(onMethod("request", "AddHumanUser"), [id]);
    await f.users.addHumanUser({ username: "ann", email: "ann@example.com" });
    await expectCode(f.users.addHumanUser({ username: "eve", email: "eve@evil.example" }), Code.InvalidArgument, /^email domain evil\.example is not allowed$/);
    expect([...f.store.values()].map((u) => u.username)).toEqual(["ann"]);
  });

  it("checks the signature when it knows the signing key", async () => {
    const f = await engineFixture();
    cleanups.push(() => f.close());
    const { id, signingKey } = await f.mkTarget("/unused", "webhook", { interrupt: true });
    const receiver = await startEmailDomainReceiver({ port: 0, allowed: ["example.com"], signingKey });
    cleanups.push(() => receiver.close());
    await f.admin.updateTarget({ id, endpoint: `${receiver.url}/check` });
    await f.setExecution(onMethod("request", "AddHumanUser"), [id]);
    await f.users.addHumanUser({ username: "ann", email: "ann@example.com" });
    await f.admin.updateTarget({ id, expirationSigningKey: { seconds: 0n } }); // the receiver still has the old key
    await expectCode(f.users.addHumanUser({ username: "bob", email: "bob@example.com" }), Code.FailedPrecondition, /HTTP 401/);
  });
});
