import { createPrivateKey } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

/** One secret in every form it could be stored or printed in. */
export interface Needle {
  /** What the secret is, for failure messages (never the secret itself). */
  label: string;
  /** Text forms, searched in files (as UTF-8 bytes) and in logs. */
  texts: string[];
  /** Binary forms (raw key bytes, DER), searched in files only. */
  bytes: Uint8Array[];
}

/** A found secret: which one, in which form, where. */
export interface Finding {
  label: string;
  form: string;
  where: string;
}

/** A text secret (signing key, token) with no other encoding. */
export function textNeedle(label: string, secret: string): Needle {
  return { label, texts: [secret], bytes: [] };
}

/** The 32-byte master key as hex (both cases), base64, base64url and raw bytes. */
export function masterKeyNeedle(key: Uint8Array): Needle {
  const buf = Buffer.from(key);
  const hex = buf.toString("hex");
  return { label: "master key", texts: [hex, hex.toUpperCase(), buf.toString("base64"), buf.toString("base64url")], bytes: [buf] };
}

/** A private JWK by its `d` (base64url, base64 and raw), its PKCS#8 PEM body (whole and per line) and its DER. */
export function privateJwkNeedle(label: string, jwk: Record<string, unknown>): Needle {
  const d = String(jwk["d"]);
  const raw = Buffer.from(d, "base64url");
  const der = createPrivateKey({ key: jwk, format: "jwk" }).export({ type: "pkcs8", format: "der" });
  const pemBody = der.toString("base64");
  const pemLines = pemBody.match(/.{1,64}/g) ?? [];
  return { label, texts: [d, raw.toString("base64"), raw.toString("hex"), pemBody, ...pemLines.slice(0, -1)], bytes: [raw, der] };
}

/** Every regular file below `dir`, as paths relative to it. */
export function filesBelow(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => relative(dir, path));
}

/** Searches the named byte blobs for every form of every needle. */
export function scanBlobs(blobs: ReadonlyMap<string, Uint8Array>, needles: readonly Needle[]): Finding[] {
  const findings: Finding[] = [];
  for (const [where, blob] of blobs) {
    const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
    for (const n of needles) {
      n.texts.forEach((t, i) => buf.includes(Buffer.from(t, "utf8")) && findings.push({ label: n.label, form: `text form ${i}`, where }));
      n.bytes.forEach((b, i) => buf.includes(Buffer.from(b.buffer, b.byteOffset, b.byteLength)) && findings.push({ label: n.label, form: `binary form ${i}`, where }));
    }
  }
  return findings;
}

/** Reads the files below `dir` (except `skip`) into a map for {@link scanBlobs}. */
export function readFilesBelow(dir: string, skip: ReadonlySet<string>, prefix = ""): Map<string, Uint8Array> {
  return new Map(filesBelow(dir).filter((f) => !skip.has(f)).map((f) => [`${prefix}${f}`, readFileSync(join(dir, f))]));
}
