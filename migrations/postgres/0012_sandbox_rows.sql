-- The ESIA sandbox's state when it is mounted by a server with a database, so that
-- every node behind a balancer sees the same pending logins, codes and refresh
-- tokens. `kind` names the kind of row (`request`, `code`, `refresh`, …), `key` is
-- its id (a token's hash for codes and refresh tokens), `value` its JSON. A code or
-- refresh token is spent by deleting its row (one statement). Expired rows are
-- purged with the other expired rows. Times are unix seconds.
CREATE TABLE sandbox_rows (
    kind       TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX sandbox_rows_expires_at ON sandbox_rows (expires_at);

-- Cache invalidation across nodes: every change of a client or of the signing keys,
-- whoever makes it (a node, the CLI, an operator's SQL), notifies the channel
-- `propusk_changes` in the transaction of the change (delivered at its commit).
-- Payloads: `client:<id>` and `keys`. Nodes drop the cache entry at once; their
-- time-bounded caches stay the fallback when a notification is lost.
CREATE FUNCTION propusk_notify_client() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('propusk_changes', 'client:' || OLD.id);
    ELSE
        PERFORM pg_notify('propusk_changes', 'client:' || NEW.id);
        IF TG_OP = 'UPDATE' AND OLD.id <> NEW.id THEN
            PERFORM pg_notify('propusk_changes', 'client:' || OLD.id);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER clients_notify AFTER INSERT OR UPDATE OR DELETE ON clients
    FOR EACH ROW EXECUTE FUNCTION propusk_notify_client();

CREATE FUNCTION propusk_notify_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('propusk_changes', 'keys');
    RETURN NULL;
END
$$;
CREATE TRIGGER signing_keys_notify AFTER INSERT OR UPDATE OR DELETE ON signing_keys
    FOR EACH STATEMENT EXECUTE FUNCTION propusk_notify_keys();
