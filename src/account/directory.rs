//! `directory import FILE`: organisations, classes and school accounts from a CSV or
//! JSON file (format in docs/directory-import.md), validated as a whole and stored
//! in one transaction: one bad row and nothing of the file is imported.

use super::directory_build::build;
use crate::audit::AuditEvent;
use crate::clock::{Clock, SystemClock};
use crate::store::{DirectoryBatch, Store};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// Keys of the keyed hashes stored with accounts, derived by the caller from the
/// master key with the purposes `"snils"`, `"matching"` and `"subject"`.
#[derive(Clone)]
pub struct DirectoryKeys {
    pub snils: [u8; 32],
    pub matching: [u8; 32],
    /// The local subject of new accounts ([`keyed_subject`]).
    pub subject: [u8; 32],
}

impl DirectoryKeys {
    /// The three keys, derived from the master key.
    pub fn derive(master: &crate::crypto::MasterKey) -> Self {
        Self { snils: master.derive("snils"), matching: master.derive("matching"), subject: master.derive("subject") }
    }
}

impl fmt::Debug for DirectoryKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DirectoryKeys([redacted])")
    }
}

/// A bad row (or, with line 0, a problem with the file as a whole or the database).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub line: usize,
    pub message: String,
}

impl ImportError {
    pub fn new(line: usize, message: impl Into<String>) -> Self {
        Self { line, message: message.into() }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 { f.write_str(&self.message) } else { write!(f, "line {}: {}", self.line, self.message) }
    }
}

impl std::error::Error for ImportError {}

/// What an import stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    pub organisations: usize,
    pub classes: usize,
    pub accounts: usize,
    pub relations: usize,
    /// Plain passwords hashed with argon2id during the import.
    pub passwords_hashed: usize,
}

impl ImportSummary {
    pub fn of(batch: &DirectoryBatch, passwords_hashed: usize) -> Self {
        Self {
            organisations: batch.organisations.len(),
            classes: batch.classes.len(),
            accounts: batch.accounts.len(),
            relations: batch.relations.len(),
            passwords_hashed,
        }
    }

    /// The `directory_imported` audit event (counts only).
    pub fn audit_event(&self) -> AuditEvent {
        let n = |x: usize| u64::try_from(x).unwrap_or(u64::MAX);
        AuditEvent::DirectoryImported {
            organisations: n(self.organisations),
            accounts: n(self.accounts),
            relations: n(self.relations),
        }
    }
}

/// Every field name a record may carry (CSV header or JSON key).
pub const FIELDS: &[&str] = &[
    "record",
    "id",
    "kind",
    "region",
    "municipality",
    "locality",
    "org_type",
    "name",
    "organisation",
    "login",
    "password",
    "role",
    "can_review_requests",
    "surname",
    "given_name",
    "patronymic",
    "birth_date",
    "snils",
    "class",
    "email",
    "phone",
    "parents",
    "disabled",
];

/// One record of the file before validation: its line and its non-empty fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawRecord {
    pub line: usize,
    pub fields: BTreeMap<String, String>,
}

impl RawRecord {
    pub fn new(line: usize) -> Self {
        Self { line, fields: BTreeMap::new() }
    }

    /// Sets a field (trimmed; empty values are absent). Unknown names are an error.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), ImportError> {
        let name = name.trim().trim_start_matches('\u{feff}').to_lowercase();
        if !FIELDS.contains(&name.as_str()) {
            return Err(ImportError::new(self.line, format!("unknown field `{name}`")));
        }
        let value = value.trim();
        if !value.is_empty() {
            self.fields.insert(name, value.to_owned());
        }
        Ok(())
    }

    /// Builder form of [`RawRecord::set`] for code that knows its field names.
    pub fn with(mut self, name: &str, value: &str) -> Self {
        if FIELDS.contains(&name) && !value.trim().is_empty() {
            self.fields.insert(name.to_owned(), value.trim().to_owned());
        }
        self
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    pub fn required(&self, name: &str) -> Result<&str, ImportError> {
        self.get(name).ok_or_else(|| self.error(format!("missing `{name}`")))
    }

    pub fn error(&self, message: impl Into<String>) -> ImportError {
        ImportError::new(self.line, message)
    }
}

/// Reads records from a `.csv` or `.json` file (chosen by extension).
pub fn parse_file(path: &Path, text: &str) -> Result<Vec<RawRecord>, ImportError> {
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_lowercase);
    match ext.as_deref() {
        Some("csv") => super::directory_csv::parse(text),
        Some("json") => super::directory_json::parse(text),
        _ => Err(ImportError::new(0, format!("{}: the file name must end in .csv or .json", path.display()))),
    }
}

/// Parses, validates and stores a directory file with the current time.
pub async fn import_file(store: &dyn Store, path: &Path, keys: &DirectoryKeys) -> Result<ImportSummary, ImportError> {
    import_file_at(store, path, keys, &SystemClock).await
}

/// [`import_file`] with an explicit clock (tests).
pub async fn import_file_at(
    store: &dyn Store,
    path: &Path,
    keys: &DirectoryKeys,
    clock: &dyn Clock,
) -> Result<ImportSummary, ImportError> {
    let text = tokio::fs::read_to_string(path)
        .await
        .map_err(|e| ImportError::new(0, format!("cannot read {}: {e}", path.display())))?;
    let records = parse_file(path, &text)?;
    import_records(store, &records, keys, clock).await
}

/// Validates records (references may point at what the store already holds) and
/// stores them in one transaction with a `directory_imported` event.
pub async fn import_records(
    store: &dyn Store,
    records: &[RawRecord],
    keys: &DirectoryKeys,
    clock: &dyn Clock,
) -> Result<ImportSummary, ImportError> {
    let (batch, hashed) = build(Some(store), records, keys, clock.now()).await?;
    let summary = ImportSummary::of(&batch, hashed);
    store
        .import_directory(&batch, &summary.audit_event())
        .await
        .map_err(|e| ImportError::new(0, format!("storing the directory failed: {e}")))?;
    Ok(summary)
}

/// A stable id for a directory object: a UUID-formatted (version 8, "custom")
/// SHA-256 of its kind and natural key, so re-importing updates the same row.
/// Anyone can compute it from an organisation and a login: it is never a `sub`
/// (see [`keyed_subject`]).
pub fn derived_id(kind: &str, organisation_id: &str, natural_key: &str) -> String {
    let digest = crate::crypto::sha256(format!("propusk/{kind}\u{0}{organisation_id}\u{0}{natural_key}").as_bytes());
    uuid_v8(&digest)
}

fn uuid_v8(digest: &[u8; 32]) -> String {
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    uuid::Uuid::from_bytes(bytes).to_string()
}

/// The local subject of a new account: a UUID-formatted (version 8) HMAC-SHA256 of
/// its id under the installation's subject key, so that without the key nobody can
/// tell the login behind a `sub`. Stored with the account once (migration 0010) and
/// never recomputed; accounts older than that keep their id as subject.
pub fn keyed_subject(key: &[u8; 32], account_id: &str) -> String {
    uuid_v8(&crate::crypto::hmac_sha256(key, format!("propusk/subject\u{0}{account_id}").as_bytes()))
}

/// The id of the account `login` in an organisation.
pub fn account_id(organisation_id: &str, login: &str) -> String {
    derived_id("account", organisation_id, login)
}

/// The id of the class `name` in an organisation.
pub fn class_id(organisation_id: &str, name: &str) -> String {
    derived_id("class", organisation_id, name)
}

#[cfg(test)]
#[path = "directory_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "directory_proptests.rs"]
mod proptests;
