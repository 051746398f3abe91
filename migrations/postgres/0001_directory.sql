-- Directory: organisations, classes, school accounts, parent–child relations, settings.
-- Times are unix seconds (BIGINT); flags are BOOLEAN.

CREATE TABLE organisations (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    region       TEXT NOT NULL,
    municipality TEXT NOT NULL,
    locality     TEXT NOT NULL,
    org_type     TEXT NOT NULL,
    name         TEXT NOT NULL
);

CREATE TABLE classes (
    id              TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    name            TEXT NOT NULL
);
CREATE INDEX classes_organisation ON classes (organisation_id);

CREATE TABLE accounts (
    id                  TEXT PRIMARY KEY,
    organisation_id     TEXT NOT NULL REFERENCES organisations (id),
    login               TEXT NOT NULL,
    password_hash       TEXT NOT NULL,
    role                TEXT NOT NULL,
    can_review_requests BOOLEAN NOT NULL DEFAULT FALSE,
    surname             TEXT NOT NULL,
    given_name          TEXT NOT NULL,
    patronymic          TEXT,
    birth_date          TEXT NOT NULL,
    snils_hash          TEXT,
    match_key           TEXT NOT NULL,
    class_id            TEXT REFERENCES classes (id),
    email               TEXT,
    phone               TEXT,
    disabled            BOOLEAN NOT NULL DEFAULT FALSE,
    created_at          BIGINT NOT NULL,
    CONSTRAINT accounts_organisation_login UNIQUE (organisation_id, login)
);
CREATE INDEX accounts_match_key_role ON accounts (match_key, role);
CREATE INDEX accounts_snils_hash ON accounts (snils_hash);
CREATE INDEX accounts_class ON accounts (class_id);

CREATE TABLE relations (
    parent_id          TEXT NOT NULL REFERENCES accounts (id),
    child_id           TEXT NOT NULL REFERENCES accounts (id),
    confirmed_via_esia BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (parent_id, child_id)
);
CREATE INDEX relations_child ON relations (child_id);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
