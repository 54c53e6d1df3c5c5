import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/log.js";

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString("utf8"));
      done();
    },
  });
  return { lines, destination };
}

describe("createLogger", () => {
  it("writes JSON lines at the configured level", () => {
    const { lines, destination } = capture();
    const log = createLogger({ level: "warn", destination });
    log.info("hidden");
    log.warn({ n: 1 }, "shown");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 40, msg: "shown", n: 1 });
  });

  it("redacts credentials and keys", () => {
    const { lines, destination } = capture();
    const log = createLogger({ level: "info", destination });
    log.info(
      { token: "t-secret", req: { headers: { authorization: "Bearer h-secret" } }, target: { signingKey: "s-secret" }, masterKey: "m-secret" },
      "request",
    );
    expect(lines[0]).not.toMatch(/secret/);
    expect(JSON.parse(lines[0]!)).toMatchObject({ token: "[redacted]", masterKey: "[redacted]", target: { signingKey: "[redacted]" } });
  });
});
