import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeMasterKey, loadMasterKey } from "../../src/crypto/master-key.js";

const BYTES = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 1));
const HEX = BYTES.toString("hex");
const ENV_ERROR = "TETHER_MASTER_KEY must be 32 bytes as 64 hex characters or base64";

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tether-master-key-"));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("loadMasterKey from TETHER_MASTER_KEY", () => {
  it.each([
    ["lower-case hex", HEX],
    ["upper-case hex", HEX.toUpperCase()],
    ["padded base64", BYTES.toString("base64")],
    ["unpadded base64", BYTES.toString("base64").replace(/=+$/, "")],
    ["base64url", BYTES.toString("base64url")],
    ["hex with surrounding whitespace", `  ${HEX}\n`],
  ])("accepts %s", (_name, envValue) => {
    const loaded = loadMasterKey({ envValue, dataDir: dir });
    expect(loaded.source).toBe("env");
    expect(Buffer.from(loaded.key).equals(BYTES)).toBe(true);
  });

  it.each([
    ["63 hex characters", HEX.slice(1)],
    ["66 hex characters", HEX + "ab"],
    ["base64 of 31 bytes", BYTES.subarray(1).toString("base64")],
    ["base64 of 33 bytes", Buffer.concat([BYTES, Buffer.from([1])]).toString("base64")],
    ["base64 with non-zero unused bits", BYTES.toString("base64").replace(/.=$/, "B=")],
    ["a passphrase", "correct horse battery staple"],
    ["hex with an inner space", `${HEX.slice(0, 32)} ${HEX.slice(32)}`],
  ])("rejects %s without echoing it", (_name, envValue) => {
    let message = "";
    try {
      loadMasterKey({ envValue, dataDir: dir });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe(ENV_ERROR);
  });

  it("does not touch the data directory when the env value is set", () => {
    loadMasterKey({ envValue: HEX, dataDir: join(dir, "never") });
    expect(readdirSync(dir)).toEqual([]);
  });

  it("wins over an existing key file", () => {
    writeFileSync(join(dir, "master.key"), "ab".repeat(32));
    expect(loadMasterKey({ envValue: HEX, dataDir: dir }).source).toBe("env");
  });

  it("treats an empty value as not set", () => {
    expect(loadMasterKey({ envValue: "", dataDir: dir }).source).toBe("generated");
    expect(loadMasterKey({ envValue: "  ", dataDir: dir }).source).toBe("file");
  });
});

describe("loadMasterKey from the data directory", () => {
  it("reads a hex key file", () => {
    writeFileSync(join(dir, "master.key"), `${HEX}\n`);
    const loaded = loadMasterKey({ envValue: undefined, dataDir: dir });
    expect(loaded.source).toBe("file");
    expect(Buffer.from(loaded.key).equals(BYTES)).toBe(true);
  });

  it("reads a base64 key file with trailing whitespace", () => {
    writeFileSync(join(dir, "master.key"), `${BYTES.toString("base64")}\r\n\n`);
    expect(Buffer.from(loadMasterKey({ envValue: undefined, dataDir: dir }).key).equals(BYTES)).toBe(true);
  });

  it("refuses a corrupt key file, naming the file but not its content", () => {
    const path = join(dir, "master.key");
    writeFileSync(path, "not-a-key");
    expect(() => loadMasterKey({ envValue: undefined, dataDir: dir })).toThrow(
      `${path} must contain 32 bytes as 64 hex characters or base64`,
    );
    expect(readFileSync(path, "utf8")).toBe("not-a-key");
  });

  it("refuses an empty key file instead of replacing it", () => {
    writeFileSync(join(dir, "master.key"), "");
    expect(() => loadMasterKey({ envValue: undefined, dataDir: dir })).toThrow(/must contain 32 bytes/);
  });

  it("reports a master.key that is not a file", () => {
    mkdirSync(join(dir, "master.key"));
    expect(() => loadMasterKey({ envValue: undefined, dataDir: dir })).toThrow();
  });
});

describe("loadMasterKey generating a key", () => {
  it("generates 32 random bytes and writes them hex-encoded with mode 0600", () => {
    const loaded = loadMasterKey({ envValue: undefined, dataDir: dir });
    expect(loaded.source).toBe("generated");
    expect(loaded.key).toHaveLength(32);
    const path = join(dir, "master.key");
    expect(readFileSync(path, "utf8")).toBe(`${Buffer.from(loaded.key).toString("hex")}\n`);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("creates a missing data directory recursively with mode 0700", () => {
    const dataDir = join(dir, "a", "b", "data");
    expect(loadMasterKey({ envValue: undefined, dataDir }).source).toBe("generated");
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, "master.key")).mode & 0o777).toBe(0o600);
  });

  it("returns the same key from the file on the next start", () => {
    const first = loadMasterKey({ envValue: undefined, dataDir: dir });
    const second = loadMasterKey({ envValue: undefined, dataDir: dir });
    expect(second.source).toBe("file");
    expect(Buffer.from(second.key).equals(Buffer.from(first.key))).toBe(true);
  });

  it("leaves no temporary files behind", () => {
    loadMasterKey({ envValue: undefined, dataDir: dir });
    expect(readdirSync(dir)).toEqual(["master.key"]);
  });

  it("generates a different key in each data directory", () => {
    const other = mkdtempSync(join(tmpdir(), "tether-master-key-"));
    try {
      const a = loadMasterKey({ envValue: undefined, dataDir: dir }).key;
      const b = loadMasterKey({ envValue: undefined, dataDir: other }).key;
      expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe("decodeMasterKey", () => {
  it("prefers hex for 64 hex characters, which are also valid base64", () => {
    expect(Buffer.from(decodeMasterKey(HEX)!).equals(BYTES)).toBe(true);
  });

  it("returns undefined for anything that is not exactly 32 bytes", () => {
    expect(decodeMasterKey("")).toBeUndefined();
    expect(decodeMasterKey("====")).toBeUndefined();
    expect(decodeMasterKey(Buffer.alloc(16).toString("base64"))).toBeUndefined();
  });
});
