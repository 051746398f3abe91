-- The ESIA sandbox's state when it is mounted by a server with a database, so that
-- every node behind a balancer sees the same pending logins, codes and refresh
-- tokens. `kind` names the kind of row (`request`, `code`, `refresh`, …), `key` is
-- its id (a token's hash for codes and refresh tokens), `value` its JSON. A code or
-- refresh token is spent by deleting its row (one statement). Expired rows are
-- purged with the other expired rows. Times are unix seconds.
CREATE TABLE sandbox_rows (
    kind       TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX sandbox_rows_expires_at ON sandbox_rows (expires_at);
