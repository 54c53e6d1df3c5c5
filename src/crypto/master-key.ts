import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { syncDir } from "./sync-dir.js";
import { join } from "node:path";

/** Where `loadMasterKey` looks for its inputs. */
export interface MasterKeyOptions {
  /** The value of `TETHER_MASTER_KEY`; undefined or empty means "not set". */
  envValue: string | undefined;
  /** The data directory holding `master.key`; created (mode 0700) when a key must be generated. */
  dataDir: string;
}

/** The 32-byte master key and where it came from (so startup can say so, never what it is). */
export interface MasterKey {
  key: Uint8Array;
  source: "env" | "file" | "generated";
}

/** File name of the generated master key inside the data directory. */
export const MASTER_KEY_FILE = "master.key";

const KEY_BYTES = 32;

/** Decodes 64 hex characters or base64/base64url of exactly 32 bytes; undefined for anything else. */
export function decodeMasterKey(text: string): Uint8Array | undefined {
  const s = text.trim();
  // Hex first: 64 hex characters are also valid base64 (of 48 bytes).
  if (/^[0-9a-fA-F]{64}$/.test(s)) return new Uint8Array(Buffer.from(s, "hex"));
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(s)) return undefined;
  const bytes = Buffer.from(s, "base64");
  // Round-trip check rejects non-canonical encodings (stray padding, unused trailing bits).
  const canonical = s.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
  if (bytes.length !== KEY_BYTES || bytes.toString("base64").replace(/=+$/, "") !== canonical) return undefined;
  return new Uint8Array(bytes);
}

function readKeyFile(path: string): Uint8Array | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  const key = decodeMasterKey(text);
  if (key === undefined) throw new Error(`${path} must contain 32 bytes as 64 hex characters or base64`);
  return key;
}

/**
 * Writes the key without ever exposing a partial file or replacing an existing one: write and fsync a
 * private temp file, then hard-link it into place (link fails with EEXIST where rename would overwrite).
 * Returns false when another process created the file first.
 */
function writeKeyFile(dir: string, path: string, key: Uint8Array): boolean {
  const tmp = join(dir, `.${MASTER_KEY_FILE}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const fd = openSync(tmp, "wx", 0o600);
  try {
    writeSync(fd, `${Buffer.from(key).toString("hex")}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    // The umask can only clear bits, but make the mode explicit in case the file system ignored it.
    chmodSync(tmp, 0o600);
    linkSync(tmp, path);
    syncDir(dir);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  } finally {
    unlinkSync(tmp);
  }
}

/** Loads the master key from `TETHER_MASTER_KEY`, else `<dataDir>/master.key`, else generates and stores a new one (hex, mode 0600). */
export function loadMasterKey(opts: MasterKeyOptions): MasterKey {
  if (opts.envValue !== undefined && opts.envValue.trim() !== "") {
    const key = decodeMasterKey(opts.envValue);
    // Never echo the value: it may be a near-miss of the real key.
    if (key === undefined) throw new Error("TETHER_MASTER_KEY must be 32 bytes as 64 hex characters or base64");
    return { key, source: "env" };
  }
  const path = join(opts.dataDir, MASTER_KEY_FILE);
  const existing = readKeyFile(path);
  if (existing !== undefined) return { key: existing, source: "file" };
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const key = new Uint8Array(randomBytes(KEY_BYTES));
  if (writeKeyFile(opts.dataDir, path, key)) return { key, source: "generated" };
  // Lost a race with a concurrent start: use the key the other process wrote.
  const winner = readKeyFile(path);
  if (winner === undefined) throw new Error(`${path} disappeared while it was being created`);
  return { key: winner, source: "file" };
}
