-- The linking lifecycle (DESIGN.md §4, Matching): a session remembers the ESIA
-- identity it came from (an unlink ends it, and it is valid only while that link
-- exists); an owner's unlink leaves a tombstone that stops the automatic link of
-- that pair; deleting an ESIA person's stored data leaves a deletion record
-- (categories, time, reason), kept for three years (152-FZ). Times are unix seconds.

ALTER TABLE sessions ADD COLUMN upstream_issuer TEXT;
ALTER TABLE sessions ADD COLUMN upstream_subject TEXT;
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE link_tombstones (
    issuer     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (issuer, subject, account_id)
);

CREATE TABLE pd_deletions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    issuer     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    categories TEXT NOT NULL,
    reason     TEXT NOT NULL,
    deleted_at INTEGER NOT NULL,
    keep_until INTEGER NOT NULL
);
CREATE INDEX pd_deletions_subject ON pd_deletions (issuer, subject);
CREATE INDEX pd_deletions_keep ON pd_deletions (keep_until);

-- Codes of an account are found (and spent) by an unlink.
CREATE INDEX codes_account ON codes (account_id);

-- A parent's child in an access request: chosen among the ESIA children, or typed
-- by the requester (then shown to staff as the requester's words, never ranked).
ALTER TABLE access_requests ADD COLUMN child_from_esia INTEGER NOT NULL DEFAULT 0;

-- A flow's version: each journey form claims the flow by moving it on by one, so of
-- two submissions of the same flow at once only one acts.
ALTER TABLE flows ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
