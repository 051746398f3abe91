-- The mail outbox (issue 5): a message row is written in the same transaction as
-- the change it announces; the mail worker delivers it later (at least once).
-- Times are unix seconds (BIGINT). `claimed_until` is a lease: a worker that reads
-- due rows moves it forward in the same statement, so two nodes never send the
-- same message at the same time; a crashed worker's lease simply runs out.
CREATE TABLE mail_outbox (
    id              TEXT PRIMARY KEY,
    to_addr         TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,              -- NULL: given up after mail.max_attempts
    claimed_until   BIGINT NOT NULL DEFAULT 0,
    sent_at         BIGINT,
    last_error      TEXT
);
-- due_mail: unsent rows by next attempt (partial index: sent rows drop out).
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at, created_at) WHERE sent_at IS NULL;
