import { randomInt } from "node:crypto";

/** Options of `createIdGenerator`. */
export interface IdGeneratorOptions {
  /** Milliseconds since the Unix epoch; defaults to `Date.now`. Injected so tests control the clock. */
  now?: () => number;
  /** The 10-bit node part (0..1023); defaults to a random value per generator so processes rarely collide. */
  nodeId?: number;
}

/** Start of id time (2018-01-01T00:00:00Z): keeps ids at 19 decimal digits from mid-2025 until about 2088. */
export const ID_EPOCH_MS = Date.UTC(2018, 0, 1);

const NODE_BITS = 10n;
const SEQUENCE_BITS = 12n;
const MAX_NODE = (1 << Number(NODE_BITS)) - 1;
const MAX_SEQUENCE = (1 << Number(SEQUENCE_BITS)) - 1;

/**
 * Creates a generator of snowflake-style decimal string ids (`<ms since ID_EPOCH_MS> | <node> | <sequence>`),
 * like ZITADEL's numeric ids; they are strictly increasing within the generator, so equal-length ids sort as strings.
 */
export function createIdGenerator(opts: IdGeneratorOptions = {}): () => string {
  const now = opts.now ?? Date.now;
  const nodeId = opts.nodeId ?? randomInt(MAX_NODE + 1);
  if (!Number.isInteger(nodeId) || nodeId < 0 || nodeId > MAX_NODE) {
    throw new RangeError(`nodeId must be an integer in 0..${MAX_NODE}`);
  }
  const node = BigInt(nodeId) << SEQUENCE_BITS;
  let lastMs = -1;
  let sequence = 0;

  return () => {
    // A clock that steps backwards (NTP) must not reuse ids: keep counting from the last time used.
    let ms = Math.max(Math.floor(now()) - ID_EPOCH_MS, 0, lastMs);
    if (ms === lastMs) {
      sequence++;
      // More than 4096 ids in one millisecond: borrow the next millisecond rather than wrap around.
      if (sequence > MAX_SEQUENCE) {
        ms++;
        sequence = 0;
      }
    } else {
      sequence = 0;
    }
    lastMs = ms;
    return ((BigInt(ms) << (NODE_BITS + SEQUENCE_BITS)) | node | BigInt(sequence)).toString();
  };
}
