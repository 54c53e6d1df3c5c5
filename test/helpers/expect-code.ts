import { Code, ConnectError } from "@connectrpc/connect";
import { expect } from "vitest";

/** Awaits a call that must fail with `code` and a message matching `message`; returns the error. */
export async function expectCode(call: Promise<unknown>, code: Code, message?: RegExp): Promise<ConnectError> {
  let error: unknown;
  try {
    await call;
  } catch (e) {
    error = e;
  }
  expect(error, "the call should have failed").toBeInstanceOf(ConnectError);
  const ce = error as ConnectError;
  expect(Code[ce.code], ce.message).toBe(Code[code]);
  if (message) expect(ce.rawMessage).toMatch(message);
  return ce;
}
