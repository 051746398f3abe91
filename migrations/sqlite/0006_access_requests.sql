-- Access requests (issue 5): filed by an ESIA person whom nothing matched, ended
-- by staff of the chosen organisation. Times are unix seconds (INTEGER).
-- `open_key` is set while the request is open (a digest of person, organisation,
-- role and child) and cleared when it is decided: its UNIQUE index is the
-- duplicate guard, and decided requests never block a new one.
CREATE TABLE access_requests (
    id               TEXT PRIMARY KEY,
    number           TEXT NOT NULL UNIQUE,
    issuer           TEXT NOT NULL,
    subject          TEXT NOT NULL,
    role             TEXT NOT NULL,
    surname          TEXT NOT NULL,
    given_name       TEXT NOT NULL,
    patronymic       TEXT,
    birth_date       TEXT,
    email            TEXT NOT NULL,
    email_from_esia  INTEGER NOT NULL,
    child_surname    TEXT,
    child_given_name TEXT,
    child_patronymic TEXT,
    child_birth_date TEXT,
    organisation_id  TEXT NOT NULL REFERENCES organisations (id),
    class_id         TEXT REFERENCES classes (id),
    comment          TEXT,
    status           TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    decided_at       INTEGER,
    decided_by       TEXT REFERENCES accounts (id),
    reason           TEXT,
    account_id       TEXT REFERENCES accounts (id),
    open_key         TEXT UNIQUE
);
CREATE INDEX access_requests_organisation ON access_requests (organisation_id, status, created_at);
CREATE INDEX access_requests_person ON access_requests (issuer, subject);
-- Staff look for candidates among one organisation's accounts of one role.
CREATE INDEX accounts_organisation_role ON accounts (organisation_id, role, surname);
