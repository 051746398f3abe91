-- Client fields the admin tools set: a display name shown on consent pages instead
-- of the id, and the previous secret with the time it stops being accepted (secret
-- rotation with an overlap, `clients rotate-secret --old-valid-until`).
ALTER TABLE clients ADD COLUMN display_name TEXT;
ALTER TABLE clients ADD COLUMN previous_secret_hash TEXT;
ALTER TABLE clients ADD COLUMN previous_secret_until BIGINT;
