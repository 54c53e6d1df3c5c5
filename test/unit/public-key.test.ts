import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/domain/errors.js";
import { parsePublicKeyPem } from "../../src/domain/public-key.js";

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const spkiPem = (key: KeyObject): string => key.export({ type: "spki", format: "pem" }).toString();

const RSA_PEM = fixture("rsa.pub");
const EC_PEM = fixture("ec.pub");

// @types/node omits the "dh" overload that Node itself supports, so it gets a narrow signature here.
const generateDhKeyPair = (opts: { group: string }): { publicKey: KeyObject } =>
  (generateKeyPairSync as unknown as (type: "dh", o: { group: string }) => { publicKey: KeyObject })("dh", opts);

/** Runs the parser and returns the error message, asserting the error shape every failure must have. */
function problemOf(input: Uint8Array | string): string {
  try {
    parsePublicKeyPem(typeof input === "string" ? bytes(input) : input);
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    const de = e as DomainError;
    expect(de.kind).toBe("invalid_argument");
    expect(de.reason).toBe("public_key.invalid");
    expect(de.message.startsWith("public_key: ")).toBe(true);
    return de.message;
  }
  throw new Error("expected the key to be rejected");
}

/** A 2048-bit RSA public key with a chosen exponent, built via JWK because key generation refuses odd exponents like 1. */
function rsaWithExponent(e: string): string {
  const jwk = createPublicKey(RSA_PEM).export({ format: "jwk" });
  return spkiPem(createPublicKey({ key: { ...jwk, e }, format: "jwk" }));
}

describe("parsePublicKeyPem accepts", () => {
  it("an RSA 2048 SubjectPublicKeyInfo", () => {
    const parsed = parsePublicKeyPem(bytes(RSA_PEM));
    expect(parsed.keyType).toBe("rsa");
    expect(parsed.pem).toBe(RSA_PEM.trim() + "\n");
  });

  it.each(["prime256v1", "secp384r1", "secp521r1"])("an EC key on %s", (namedCurve) => {
    const { publicKey } = generateKeyPairSync("ec", { namedCurve });
    const parsed = parsePublicKeyPem(bytes(spkiPem(publicKey)));
    expect(parsed.keyType).toBe("ec");
    expect(parsed.pem).toBe(spkiPem(publicKey));
  });

  it("an RSA key with exponent 3", () => {
    expect(parsePublicKeyPem(bytes(rsaWithExponent("Aw"))).keyType).toBe("rsa");
  });

  it("a block surrounded by explanatory text and CRLF line endings", () => {
    const text = `my receiver key\r\n\r\n${RSA_PEM.replace(/\n/g, "\r\n")}\r\nthanks\r\n`;
    const parsed = parsePublicKeyPem(bytes(text));
    expect(parsed.pem).toBe(RSA_PEM.trim() + "\n");
  });

  it("a block whose base64 is not wrapped at 64 columns", () => {
    const body = RSA_PEM.split("\n").filter((l) => !l.startsWith("-----")).join("");
    const text = `-----BEGIN PUBLIC KEY-----\n${body}\n-----END PUBLIC KEY-----`;
    expect(parsePublicKeyPem(bytes(text)).pem).toBe(RSA_PEM.trim() + "\n");
  });
});

