-- Admin roles of clients (docs/admin.md, the admin API): a client calling
-- /admin/api/v1 with a client_credentials token acts with these roles only —
-- `system-admin` (`organisation_id` = '') or `org-admin` of one organisation.
-- Granted by `propusk clients grant-role` and revoked by `clients revoke-role`;
-- every change is an audit event written in the same transaction.
CREATE TABLE client_admin_roles (
    client_id       TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    role            TEXT NOT NULL,
    organisation_id TEXT NOT NULL,
    granted_at      BIGINT NOT NULL,
    granted_by      TEXT NOT NULL,
    PRIMARY KEY (client_id, role, organisation_id)
);
