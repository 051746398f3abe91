-- Passwords set by their owners (issue 8): the «Забыли пароль?» reset links and
-- an index that lets a password change end every other session of an account.
-- Times are unix seconds (BIGINT). The link's token is stored as its SHA-256
-- only; a link is used at most once (`used_at` is set by one conditional UPDATE)
-- and only until `expires_at`. Removing an account removes its links.
CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX password_resets_account ON password_resets (account_id);
CREATE INDEX password_resets_expires ON password_resets (expires_at);

-- "End every session of this account" without a scan.
CREATE INDEX sessions_by_account ON sessions (account_id);
