-- Pushed authorization requests (RFC 9126): the parameters a client pushed to /par,
-- kept until /authorize takes them by their request_uri (single use: one DELETE …
-- RETURNING) or they expire (purged with the other expired rows). `uri_hash` is
-- the SHA-256 of the request_uri (the URI itself is never stored), `params` the
-- pushed form (form-urlencoded, without client credentials). Times are unix seconds.
CREATE TABLE pushed_requests (
    uri_hash   TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL,
    params     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX pushed_requests_expires_at ON pushed_requests (expires_at);

-- A client registered with this flag may only use pushed requests at /authorize.
ALTER TABLE clients ADD COLUMN require_pushed_authorization_requests INTEGER NOT NULL DEFAULT 0;
