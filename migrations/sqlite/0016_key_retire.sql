-- `propusk keys retire`: when a retired key leaves the JWKS (NULL: never retired by hand).
ALTER TABLE signing_keys ADD COLUMN retire_at INTEGER;
