/** Versioned schema migrations; each runs once, in order, inside a transaction. Append only: never edit a shipped step. */
export const migrations: readonly string[] = [
  // 1: targets, signing keys, public keys, executions, events, tokens.
  `
  CREATE TABLE targets (
    id                 TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    name_key           TEXT NOT NULL UNIQUE,          -- lower-cased name: names are unique case-insensitively
    target_type        TEXT NOT NULL CHECK (target_type IN ('webhook', 'call', 'async')),
    interrupt_on_error INTEGER NOT NULL CHECK (interrupt_on_error IN (0, 1)),
    endpoint           TEXT NOT NULL,
    timeout_ms         INTEGER NOT NULL CHECK (timeout_ms > 0),
    payload_type       TEXT NOT NULL CHECK (payload_type IN ('json', 'jwt', 'jwe')),
    created_at         INTEGER NOT NULL,              -- unix ms
    changed_at         INTEGER NOT NULL
  ) STRICT;

  -- The current key has expires_at NULL; previous keys stay valid until expires_at (rotation grace).
  CREATE TABLE target_signing_keys (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    target_id  TEXT NOT NULL REFERENCES targets (id) ON DELETE CASCADE,
    key_enc    TEXT NOT NULL,                         -- AES-256-GCM sealed under the master key
    created_at INTEGER NOT NULL,
    expires_at INTEGER
  ) STRICT;
  CREATE INDEX target_signing_keys_target ON target_signing_keys (target_id);
  CREATE UNIQUE INDEX target_signing_keys_current ON target_signing_keys (target_id) WHERE expires_at IS NULL;

  CREATE TABLE public_keys (
    id          TEXT PRIMARY KEY,
    target_id   TEXT NOT NULL REFERENCES targets (id) ON DELETE CASCADE,
    pem         BLOB NOT NULL,
    fingerprint TEXT NOT NULL,
    key_type    TEXT NOT NULL CHECK (key_type IN ('rsa', 'ec')),
    active      INTEGER NOT NULL CHECK (active IN (0, 1)),
    expires_at  INTEGER,
    created_at  INTEGER NOT NULL,
    changed_at  INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX public_keys_target ON public_keys (target_id);
  CREATE UNIQUE INDEX public_keys_one_active ON public_keys (target_id) WHERE active = 1;

  -- id is the execution id, e.g. 'request/zitadel.action.v2.ActionService/GetTarget'.
  CREATE TABLE executions (
    id         TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    changed_at INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE execution_targets (
    execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    target_id    TEXT NOT NULL REFERENCES targets (id) ON DELETE CASCADE,
    PRIMARY KEY (execution_id, position)
  ) STRICT;
  CREATE INDEX execution_targets_target ON execution_targets (target_id);

  -- Every state change appends one row here in the same transaction as the change.
  CREATE TABLE events (
    position       INTEGER PRIMARY KEY AUTOINCREMENT,
    event_type     TEXT NOT NULL,
    aggregate_type TEXT NOT NULL,
    aggregate_id   TEXT NOT NULL,
    sequence       INTEGER NOT NULL,
    creator        TEXT NOT NULL,
    resource_owner TEXT NOT NULL,
    payload        TEXT NOT NULL,                     -- JSON
    created_at     INTEGER NOT NULL,
    UNIQUE (aggregate_type, aggregate_id, sequence)
  ) STRICT;

  -- Personal access tokens; only a SHA-256 of the token is stored.
  CREATE TABLE tokens (
    id          TEXT PRIMARY KEY,
    token_hash  BLOB NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    permissions TEXT NOT NULL,                        -- JSON array of permission strings
    created_at  INTEGER NOT NULL
  ) STRICT;

  -- Small named secrets (instance signing key, ...), sealed under the master key.
  CREATE TABLE secrets (
    name       TEXT PRIMARY KEY,
    value_enc  TEXT NOT NULL,
    created_at INTEGER NOT NULL
  ) STRICT;
  `,
  // 2: the delivery outbox (event executions and rest_async calls) and its attempt log.
  `
  CREATE TABLE deliveries (
    n               INTEGER PRIMARY KEY AUTOINCREMENT,   -- insertion order; ordering within an aggregate
    id              TEXT NOT NULL UNIQUE,                -- sent as webhook-id on every attempt
    kind            TEXT NOT NULL CHECK (kind IN ('event', 'async')),
    execution_id    TEXT NOT NULL,
    target_id       TEXT NOT NULL,                       -- no FK: a job outlives its target's deletion
    target          TEXT NOT NULL,                       -- JSON snapshot; signing keys stay sealed
    payload         TEXT NOT NULL,                       -- the JSON body (before JWT/JWE encoding)
    event_type      TEXT,
    event_position  INTEGER,
    ordering_key    TEXT,                                -- aggregate of an event; NULL = no ordering
    state           TEXT NOT NULL CHECK (state IN ('pending', 'in_flight', 'delivered', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    last_status     INTEGER,
    last_error      TEXT
  ) STRICT;
  CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at, n);
  -- Only open jobs: the ordering check must not walk an aggregate's delivered history.
  CREATE INDEX deliveries_order ON deliveries (target_id, ordering_key, n) WHERE ordering_key IS NOT NULL AND state IN ('pending', 'in_flight');
  CREATE INDEX deliveries_created ON deliveries (created_at);

  CREATE TABLE delivery_attempts (
    delivery_n    INTEGER NOT NULL REFERENCES deliveries (n) ON DELETE CASCADE,
    attempt       INTEGER NOT NULL,
    started_at    INTEGER NOT NULL,
    latency_ms    REAL NOT NULL,
    outcome       TEXT NOT NULL,                         -- ok, http_error, timeout, unreachable, ...
    status        INTEGER,
    error         TEXT,
    response_body TEXT,                                  -- truncated
    PRIMARY KEY (delivery_n, attempt)
  ) STRICT;
  `,
  // 3: a successful attempt is recorded on its job (one row write per delivered job on the hot path);
  // delivery_attempts keeps the failed ones (and, from older versions, successes too).
  `
  ALTER TABLE deliveries ADD COLUMN success_started_at INTEGER;
  ALTER TABLE deliveries ADD COLUMN success_latency_ms REAL;
  ALTER TABLE deliveries ADD COLUMN success_response_body TEXT;
  `,
  // 4: a final job's next_attempt_at says when it ended (retention counts from there). Dead jobs, which wait
  // for a human, get that from updated_at; delivered ones keep their last due time (earlier than their end
  // only by queueing and sending; rewriting every delivered row of a long history would stall the upgrade).
  `
  UPDATE deliveries SET next_attempt_at = updated_at WHERE state = 'dead';
  `,
];
