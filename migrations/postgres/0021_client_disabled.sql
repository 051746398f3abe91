-- A client an admin disabled: the protocol treats it as unknown (no login, no
-- token, no UserInfo) until it is enabled again; its grants are kept.
ALTER TABLE clients ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT FALSE;
