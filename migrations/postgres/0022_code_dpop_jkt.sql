-- DPoP (RFC 9449 §10): the JWK thumbprint (RFC 7638) an authorization code is bound
-- to, from the `dpop_jkt` parameter or the `DPoP` proof of a pushed request: the
-- code is exchanged only with a proof of that key (NULL: not bound).
ALTER TABLE codes ADD COLUMN dpop_jkt TEXT;
