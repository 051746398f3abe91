-- private_key_jwt client authentication (RFC 7523 §2.2, OIDC Core §9).

-- The client's public keys, an inline JWK Set (RFC 7517 §5) as JSON text; set only for
-- `auth_method = 'private_key_jwt'` (NULL otherwise).
ALTER TABLE clients ADD COLUMN jwks TEXT;

-- The client assertions seen (RFC 7523 §3 item 7): the hash of the client id and the
-- assertion's `jti`, until its `exp` has passed. A key space of its own, apart from
-- `dpop_proofs`; one INSERT … ON CONFLICT DO NOTHING decides; purged with the other
-- expired rows. Times are unix seconds.
CREATE TABLE client_assertions (
    jti_hash   TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX client_assertions_expires_at ON client_assertions (expires_at);
