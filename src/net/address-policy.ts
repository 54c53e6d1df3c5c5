import ipaddr from "ipaddr.js";

type IPv4 = ipaddr.IPv4;
type IPv6 = ipaddr.IPv6;

/** What kind of address an IP is, as far as calling a target is concerned; only "public" is reachable by default. */
export type AddressClass =
  | "public"
  | "loopback"
  | "private"
  | "link_local"
  | "cgnat"
  | "unspecified"
  | "multicast"
  | "broadcast"
  | "documentation"
  | "benchmarking"
  | "metadata"
  | "reserved"
  | "invalid";

type Table<T> = ReadonlyArray<readonly [T, number, AddressClass]>;

function v4Table(rows: ReadonlyArray<readonly [string, AddressClass]>): Table<IPv4> {
  return rows.map(([cidr, cls]) => {
    const [addr, bits] = ipaddr.IPv4.parseCIDR(cidr);
    return [addr, bits, cls] as const;
  });
}

function v6Table(rows: ReadonlyArray<readonly [string, AddressClass]>): Table<IPv6> {
  return rows.map(([cidr, cls]) => {
    const [addr, bits] = ipaddr.IPv6.parseCIDR(cidr);
    return [addr, bits, cls] as const;
  });
}

// First match wins, so the metadata hosts come before the ranges that contain them.
// Sources: IANA IPv4/IPv6 Special-Purpose Address Registries and the cloud providers' metadata docs.
const V4_RANGES = v4Table([
  ["169.254.169.254/32", "metadata"], // AWS, GCP, Azure, OpenStack, Oracle, DigitalOcean
  ["169.254.170.2/32", "metadata"], // AWS ECS task metadata
  ["100.100.100.200/32", "metadata"], // Alibaba Cloud
  ["168.63.129.16/32", "metadata"], // Azure WireServer (VM agent configuration); public space, reachable only from inside Azure
  ["0.0.0.0/8", "unspecified"], // "this network"; 0.0.0.0 reaches the local host on Linux
  ["10.0.0.0/8", "private"],
  ["172.16.0.0/12", "private"],
  ["192.168.0.0/16", "private"],
  ["100.64.0.0/10", "cgnat"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link_local"],
  ["192.0.0.0/24", "reserved"], // IETF protocol assignments
  ["192.0.2.0/24", "documentation"],
  ["198.51.100.0/24", "documentation"],
  ["203.0.113.0/24", "documentation"],
  ["192.88.99.0/24", "reserved"], // deprecated 6to4 relay anycast
  ["198.18.0.0/15", "benchmarking"],
  ["224.0.0.0/4", "multicast"],
  ["255.255.255.255/32", "broadcast"],
  ["240.0.0.0/4", "reserved"],
]);

// These exact addresses sit inside ranges handled below (::/96, fc00::/7), so they are checked first.
const V6_EXACT = v6Table([
  ["fd00:ec2::254/128", "metadata"], // AWS IMDS over IPv6
  ["::/128", "unspecified"],
  ["::1/128", "loopback"],
]);

const V6_RANGES = v6Table([
  ["64:ff9b:1::/48", "reserved"], // local-use NAT64 (RFC 8215): where the IPv4 sits varies, so refuse
  ["100::/64", "reserved"], // discard-only
  ["2001::/32", "reserved"], // Teredo: relay-dependent tunnelling with an obfuscated client address
  ["2001:2::/48", "benchmarking"],
  ["2001::/23", "reserved"], // IETF protocol assignments (ORCHID, AMT, ...)
  ["2001:db8::/32", "documentation"],
  ["3fff::/20", "documentation"],
  ["5f00::/16", "reserved"], // SRv6 SIDs
  ["fc00::/7", "private"], // unique local
  ["fe80::/10", "link_local"],
  ["fec0::/10", "private"], // deprecated site-local
  ["ff00::/8", "multicast"],
]);

// Prefixes whose low bits carry an IPv4 address that the packet is ultimately delivered to.
const [V4_MAPPED, V4_MAPPED_BITS] = ipaddr.IPv6.parseCIDR("::ffff:0:0/96");
const [NAT64, NAT64_BITS] = ipaddr.IPv6.parseCIDR("64:ff9b::/96");
const [V4_TRANSLATED, V4_TRANSLATED_BITS] = ipaddr.IPv6.parseCIDR("::ffff:0:0:0/96");
const [V4_COMPATIBLE, V4_COMPATIBLE_BITS] = ipaddr.IPv6.parseCIDR("::/96");
const [SIX_TO_FOUR, SIX_TO_FOUR_BITS] = ipaddr.IPv6.parseCIDR("2002::/16");
const [GLOBAL_UNICAST, GLOBAL_UNICAST_BITS] = ipaddr.IPv6.parseCIDR("2000::/3");

function classifyV4(addr: IPv4): AddressClass {
  for (const [net, bits, cls] of V4_RANGES) if (addr.match(net, bits)) return cls;
  return "public";
}

function v4FromParts(hi: number, lo: number): IPv4 {
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
}

/**
 * An embedded IPv4 decides the class unless it is public, in which case the wrapper's own verdict applies.
 * Through a translator or tunnel (`viaGateway`) an embedded loopback reaches that gateway, never this host,
 * so it is "reserved" there: refused even in dev mode, which allows only this host's own loopback.
 */
function embedded(v4: IPv4, whenPublic: AddressClass, viaGateway: boolean): AddressClass {
  const cls = classifyV4(v4);
  if (cls === "public") return whenPublic;
  return cls === "loopback" && viaGateway ? "reserved" : cls;
}

function classifyV6(addr: IPv6): AddressClass {
  const p = addr.parts;
  for (const [net, bits, cls] of V6_EXACT) if (addr.match(net, bits)) return cls;
  // A dual-stack socket delivers an IPv4-mapped address to the IPv4 itself, on this host.
  if (addr.match(V4_MAPPED, V4_MAPPED_BITS)) return embedded(v4FromParts(p[6]!, p[7]!), "public", false);
  if (addr.match(NAT64, NAT64_BITS)) return embedded(v4FromParts(p[6]!, p[7]!), "public", true);
  if (addr.match(SIX_TO_FOUR, SIX_TO_FOUR_BITS)) return embedded(v4FromParts(p[1]!, p[2]!), "public", true);
  // Deprecated forms some stacks still route: never public, but name the embedded class when it is worse.
  if (addr.match(V4_TRANSLATED, V4_TRANSLATED_BITS)) return embedded(v4FromParts(p[6]!, p[7]!), "reserved", true);
  if (addr.match(V4_COMPATIBLE, V4_COMPATIBLE_BITS)) return embedded(v4FromParts(p[6]!, p[7]!), "reserved", true);
  for (const [net, bits, cls] of V6_RANGES) if (addr.match(net, bits)) return cls;
  // Only 2000::/3 is allocated as global unicast; everything else is unassigned.
  return addr.match(GLOBAL_UNICAST, GLOBAL_UNICAST_BITS) ? "public" : "reserved";
}

/**
 * Rewrites a trailing dotted quad in IPv6 text to two hex groups, because ipaddr.js reads any
 * `::a.b.c.d` as IPv4-mapped, whereas it is the (deprecated) IPv4-compatible `::a.b.c.d` = `::XXXX:XXXX`.
 */
function dottedTailToHex(ip: string): string {
  const m = /^(.*:)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})(%.*)?$/.exec(ip);
  if (m === null || !ipaddr.IPv4.isValidFourPartDecimal(m[2]!)) return ip;
  const [a, b, c, d] = ipaddr.IPv4.parse(m[2]!).octets as [number, number, number, number];
  return `${m[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}${m[3] ?? ""}`;
}

