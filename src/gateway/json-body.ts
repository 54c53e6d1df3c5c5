// Parses a REST request body as strictly as protobuf JSON parsers do, before the gateway re-serialises it.
import type { JsonValue } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";

/** Deepest nesting of objects and arrays a REST body may have (protobuf's usual recursion limit). */
export const MAX_JSON_DEPTH = 100;

/**
 * Parses a REST body: empty (or only whitespace) means no body; otherwise strict UTF-8 JSON with at most
 * {@link MAX_JSON_DEPTH} levels and no duplicate member names, all refused with INVALID_ARGUMENT.
 * Deep nesting used to overflow the stack when the gateway re-serialised the body (INTERNAL, HTTP 500), and a
 * duplicate name silently kept its last value where Connect JSON and grpc-gateway refuse it.
 */
export function parseJsonBody(bytes: Uint8Array): JsonValue | undefined {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ConnectError("request body is not valid UTF-8", Code.InvalidArgument);
  }
  if (text.trim() === "") return undefined;
  let value: JsonValue;
  try {
    value = JSON.parse(text) as JsonValue;
  } catch (e) {
    throw new ConnectError(`request body is not valid JSON: ${e instanceof Error ? e.message : String(e)}`, Code.InvalidArgument);
  }
  checkStructure(text);
  return value;
}

/**
 * Walks JSON text that JSON.parse accepted (so it is well-formed) without recursion: one entry per open object
 * (the member names seen so far) or array (null) on a stack.
 */
function checkStructure(text: string): void {
  const open: (Set<string> | null)[] = [];
  let expectName = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "{" || c === "[") {
      open.push(c === "{" ? new Set() : null);
      if (open.length > MAX_JSON_DEPTH) throw new ConnectError(`request body nests deeper than ${MAX_JSON_DEPTH} levels`, Code.InvalidArgument);
      expectName = c === "{";
    } else if (c === "}" || c === "]") {
      open.pop();
      expectName = false;
    } else if (c === ",") {
      expectName = open[open.length - 1] instanceof Set;
    } else if (c === ":") {
      expectName = false;
    } else if (c === '"') {
      const start = i;
      let escaped = false;
      for (i++; text[i] !== '"'; i++) {
        if (text[i] === "\\") {
          escaped = true;
          i++;
        }
      }
      const names = open[open.length - 1];
      if (expectName && names) {
        // Escapes are decoded so that "\u006eame" and "name" count as the same member.
        const name = escaped ? (JSON.parse(text.slice(start, i + 1)) as string) : text.slice(start + 1, i);
        if (names.has(name)) throw new ConnectError(`request body has the member ${JSON.stringify(name)} twice`, Code.InvalidArgument);
        names.add(name);
      }
      expectName = false;
    }
  }
}
