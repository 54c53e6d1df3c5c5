// google.rpc.Status JSON and the HTTP status grpc-gateway uses for each code.
import { create, fromBinary, toJson, type JsonObject, type JsonValue, type Registry } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";

// grpc-gateway's runtime.HTTPStatusFromCode; CANCELED is nginx's 499 "client closed request".
const HTTP_STATUS: Record<Code, number> = {
  [Code.Canceled]: 499,
  [Code.Unknown]: 500,
  [Code.InvalidArgument]: 400,
  [Code.DeadlineExceeded]: 504,
  [Code.NotFound]: 404,
  [Code.AlreadyExists]: 409,
  [Code.PermissionDenied]: 403,
  [Code.ResourceExhausted]: 429,
  [Code.FailedPrecondition]: 400,
  [Code.Aborted]: 409,
  [Code.OutOfRange]: 400,
  [Code.Unimplemented]: 501,
  [Code.Internal]: 500,
  [Code.Unavailable]: 503,
  [Code.DataLoss]: 500,
  [Code.Unauthenticated]: 401,
};

/** The HTTP status a REST error with this code is sent with (500 for anything unexpected). */
export function httpStatusFromCode(code: Code): number {
  return HTTP_STATUS[code] ?? 500;
}

/**
 * The `google.rpc.Status` JSON for an error: numeric `code`, `message`, and `details` as `Any` JSON.
 * Details are expanded only when the registry knows their type; the others are dropped, because an `Any`
 * of an unknown type has no protobuf-JSON form.
 */
export function statusJson(error: ConnectError, registry?: Registry): JsonObject {
  const details: JsonValue[] = [];
  for (const detail of error.details) {
    const typeName = "type" in detail ? detail.type : detail.desc.typeName;
    const desc = "type" in detail ? registry?.getMessage(typeName) : detail.desc;
    if (!desc) continue;
    try {
      const message = "type" in detail ? fromBinary(desc, detail.value) : create(desc, detail.value);
      const value = toJson(desc, message, registry ? { registry } : {});
      const body = typeof value === "object" && value !== null && !Array.isArray(value) ? value : { value };
      details.push({ "@type": `type.googleapis.com/${typeName}`, ...body });
    } catch {
      // An undecodable detail is left out rather than failing the whole error response.
    }
  }
  return { code: error.code, message: error.rawMessage, details };
}

/** Serialises {@link statusJson} to bytes, ready to write as an `application/json` body. */
export function statusBytes(error: ConnectError, registry?: Registry): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(statusJson(error, registry)));
}
