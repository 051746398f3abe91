-- Counters of attempts shared by every node and kept across restarts (AB-01):
-- failed logins per login and per client address, «Забыли пароль?» requests, login
-- flows started per address. `key` is a keyed hash of what is counted (never a login
-- or an address in clear). `hits` counts inside a window ending at `window_end`;
-- `locked_until` holds a lock. One UPSERT counts a hit and returns the counter, so
-- parallel attempts are counted one by one. Rows whose window and lock are over are
-- purged. Times are unix seconds (INTEGER).
CREATE TABLE limit_counters (
    key          TEXT PRIMARY KEY,
    hits         INTEGER NOT NULL,
    window_end   INTEGER NOT NULL,
    locked_until INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX limit_counters_window_end ON limit_counters (window_end);
