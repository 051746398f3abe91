-- Audit events written in the transaction of the change they record, not yet
-- linked into the hash chain. A chainer (src/audit/pending.rs) moves them into
-- audit_events under the audit_head lock, in id order, a batch at a time; readers
-- of the log chain what is pending first. `mac` is the chain key's HMAC of
-- (at, kind, data): a pending row changed without the key is refused, not chained.
-- Writers no longer hold the audit_head row lock through their commit.

CREATE TABLE audit_pending (
    id   BIGSERIAL PRIMARY KEY,
    at   BIGINT NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    mac  TEXT NOT NULL
);
