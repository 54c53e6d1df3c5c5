import { describe, expect, it } from "vitest";
import {
  checkEndpointUrl,
  classifyAddress,
  isAddressAllowed,
  resolvedAddressProblem,
  type AddressClass,
} from "../../src/net/address-policy.js";

describe("classifyAddress", () => {
  it.each<[string, AddressClass]>([
    ["8.8.8.8", "public"],
    ["1.1.1.1", "public"],
    ["93.184.216.34", "public"],
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["10.0.0.1", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["169.254.1.1", "link_local"],
    ["100.64.0.1", "cgnat"],
    ["100.127.255.255", "cgnat"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["240.0.0.1", "reserved"],
    ["192.0.0.8", "reserved"],
    ["192.88.99.1", "reserved"],
    ["192.0.2.1", "documentation"],
    ["198.51.100.7", "documentation"],
    ["203.0.113.9", "documentation"],
    ["198.18.0.1", "benchmarking"],
    ["198.19.255.255", "benchmarking"],
    ["169.254.169.254", "metadata"],
    ["169.254.170.2", "metadata"],
    ["100.100.100.200", "metadata"],
    ["168.63.129.16", "metadata"],
  ])("classifies IPv4 %s as %s", (ip, cls) => {
    expect(classifyAddress(ip)).toBe(cls);
  });

  it.each<[string, AddressClass]>([
    ["172.15.255.255", "public"],
    ["172.32.0.0", "public"],
    ["100.63.255.255", "public"],
    ["100.128.0.0", "public"],
    ["198.17.255.255", "public"],
    ["198.20.0.0", "public"],
    ["223.255.255.255", "public"],
  ])("treats the IPv4 range edge %s as %s", (ip, cls) => {
    expect(classifyAddress(ip)).toBe(cls);
  });

  it.each<[string, AddressClass]>([
    ["0177.0.0.1", "loopback"],
    ["0x7f.1", "loopback"],
    ["2130706433", "loopback"],
    ["012.0.0.1", "private"],
  ])("reads the inet_aton form %s as %s", (ip, cls) => {
    expect(classifyAddress(ip)).toBe(cls);
  });

  it.each<[string, AddressClass]>([
    ["2606:4700:4700::1111", "public"],
    ["2001:4860:4860::8888", "public"],
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["fc00::1", "private"],
    ["fd12:3456:789a::1", "private"],
    ["fec0::1", "private"],
    ["fe80::1", "link_local"],
    ["fe80::1%eth0", "link_local"],
    ["ff02::1", "multicast"],
    ["2001:db8::1", "documentation"],
    ["3fff::1", "documentation"],
    ["2001:2::1", "benchmarking"],
    ["100::1", "reserved"],
    ["2001::1", "reserved"],
    ["2001:20::1", "reserved"],
    ["5f00::1", "reserved"],
    ["4000::1", "reserved"],
    ["64:ff9b:1::a00:1", "reserved"],
    ["fd00:ec2::254", "metadata"],
  ])("classifies IPv6 %s as %s", (ip, cls) => {
    expect(classifyAddress(ip)).toBe(cls);
  });

  it.each<[string, AddressClass]>([
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:a9fe:a9fe", "metadata"],
    ["::ffff:8.8.8.8", "public"],
  ])("classifies the IPv4-mapped address %s by its embedded IPv4 as %s", (ip, cls) => {
    expect(classifyAddress(ip)).toBe(cls);
  });

  it.each<[string, AddressClass]>([
    ["64:ff9b::10.1.2.3", "private"],
    ["64:ff9b::169.254.169.254", "metadata"],
    ["64:ff9b::8.8.8.8", "public"],
    ["2002:c0a8:101::1", "private"],
    ["2002:a9fe:a9fe::", "metadata"],
    ["2002:808:808::1", "public"],
  ])("classifies the NAT64 / 6to4 address %s by its embedded IPv4 as %s", (ip, cls) => {
    expect(classifyAddress(ip)).toBe(cls);
  });

  it.each<[string, AddressClass]>([
    ["::10.0.0.1", "private"],
    ["::8.8.8.8", "reserved"],
    ["::ffff:0:a9fe:a9fe", "metadata"],
    ["::ffff:0:808:808", "reserved"],
  ])("never treats the deprecated IPv4-compatible or translated form %s as public (%s)", (ip, cls) => {
    expect(classifyAddress(ip)).toBe(cls);
  });

  // Regression: these were "loopback", so dev mode let them through, yet they reach a NAT64 translator,
  // a 6to4 relay or nothing at all, never this host.
  it.each(["64:ff9b::7f00:1", "64:ff9b::127.0.0.2", "2002:7f00:1::1", "::127.0.0.1", "::7f00:1", "::ffff:0:7f00:1"])(
    "classifies the gateway form %s of a loopback IPv4 as reserved, not loopback",
    (ip) => {
      expect(classifyAddress(ip)).toBe("reserved");
      expect(isAddressAllowed(ip, { allowLoopback: true })).toBe(false);
    },
  );

  it("keeps the IPv4-mapped loopback (delivered to this host by a dual-stack socket) as loopback", () => {
    expect(classifyAddress("::ffff:127.0.0.2")).toBe("loopback");
  });

  it.each(["", "localhost", "example.com", "[::1]", " 1.2.3.4", "1.2.3.4.5", "::ffff::1::", "256.0.0.1", "1.2.3.4/24"])(
    "classifies the non-address %j as invalid",
    (ip) => {
      expect(classifyAddress(ip)).toBe("invalid");
    },
  );
});

describe("isAddressAllowed", () => {
  it("allows a public address", () => {
    expect(isAddressAllowed("8.8.8.8", { allowLoopback: false })).toBe(true);
    expect(isAddressAllowed("2606:4700:4700::1111", { allowLoopback: false })).toBe(true);
  });

  it("refuses loopback unless allowed", () => {
    expect(isAddressAllowed("127.0.0.1", { allowLoopback: false })).toBe(false);
    expect(isAddressAllowed("::1", { allowLoopback: false })).toBe(false);
    expect(isAddressAllowed("127.0.0.1", { allowLoopback: true })).toBe(true);
    expect(isAddressAllowed("::ffff:127.0.0.1", { allowLoopback: true })).toBe(true);
  });

  it.each(["10.0.0.1", "169.254.169.254", "fd00:ec2::254", "0.0.0.0", "::", "fe80::1", "garbage"])(
    "refuses %s even when loopback is allowed",
    (ip) => {
      expect(isAddressAllowed(ip, { allowLoopback: true })).toBe(false);
    },
  );
});

describe("resolvedAddressProblem", () => {
  it("returns undefined for a public address", () => {
    expect(resolvedAddressProblem("8.8.8.8", { dev: false })).toBeUndefined();
  });

  it("names the address and its class", () => {
    expect(resolvedAddressProblem("10.0.0.1", { dev: true })).toBe("address 10.0.0.1 is a private address");
    expect(resolvedAddressProblem("169.254.169.254", { dev: true })).toBe(
      "address 169.254.169.254 is a cloud metadata address",
    );
  });

  it("allows loopback only in dev mode and says how to enable it", () => {
    expect(resolvedAddressProblem("127.0.0.1", { dev: true })).toBeUndefined();
    expect(resolvedAddressProblem("127.0.0.1", { dev: false })).toBe(
      "address 127.0.0.1 is a loopback address (set TETHER_DEV=1 to allow it)",
    );
  });
});

function problemOf(raw: string, dev = false): string | undefined {
  const r = checkEndpointUrl(raw, { dev });
  return r.ok ? undefined : r.problem;
}

describe("checkEndpointUrl", () => {
  it("accepts an https URL with a public host name and returns the parsed URL", () => {
    const r = checkEndpointUrl("https://hooks.example.com:8443/zitadel?x=1", { dev: false });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.url.host).toBe("hooks.example.com:8443");
  });

  it("accepts a public IP literal", () => {
    expect(problemOf("https://8.8.8.8/hook")).toBeUndefined();
    expect(problemOf("https://[2606:4700:4700::1111]/hook")).toBeUndefined();
  });

  it("accepts a host name without resolving it", () => {
    expect(problemOf("https://does-not-exist.invalid/hook")).toBeUndefined();
  });

  it.each(["", "not a url", "/relative/path", "example.com/hook", "https://"])("rejects the non-absolute URL %j", (raw) => {
    expect(problemOf(raw)).toBe("must be an absolute URL");
  });

  it("rejects http outside dev mode and says how to allow it", () => {
    expect(problemOf("http://example.com/hook")).toBe("must use https (set TETHER_DEV=1 to allow http)");
  });

  it("accepts http in dev mode", () => {
    expect(problemOf("http://example.com/hook", true)).toBeUndefined();
  });

  it.each(["ftp://example.com/x", "file:///etc/passwd", "ws://example.com/", "javascript:alert(1)", "data:text/plain,hi"])(
    "rejects the non-http scheme of %s",
    (raw) => {
      expect(problemOf(raw)).toBe("must use https");
      expect(problemOf(raw, true)).toBe("must use http or https");
    },
  );

  it.each(["https://user:pass@example.com/", "https://user@example.com/", "https://:secret@example.com/"])(
    "rejects the userinfo in %s because endpoints are shown on reads",
    (raw) => {
      expect(problemOf(raw, true)).toBe("must not contain a user name or password");
    },
  );

  it.each([
    ["https://10.0.0.1/", "host 10.0.0.1 is a private address"],
    ["https://192.168.0.10:8443/", "host 192.168.0.10 is a private address"],
    ["https://169.254.169.254/latest/meta-data", "host 169.254.169.254 is a cloud metadata address"],
    ["https://[fd00:ec2::254]/", "host fd00:ec2::254 is a cloud metadata address"],
    ["https://[fe80::1]/", "host fe80::1 is a link-local address"],
    ["https://[fc00::1]/", "host fc00::1 is a private address"],
    ["https://0.0.0.0/", "host 0.0.0.0 is an unspecified address"],
    ["https://100.64.1.1/", "host 100.64.1.1 is a carrier-grade NAT address"],
    ["https://198.18.0.1/", "host 198.18.0.1 is a benchmarking address"],
    ["https://255.255.255.255/", "host 255.255.255.255 is a broadcast address"],
    ["https://[ff02::1]/", "host ff02::1 is a multicast address"],
  ])("rejects %s even in dev mode", (raw, problem) => {
    expect(problemOf(raw)).toBe(problem);
    expect(problemOf(raw, true)).toBe(problem);
  });

  it.each([
    ["https://2130706433/", "127.0.0.1"],
    ["https://0x7f.1/", "127.0.0.1"],
    ["https://0177.0.0.1/", "127.0.0.1"],
    ["https://127.1/", "127.0.0.1"],
    ["https://127.0.0.1./", "127.0.0.1"],
    ["https://[::ffff:127.0.0.1]/", "::ffff:7f00:1"],
    ["https://[::1]/", "::1"],
  ])("sees through the loopback spelling %s", (raw, host) => {
    expect(problemOf(raw)).toBe(`host ${host} is a loopback address (set TETHER_DEV=1 to allow it)`);
    expect(problemOf(raw, true)).toBeUndefined();
  });

  it.each(["https://0xa9.0xfe.0xa9.0xfe/", "https://2852039166/", "https://[::ffff:a9fe:a9fe]/", "https://168.63.129.16/"])(
    "sees through the metadata spelling %s",
    (raw) => {
      expect(problemOf(raw, true)).toMatch(/is a cloud metadata address$/);
    },
  );

  it.each(["localhost", "LOCALHOST", "localhost.", "api.localhost", "localhost.localdomain", "ip6-localhost", "localhost6", "localhost6.localdomain6"])(
    "treats the host name %s as loopback, allowed only in dev mode",
    (host) => {
      expect(problemOf(`https://${host}:9000/hook`)).toMatch(/is a loopback address \(set TETHER_DEV=1 to allow it\)$/);
      expect(problemOf(`http://${host}:9000/hook`, true)).toBeUndefined();
    },
  );

  it.each([
    "metadata",
    "metadata.google.internal",
    "METADATA.GOOGLE.INTERNAL.",
    "metadata.goog",
    "instance-data",
    "instance-data.ec2.internal",
    "metadata.tencentyun.com",
  ])("always refuses the metadata host name %s", (host) => {
    expect(problemOf(`http://${host}/computeMetadata/v1/`, true)).toMatch(/is a cloud metadata address$/);
  });

  it.each([
    ["https://[64:ff9b::7f00:1]/", "host 64:ff9b::7f00:1 is a reserved address"],
    ["https://[2002:7f00:1::]/", "host 2002:7f00:1:: is a reserved address"],
    ["https://[::127.0.0.1]/", "host ::7f00:1 is a reserved address"],
  ])("refuses the NAT64 / 6to4 / IPv4-compatible loopback %s even in dev mode", (raw, problem) => {
    expect(problemOf(raw)).toBe(problem);
    expect(problemOf(raw, true)).toBe(problem);
  });

  it("does not mistake names that merely contain localhost or metadata for them", () => {
    expect(problemOf("https://localhost.example.com/")).toBeUndefined();
    expect(problemOf("https://mylocalhost/")).toBeUndefined();
    expect(problemOf("https://metadata.example.com/")).toBeUndefined();
  });
});
