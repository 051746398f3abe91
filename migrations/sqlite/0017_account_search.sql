-- The console's «Учетные записи»: the folded name (lower-case, ё → е, the words of
-- surname, given name and patronymic; account::names_key) that search compares,
-- since SQLite's lower() knows ASCII only. Filled on import and account creation;
-- rows from before are filled by the store after migrating (NULL until then).
ALTER TABLE accounts ADD COLUMN name_key TEXT;
CREATE INDEX accounts_org_name_key ON accounts (organisation_id, name_key);
