-- The «Через Госуслуги» journey: links between an ESIA person (issuer, subject)
-- and school accounts, the personal-data consent of each ESIA person, the last
-- ESIA profile seen (JSON text, deleted with the consent) and the account each
-- person chose last time per role. Times are unix seconds (BIGINT).
-- Removing an account removes its links and remembered choices (ON DELETE CASCADE).

-- The primary key also serves lookups by (issuer, subject).
CREATE TABLE upstream_links (
    issuer     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    method     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, subject, account_id)
);
CREATE INDEX upstream_links_account ON upstream_links (account_id);

CREATE TABLE pd_consents (
    issuer       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    text_version TEXT NOT NULL,
    given_at     BIGINT NOT NULL,
    ip           TEXT NOT NULL,
    PRIMARY KEY (issuer, subject)
);

CREATE TABLE upstream_profiles (
    issuer     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    profile    TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, subject)
);

CREATE TABLE default_accounts (
    issuer     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    role       TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (issuer, subject, role)
);
CREATE INDEX default_accounts_account ON default_accounts (account_id);

-- remove_links_of_account finds the account's grants through grants_account_client (0002).
