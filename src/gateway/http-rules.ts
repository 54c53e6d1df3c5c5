// The google.api.http annotations of the mounted services, compiled into a route table for the REST gateway.
import { hasOption, getOption, type DescField, type DescMessage, type DescMethod, type DescService } from "@bufbuild/protobuf";
import { http } from "../../gen/google/api/annotations_pb.js";
import type { HttpRule } from "../../gen/google/api/http_pb.js";

/** How an HTTP request body maps onto the request message: not at all, as the whole message, or into one field. */
export type BodyMapping = { kind: "none" } | { kind: "all" } | { kind: "field"; field: DescField };

/** One HTTP binding of an RPC (a rule or one of its `additional_bindings`). */
export interface HttpRoute {
  /** Upper-case HTTP verb, e.g. `POST`; a `custom` pattern keeps its `kind` upper-cased. */
  verb: string;
  /** The path template as written in the proto, e.g. `/v2/actions/targets/{id}`. */
  template: string;
  method: DescMethod;
  body: BodyMapping;
  /** The response field to send instead of the whole response (`response_body`), if any. */
  responseBody: DescField | undefined;
  /** The field path each capture group of `pattern` sets, in order. */
  variables: DescField[][];
  /** Matches the raw (still percent-encoded) request path. */
  pattern: RegExp;
  /** Specificity per segment (literal 2, single wildcard 1, multi-segment 0); higher sorts first. */
  rank: number[];
}

/** A path variable bound by a match, already percent-decoded. */
export interface PathParam {
  fieldPath: DescField[];
  value: string;
}

/** The outcome of looking a request up in the table. */
export type RouteMatch =
  | { kind: "matched"; route: HttpRoute; params: PathParam[] }
  | { kind: "wrong_verb"; allowed: string[] }
  | { kind: "bad_path"; message: string }
  | { kind: "no_route" };

/** The compiled routes of some services, with literal segments ranked above variables. */
export interface HttpRouteTable {
  readonly routes: readonly HttpRoute[];
  /** Finds the route for a verb and a raw path (without the query string). */
  match(verb: string, path: string): RouteMatch;
}

/** Raised at startup for an annotation the gateway cannot serve. */
export class HttpRuleError extends Error {
  override name = "HttpRuleError";
}

type Segment =
  | { kind: "literal"; value: string }
  | { kind: "wildcard" }
  | { kind: "multi" }
  | { kind: "variable"; fieldPath: string; segments: Segment[] };

/** Builds the route table for every annotated method of the given services. */
export function createHttpRouteTable(services: readonly DescService[]): HttpRouteTable {
  const routes = services.flatMap((service) => service.methods.flatMap(routesOfMethod));
  // Literal segments beat variables (`POST .../targets/search` is ListTargets, not UpdateTarget with id "search").
  routes.sort((a, b) => compareRanks(b.rank, a.rank));
  return {
    routes,
    match(verb, path) {
      const allowed = new Set<string>();
      for (const route of routes) {
        const found = route.pattern.exec(path);
        if (!found) continue;
        if (route.verb !== verb) {
          allowed.add(route.verb);
          continue;
        }
        try {
          const params = route.variables.map((fieldPath, i) => ({ fieldPath, value: decodePathValue(found[i + 1] ?? "") }));
          return { kind: "matched", route, params };
        } catch {
          return { kind: "bad_path", message: `malformed percent-encoding in path ${path}` };
        }
      }
      return allowed.size > 0 ? { kind: "wrong_verb", allowed: [...allowed].sort() } : { kind: "no_route" };
    },
  };
}

/** Reads the `google.api.http` rule of a method, with its additional bindings, as routes. */
export function routesOfMethod(method: DescMethod): HttpRoute[] {
  if (!hasOption(method, http)) return [];
  const rule = getOption(method, http);
  return [rule, ...rule.additionalBindings].map((binding) => compileRule(method, binding));
}

function compileRule(method: DescMethod, rule: HttpRule): HttpRoute {
  const where = `${method.parent.typeName}.${method.name}`;
  const { verb, template } = verbAndTemplate(rule, where);
  const { segments, customVerb } = parseTemplate(template, where);
  const variables: DescField[][] = [];
  const parts = segments.map((segment) => segmentPattern(segment, method.input, variables, where));
  const pattern = new RegExp(`^/${parts.join("/")}${customVerb === undefined ? "" : `:${escapeRegExp(customVerb)}`}$`);
  return {
    verb,
    template,
    method,
    body: bodyMapping(rule.body, method.input, where),
    responseBody: rule.responseBody === "" ? undefined : topLevelField(method.output, rule.responseBody, where),
    variables,
    pattern,
    rank: segments.map((s) => (s.kind === "literal" ? 2 : s.kind === "multi" || (s.kind === "variable" && s.segments.some((x) => x.kind === "multi")) ? 0 : 1)),
  };
}

