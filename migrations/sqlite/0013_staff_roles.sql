-- Roles of staff accounts granted by `propusk staff grant` and by a system admin
-- (docs/admin.md): `reviewer` and `org-admin` hold for one organisation,
-- `system-admin` for the whole installation (`organisation_id` = ''). The directory's
-- review permission (`accounts.can_review_requests`) stays a reviewer role in the
-- account's own organisation. Every grant and revocation is an audit event written
-- in the same transaction.
CREATE TABLE staff_roles (
    account_id      TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role            TEXT NOT NULL,
    organisation_id TEXT NOT NULL,
    granted_at      INTEGER NOT NULL,
    granted_by      TEXT NOT NULL,
    PRIMARY KEY (account_id, role, organisation_id)
);
