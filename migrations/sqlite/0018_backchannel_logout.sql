-- OpenID Connect Back-Channel Logout 1.0. A client may register the URI its logout
-- tokens are POSTed to, and whether it needs `sid` in them.
ALTER TABLE clients ADD COLUMN backchannel_logout_uri TEXT;
ALTER TABLE clients ADD COLUMN backchannel_logout_session_required INTEGER NOT NULL DEFAULT 0;

-- The public session id (`sid` of ID tokens and logout tokens), kept from the
-- session's first id hash so that it stays the same when the session is renamed (a
-- password change). NULL for sessions opened before this migration: derived then.
ALTER TABLE sessions ADD COLUMN sid TEXT;

-- The logout outbox: one row per logout token to send, written in the same
-- transaction as the change that ends the session or the account's grants (logout,
-- unlink, password change, consent revocation). The row holds the work (client,
-- account, the session's public `sid`), never a token: the worker mints the token
-- when it delivers, with the key that signs then, to the URI the client has
-- registered then. Times are unix seconds; `claimed_until` is the worker's lease,
-- as in mail_outbox; `next_attempt_at` NULL: given up after backchannel.max_attempts.
CREATE TABLE logout_outbox (
    id              TEXT PRIMARY KEY,
    client_id       TEXT NOT NULL,
    account_id      TEXT NOT NULL,
    sid             TEXT,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    claimed_until   INTEGER NOT NULL DEFAULT 0,
    delivered_at    INTEGER,
    last_error      TEXT
);
CREATE INDEX logout_outbox_due ON logout_outbox (next_attempt_at, created_at) WHERE delivered_at IS NULL;
