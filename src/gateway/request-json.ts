// Builds the protobuf-JSON request of a REST call from its body, path variables and query string.
import { ScalarType, type DescField, type DescMessage, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { HttpRoute, PathParam } from "./http-rules.js";

/** Well-known types whose JSON form is a string, so a query parameter can carry them. */
const STRING_JSON_MESSAGES = new Set([
  "google.protobuf.Timestamp",
  "google.protobuf.Duration",
  "google.protobuf.FieldMask",
  "google.protobuf.StringValue",
  "google.protobuf.BytesValue",
  "google.protobuf.BoolValue",
  "google.protobuf.Int32Value",
  "google.protobuf.UInt32Value",
  "google.protobuf.Int64Value",
  "google.protobuf.UInt64Value",
  "google.protobuf.FloatValue",
  "google.protobuf.DoubleValue",
]);

/**
 * Combines the parsed body (per the route's body mapping), the query string (only for fields the body does
 * not cover) and the path variables (which win over both) into one JSON object for the request message.
 */
export function requestJson(route: HttpRoute, body: JsonValue | undefined, params: readonly PathParam[], query: URLSearchParams): JsonObject {
  const json = bodyJson(route, body);
  if (route.body.kind !== "all") applyQuery(json, route.method.input, query);
  for (const param of params) setFieldPath(json, param.fieldPath, scalarFromText(last(param.fieldPath), param.value));
  return json;
}

function bodyJson(route: HttpRoute, body: JsonValue | undefined): JsonObject {
  switch (route.body.kind) {
    case "none":
      // grpc-gateway ignores a body the rule does not map; so do we (clients often send `{}`).
      return {};
    case "all":
      if (body === undefined) return {};
      if (typeof body !== "object" || body === null || Array.isArray(body))
        throw new ConnectError("request body must be a JSON object", Code.InvalidArgument);
      return { ...body };
    case "field":
      return body === undefined ? {} : { [route.body.field.jsonName]: body };
  }
}

// Query keys are dotted field paths in snake_case or lowerCamelCase; unknown keys are ignored, as grpc-gateway does.
function applyQuery(json: JsonObject, input: DescMessage, query: URLSearchParams): void {
  for (const key of new Set(query.keys())) {
    const fieldPath = queryFieldPath(input, key);
    if (!fieldPath) continue;
    const field = last(fieldPath);
    const values = query.getAll(key).map((v) => scalarFromText(field, v));
    setFieldPath(json, fieldPath, field.fieldKind === "list" ? values : (values[values.length - 1] ?? null));
  }
}

function queryFieldPath(input: DescMessage, key: string): DescField[] | undefined {
  const fields: DescField[] = [];
  let message: DescMessage | undefined = input;
  for (const name of key.split(".")) {
    const field: DescField | undefined = message?.fields.find((f) => f.name === name || f.jsonName === name);
    if (!field) return undefined;
    fields.push(field);
    message = field.fieldKind === "message" && !STRING_JSON_MESSAGES.has(field.message.typeName) ? field.message : undefined;
  }
  const field = last(fields);
  const settable =
    field.fieldKind === "scalar" ||
    field.fieldKind === "enum" ||
    (field.fieldKind === "message" && STRING_JSON_MESSAGES.has(field.message.typeName)) ||
    (field.fieldKind === "list" && field.listKind !== "message");
  return settable ? fields : undefined;
}

// Converts a path or query string to the JSON value protobuf-JSON expects for the field.
function scalarFromText(field: DescField, text: string): JsonValue {
  const scalar = field.fieldKind === "scalar" || (field.fieldKind === "list" && field.listKind === "scalar") ? field.scalar : undefined;
  if (scalar === ScalarType.BOOL) {
    if (text === "true" || text === "false") return text === "true";
    throw new ConnectError(`${field.name}: "${text}" is not a boolean`, Code.InvalidArgument);
  }
  const isEnum = field.fieldKind === "enum" || (field.fieldKind === "list" && field.listKind === "enum");
  // Enum values may be given by name or number; numbers must be JSON numbers to be read as numbers.
  if (isEnum && /^-?\d+$/.test(text)) return Number(text);
  // Numeric scalars stay strings: protobuf-JSON accepts quoted numbers for every numeric type.
  return text;
}

/** Sets a value at a field path using JSON names, removing a snake_case alias so the field is not set twice. */
function setFieldPath(json: JsonObject, fieldPath: readonly DescField[], value: JsonValue): void {
  let target = json;
  fieldPath.forEach((field, i) => {
    const existing = target[field.jsonName] ?? target[field.name];
    delete target[field.name];
    if (i === fieldPath.length - 1) {
      target[field.jsonName] = value;
      return;
    }
    const next: JsonObject = typeof existing === "object" && existing !== null && !Array.isArray(existing) ? { ...existing } : {};
    target[field.jsonName] = next;
    target = next;
  });
}

function last<T>(items: readonly T[]): T {
  const item = items[items.length - 1];
  if (item === undefined) throw new Error("empty field path");
  return item;
}
