-- OAuth/OIDC state: relying parties, signing keys, sessions, flows, codes, grants
-- (token families), refresh tokens, revoked access-token ids and consents.
-- Codes, refresh tokens and session ids are stored as hashes only.
-- Times are unix seconds; list fields (redirect_uris, ...) are JSON text.

CREATE TABLE clients (
    id                        TEXT PRIMARY KEY,
    secret_hash               TEXT,
    auth_method               TEXT NOT NULL,
    redirect_uris             TEXT NOT NULL,
    post_logout_redirect_uris TEXT NOT NULL,
    grant_types               TEXT NOT NULL,
    scope                     TEXT NOT NULL,
    consent                   TEXT NOT NULL,
    id_token_alg              TEXT NOT NULL,
    access_token_ttl          BIGINT NOT NULL,
    id_token_ttl              BIGINT NOT NULL,
    refresh_token_ttl         BIGINT NOT NULL,
    subject_type              TEXT NOT NULL,
    created_at                BIGINT NOT NULL,
    updated_at                BIGINT NOT NULL
);

CREATE TABLE signing_keys (
    kid             TEXT PRIMARY KEY,
    alg             TEXT NOT NULL,
    private_jwk_enc BYTEA NOT NULL,
    public_jwk      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    activates_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    auth_time  BIGINT NOT NULL,
    amr        TEXT NOT NULL,
    persistent BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE flows (
    id         TEXT PRIMARY KEY,
    data       TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX flows_expires ON flows (expires_at);

-- grant_id is chosen when the code is issued; the grant row appears on exchange.
CREATE TABLE codes (
    code_hash         TEXT PRIMARY KEY,
    grant_id          TEXT NOT NULL,
    client_id         TEXT NOT NULL,
    account_id        TEXT NOT NULL,
    redirect_uri      TEXT NOT NULL,
    scope             TEXT NOT NULL,
    nonce             TEXT,
    code_challenge    TEXT NOT NULL,
    auth_time         BIGINT NOT NULL,
    amr               TEXT NOT NULL,
    acr               TEXT,
    session_hash      TEXT,
    require_auth_time BOOLEAN NOT NULL DEFAULT FALSE,
    created_at        BIGINT NOT NULL,
    expires_at        BIGINT NOT NULL,
    consumed_at       BIGINT
);
CREATE INDEX codes_expires ON codes (expires_at);
CREATE INDEX codes_client ON codes (client_id);

-- Grants are not tied to clients by a foreign key: removing a client keeps its
-- (revoked) grants for introspection and audit.
CREATE TABLE grants (
    id           TEXT PRIMARY KEY,
    client_id    TEXT NOT NULL,
    account_id   TEXT NOT NULL,
    scope        TEXT NOT NULL,
    auth_time    BIGINT NOT NULL,
    amr          TEXT NOT NULL,
    session_hash TEXT,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX grants_session ON grants (session_hash);
CREATE INDEX grants_client ON grants (client_id);
CREATE INDEX grants_account_client ON grants (account_id, client_id);

-- revoked_at is internal: set on every token of a grant when the grant is revoked,
-- so a rotation racing a revocation sees the revocation on its own row.
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    grant_id   TEXT NOT NULL REFERENCES grants (id),
    client_id  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    revoked_at BIGINT
);
CREATE INDEX refresh_tokens_grant ON refresh_tokens (grant_id);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);

-- Access tokens revoked by jti, kept until they would have expired.
CREATE TABLE revoked_tokens (
    jti        TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX revoked_tokens_expires ON revoked_tokens (expires_at);

CREATE TABLE consents (
    account_id TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    scope      TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, client_id)
);
CREATE INDEX consents_client ON consents (client_id);
