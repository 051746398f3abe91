-- DPoP (RFC 9449): the proofs seen, by the hash of their key thumbprint and `jti`,
-- until their `iat` window has passed (a proof is accepted once: one INSERT … ON
-- CONFLICT DO NOTHING decides; purged with the other expired rows). Times are unix seconds.
CREATE TABLE dpop_proofs (
    jti_hash   TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX dpop_proofs_expires_at ON dpop_proofs (expires_at);

-- The JWK thumbprint (RFC 7638) a public client's token family is bound to: a refresh
-- needs a proof of that key (NULL: not bound).
ALTER TABLE grants ADD COLUMN dpop_jkt TEXT;

-- A client registered with this flag gets tokens only with a DPoP proof (RFC 9449 §5.2).
ALTER TABLE clients ADD COLUMN dpop_bound_access_tokens BOOLEAN NOT NULL DEFAULT FALSE;
