-- The installation (issue 11): one row, written by the first `migrate` or `serve`.
-- key_fingerprint is a keyed hash derived from the master key (never the key): every
-- node, `serve` and `propusk check` compare theirs with it and refuse a different key.
CREATE TABLE installation (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    key_fingerprint TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