function verbAndTemplate(rule: HttpRule, where: string): { verb: string; template: string } {
  switch (rule.pattern.case) {
    case "get":
    case "put":
    case "post":
    case "delete":
    case "patch":
      return { verb: rule.pattern.case.toUpperCase(), template: rule.pattern.value };
    case "custom":
      return { verb: rule.pattern.value.kind.toUpperCase(), template: rule.pattern.value.path };
    default:
      throw new HttpRuleError(`${where}: google.api.http rule without a pattern`);
  }
}

function bodyMapping(body: string, input: DescMessage, where: string): BodyMapping {
  if (body === "") return { kind: "none" };
  if (body === "*") return { kind: "all" };
  return { kind: "field", field: topLevelField(input, body, where) };
}

function topLevelField(message: DescMessage, name: string, where: string): DescField {
  const field = message.fields.find((f) => f.name === name);
  if (!field) throw new HttpRuleError(`${where}: ${message.typeName} has no field "${name}"`);
  return field;
}

// Template = "/" Segments [ Verb ]; Segment = "*" | "**" | LITERAL | "{" FieldPath [ "=" Segments ] "}".
function parseTemplate(template: string, where: string): { segments: Segment[]; customVerb: string | undefined } {
  if (!template.startsWith("/")) throw new HttpRuleError(`${where}: path template "${template}" must start with "/"`);
  const raw = splitOutsideBraces(template.slice(1), "/");
  const last = raw[raw.length - 1] ?? "";
  const [lastSegment, customVerb] = splitVerb(last);
  raw[raw.length - 1] = lastSegment;
  const segments = raw.map((text) => parseSegment(text, template, where, true));
  return { segments, customVerb };
}

function parseSegment(text: string, template: string, where: string, allowVariable: boolean): Segment {
  if (text === "*") return { kind: "wildcard" };
  if (text === "**") return { kind: "multi" };
  if (allowVariable && text.startsWith("{") && text.endsWith("}")) {
    const inner = text.slice(1, -1);
    const eq = inner.indexOf("=");
    const fieldPath = eq < 0 ? inner : inner.slice(0, eq);
    const sub = eq < 0 ? ["*"] : inner.slice(eq + 1).split("/");
    return { kind: "variable", fieldPath, segments: sub.map((s) => parseSegment(s, template, where, false)) };
  }
  if (text === "" || /[{}*]/.test(text)) throw new HttpRuleError(`${where}: cannot parse segment "${text}" of "${template}"`);
  return { kind: "literal", value: text };
}

function segmentPattern(segment: Segment, input: DescMessage, variables: DescField[][], where: string): string {
  switch (segment.kind) {
    case "literal":
      return escapeRegExp(segment.value);
    case "wildcard":
      return "[^/]+";
    case "multi":
      return "[^/]+(?:/[^/]+)*";
    case "variable":
      variables.push(resolveFieldPath(input, segment.fieldPath, where));
      return `(${segment.segments.map((s) => segmentPattern(s, input, variables, where)).join("/")})`;
  }
}

// A path variable names a dotted proto field path (`a.b`); the last field must be a singular scalar or enum.
function resolveFieldPath(input: DescMessage, path: string, where: string): DescField[] {
  const fields: DescField[] = [];
  let message: DescMessage | undefined = input;
  for (const name of path.split(".")) {
    const field: DescField | undefined = message?.fields.find((f) => f.name === name);
    if (!field) throw new HttpRuleError(`${where}: path variable "${path}" names no field of ${input.typeName}`);
    fields.push(field);
    message = field.fieldKind === "message" ? field.message : undefined;
  }
  const last = fields[fields.length - 1];
  if (!last || (last.fieldKind !== "scalar" && last.fieldKind !== "enum"))
    throw new HttpRuleError(`${where}: path variable "${path}" must name a singular scalar or enum field`);
  return fields;
}

function splitOutsideBraces(text: string, separator: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "{") depth++;
    else if (c === "}") depth--;
    else if (c === separator && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

function splitVerb(lastSegment: string): [string, string | undefined] {
  const parts = splitOutsideBraces(lastSegment, ":");
  if (parts.length === 1) return [lastSegment, undefined];
  return [parts.slice(0, -1).join(":"), parts[parts.length - 1]];
}

// Variables spanning segments keep their "/" separators; each segment is decoded on its own.
function decodePathValue(raw: string): string {
  return raw.split("/").map(decodeURIComponent).join("/");
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