describe("parsePublicKeyPem fingerprints", () => {
  it("as SHA256: plus unpadded standard base64 of the DER SPKI", () => {
    const der = createPublicKey(RSA_PEM).export({ type: "spki", format: "der" });
    const expected = "SHA256:" + createHash("sha256").update(der).digest("base64").replace(/=+$/, "");
    const { fingerprint } = parsePublicKeyPem(bytes(RSA_PEM));
    expect(fingerprint).toBe(expected);
    expect(fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it("the same key identically however the PEM is wrapped", () => {
    const wrapped = `junk\n${RSA_PEM.replace(/\n/g, "\r\n")}`;
    expect(parsePublicKeyPem(bytes(wrapped)).fingerprint).toBe(parsePublicKeyPem(bytes(RSA_PEM)).fingerprint);
  });

  it("different keys differently", () => {
    expect(parsePublicKeyPem(bytes(EC_PEM)).fingerprint).not.toBe(parsePublicKeyPem(bytes(RSA_PEM)).fingerprint);
  });
});

describe("parsePublicKeyPem rejects", () => {
  it("empty input", () => {
    expect(problemOf(new Uint8Array())).toBe("public_key: must not be empty");
  });

  it("input over 8192 bytes", () => {
    expect(problemOf(RSA_PEM + " ".repeat(8193 - RSA_PEM.length))).toBe("public_key: must be at most 8192 bytes, got 8193");
  });

  it("input of exactly 8192 bytes only for what it contains, not its size", () => {
    expect(parsePublicKeyPem(bytes(RSA_PEM + "\n".repeat(8192 - RSA_PEM.length))).keyType).toBe("rsa");
  });

  it("bytes that are not UTF-8", () => {
    const input = new Uint8Array([...bytes(RSA_PEM), 0xff, 0xfe]);
    expect(problemOf(input)).toMatch(/must be UTF-8 text/);
  });

  it("text without a PEM block", () => {
    expect(problemOf("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ user@host")).toMatch(/must contain a PEM block/);
  });

  it("two PEM blocks", () => {
    expect(problemOf(RSA_PEM + EC_PEM)).toBe("public_key: must contain exactly one PEM block, found 2");
  });

  it("a PKCS#1 RSA PUBLIC KEY block", () => {
    expect(problemOf(fixture("rsa-pkcs1.pub"))).toMatch(/PKCS#1 RSA PUBLIC KEY; convert it .*-RSAPublicKey_in -pubout/);
  });

  it.each(["rsa.key", "ec.key"])("the private key %s", (name) => {
    expect(problemOf(fixture(name))).toMatch(/is a private key; upload only the public key/);
  });

  it.each(["EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY"])("a %s block", (label) => {
    expect(problemOf(`-----BEGIN ${label}-----\nAAAA\n-----END ${label}-----\n`)).toMatch(/is a private key/);
  });

  it("a certificate", () => {
    const cert = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n";
    expect(problemOf(cert)).toMatch(/is a certificate; extract its key with `openssl x509 -pubkey -noout`/);
  });

  it("an unrelated PEM label", () => {
    expect(problemOf("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n")).toBe(
      "public_key: PEM label must be PUBLIC KEY, got X509 CRL",
    );
  });

  it("a block without its END line", () => {
    expect(problemOf(RSA_PEM.replace("-----END PUBLIC KEY-----", ""))).toMatch(/has no -----END PUBLIC KEY----- line/);
  });

  it("a body with characters outside base64", () => {
    expect(problemOf(RSA_PEM.replace("MIIBIjAN", "MIIB*jAN"))).toBe("public_key: PEM body is not valid base64");
  });

  it("a body with PEM headers", () => {
    const text = RSA_PEM.replace("-----\n", "-----\nProc-Type: 4,ENCRYPTED\n\n");
    expect(problemOf(text)).toBe("public_key: PEM body is not valid base64");
  });

  it("an empty body", () => {
    expect(problemOf("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n")).toBe("public_key: PEM body is not valid base64");
  });

  it("a body that is base64 but not an SPKI", () => {
    const text = `-----BEGIN PUBLIC KEY-----\n${Buffer.from("hello world!").toString("base64")}\n-----END PUBLIC KEY-----`;
    expect(problemOf(text)).toBe("public_key: is not a valid SubjectPublicKeyInfo");
  });

  it("an SPKI followed by trailing bytes inside the block", () => {
    const der = createPublicKey(RSA_PEM).export({ type: "spki", format: "der" });
    const b64 = Buffer.concat([der, Buffer.from([0, 0, 0])]).toString("base64");
    const text = `-----BEGIN PUBLIC KEY-----\n${b64}\n-----END PUBLIC KEY-----`;
    expect(problemOf(text)).toMatch(/is not a canonical DER SubjectPublicKeyInfo/);
  });

  it("an RSA key under 2048 bits", () => {
    expect(problemOf(fixture("rsa1024.pub"))).toBe("public_key: RSA key must be at least 2048 bits, got 1024");
  });

  it.each([
    ["1", "AQ"],
    ["65536", "AQAA"],
  ])("an RSA key with exponent %s", (_e, jwkE) => {
    expect(problemOf(rsaWithExponent(jwkE))).toBe("public_key: RSA public exponent must be odd and at least 3");
  });

  it("an Ed25519 key", () => {
    expect(problemOf(fixture("ed25519.pub"))).toMatch(/key type ed25519 is not supported; use RSA/);
  });

  it.each([
    ["x25519", () => generateKeyPairSync("x25519").publicKey],
    ["ed448", () => generateKeyPairSync("ed448").publicKey],
    ["dsa", () => generateKeyPairSync("dsa", { modulusLength: 1024, divisorLength: 160 }).publicKey],
    ["rsa-pss", () => generateKeyPairSync("rsa-pss", { modulusLength: 2048 }).publicKey],
    ["dh", () => generateDhKeyPair({ group: "modp14" }).publicKey],
  ])("a %s key", (type, make) => {
    expect(problemOf(spkiPem(make()))).toMatch(new RegExp(`key type ${type} is not supported`));
  });

  it.each(["secp256k1", "brainpoolP256r1"])("an EC key on %s", (namedCurve) => {
    const { publicKey } = generateKeyPairSync("ec", { namedCurve });
    expect(problemOf(spkiPem(publicKey))).toBe(`public_key: EC curve ${namedCurve} is not supported; use P-256, P-384 or P-521`);
  });
});

/** A small seeded PRNG so a failing fuzz case can be replayed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Parses and accepts either a result or a `public_key.invalid` error; anything else fails the test. */
function parseOrInvalid(input: Uint8Array): void {
  try {
    parsePublicKeyPem(input);
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    expect((e as DomainError).reason).toBe("public_key.invalid");
  }
}

describe("parsePublicKeyPem on garbage", () => {
  it("never throws anything but public_key.invalid for 300 random buffers", () => {
    const rand = mulberry32(42);
    for (let i = 0; i < 300; i++) {
      const input = new Uint8Array(Math.floor(rand() * 9000));
      for (let j = 0; j < input.length; j++) input[j] = Math.floor(rand() * 256);
      parseOrInvalid(input);
    }
  });

  it("never throws anything but public_key.invalid for 300 mutations of valid keys", () => {
    const rand = mulberry32(7);
    const seeds = [RSA_PEM, EC_PEM].map(bytes);
    for (let i = 0; i < 300; i++) {
      const input = Uint8Array.from(seeds[i % 2]!);
      const flips = 1 + Math.floor(rand() * 4);
      for (let f = 0; f < flips; f++) input[Math.floor(rand() * input.length)] = Math.floor(rand() * 256);
      parseOrInvalid(input);
    }
  });

  it("never throws anything but public_key.invalid for 300 corrupted DER bodies", () => {
    const rand = mulberry32(1234);
    const ders = [RSA_PEM, EC_PEM].map((p) => createPublicKey(p).export({ type: "spki", format: "der" }));
    for (let i = 0; i < 300; i++) {
      const der = Buffer.from(ders[i % 2]!);
      der[Math.floor(rand() * der.length)] = Math.floor(rand() * 256);
      const cut = der.subarray(0, Math.max(1, Math.floor(der.length * (0.5 + rand() / 2))));
      parseOrInvalid(bytes(`-----BEGIN PUBLIC KEY-----\n${cut.toString("base64")}\n-----END PUBLIC KEY-----\n`));
    }
  });
});