/** Classifies an IP address string (IPv4 in any inet_aton form, or IPv6 without brackets); unparsable input is "invalid". */
export function classifyAddress(ip: string): AddressClass {
  let addr: IPv4 | IPv6;
  try {
    addr = ipaddr.parse(ip.includes(":") ? dottedTailToHex(ip) : ip);
  } catch {
    return "invalid";
  }
  return addr.kind() === "ipv4" ? classifyV4(addr as IPv4) : classifyV6(addr as IPv6);
}

/** Whether a target may be called at this address: public unicast only, plus loopback when `allowLoopback`. */
export function isAddressAllowed(ip: string, opts: { allowLoopback: boolean }): boolean {
  const cls = classifyAddress(ip);
  return cls === "public" || (cls === "loopback" && opts.allowLoopback);
}

const CLASS_PHRASE: Record<AddressClass, string> = {
  public: "a public address",
  loopback: "a loopback address",
  private: "a private address",
  link_local: "a link-local address",
  cgnat: "a carrier-grade NAT address",
  unspecified: "an unspecified address",
  multicast: "a multicast address",
  broadcast: "a broadcast address",
  documentation: "a documentation address",
  benchmarking: "a benchmarking address",
  metadata: "a cloud metadata address",
  reserved: "a reserved address",
  invalid: "not a valid IP address",
};

