-- A client's logo (OIDC Dynamic Client Registration 1.0 §2 `logo_uri`): an https
-- URL shown on the consent page; NULL: no logo.
ALTER TABLE clients ADD COLUMN logo_uri TEXT;
