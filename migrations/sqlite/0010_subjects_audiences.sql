-- Subjects and audiences (issue 9).
--
-- accounts.subject: the local subject, the `sub` relying parties see (and the input
-- of pairwise subjects). Accounts that exist now keep the `sub` they had: their id.
-- Accounts created from now on get a keyed value (docs/subjects.md); the column is
-- never updated once written.
ALTER TABLE accounts ADD COLUMN subject TEXT NOT NULL DEFAULT '';
UPDATE accounts SET subject = id;
CREATE UNIQUE INDEX accounts_subject ON accounts (subject);

-- clients.sector_identifier_uri: the sector of a pairwise client (its host).
-- clients.resources: the RFC 8707 resources (a JSON list of absolute URIs) the client
-- may ask access tokens for, besides the issuer.
ALTER TABLE clients ADD COLUMN sector_identifier_uri TEXT;
ALTER TABLE clients ADD COLUMN resources TEXT NOT NULL DEFAULT '[]';

-- The resources asked for at /authorize (codes) and granted (grants): a refresh
-- may narrow a token's audience to some of them, never add one.
ALTER TABLE codes ADD COLUMN resources TEXT NOT NULL DEFAULT '[]';
ALTER TABLE grants ADD COLUMN resources TEXT NOT NULL DEFAULT '[]';