const DEV_HINT = "set TETHER_DEV=1 to allow it";

function classProblem(subject: string, cls: AddressClass, dev: boolean): string | undefined {
  if (cls === "public" || (cls === "loopback" && dev)) return undefined;
  const hint = cls === "loopback" ? ` (${DEV_HINT})` : "";
  return `${subject} is ${CLASS_PHRASE[cls]}${hint}`;
}

/** Connect-time check of one resolved address; returns a short sentence when it must not be called, undefined when it may. */
export function resolvedAddressProblem(ip: string, opts: { dev: boolean }): string | undefined {
  return classProblem(`address ${ip}`, classifyAddress(ip), opts.dev);
}

// Names that /etc/hosts or the resolver map to the local machine without DNS.
const LOOPBACK_NAMES = new Set(["localhost", "localhost.localdomain", "localhost6", "localhost6.localdomain6", "ip6-localhost", "ip6-loopback"]);

// Names cloud resolvers answer with the instance metadata service; refused even in dev mode.
const METADATA_NAMES = new Set([
  "metadata",
  "metadata.google.internal",
  "metadata.goog",
  "instance-data",
  "instance-data.ec2.internal",
  "metadata.tencentyun.com",
]);

function hostNameProblem(host: string, dev: boolean): string | undefined {
  // A trailing dot makes the name absolute but resolves the same; compare without it.
  const name = host.replace(/\.+$/, "");
  if (METADATA_NAMES.has(name)) return `host ${host} is ${CLASS_PHRASE.metadata}`;
  if (LOOPBACK_NAMES.has(name) || name.endsWith(".localhost")) return classProblem(`host ${host}`, "loopback", dev);
  return undefined;
}

/** Whether a WHATWG-normalised host is an IP literal; the URL parser has already canonicalised IPv4 to dotted decimal. */
function ipLiteral(host: string): string | undefined {
  if (host.startsWith("[") && host.endsWith("]")) return host.slice(1, -1);
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) ? host : undefined;
}

/** The outcome of a save-time endpoint check: the parsed URL, or a short sentence saying what is wrong. */
export type EndpointCheck = { ok: true; url: URL } | { ok: false; problem: string };

/** Save-time check of a target endpoint: absolute https URL (http in dev), no credentials, no private, loopback (unless dev) or metadata host; names are not resolved here. */
export function checkEndpointUrl(raw: string, opts: { dev: boolean }): EndpointCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, problem: "must be an absolute URL" };
  }
  if (url.protocol !== "https:" && !(opts.dev && url.protocol === "http:")) {
    if (url.protocol === "http:") return { ok: false, problem: "must use https (set TETHER_DEV=1 to allow http)" };
    return { ok: false, problem: opts.dev ? "must use http or https" : "must use https" };
  }
  if (url.hostname === "") return { ok: false, problem: "must include a host" };
  // The endpoint is returned by Get/List, so credentials in it would leak to every reader.
  if (url.username !== "" || url.password !== "") {
    return { ok: false, problem: "must not contain a user name or password" };
  }
  const literal = ipLiteral(url.hostname);
  const problem =
    literal !== undefined
      ? classProblem(`host ${literal}`, classifyAddress(literal), opts.dev)
      : hostNameProblem(url.hostname, opts.dev);
  return problem === undefined ? { ok: true, url } : { ok: false, problem };
}
