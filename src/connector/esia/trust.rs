//! ESIA's token-signing certificates we trust: the files of `esia.certificates` and
//! every `.pem`/`.cer`/`.crt`/`.der` file of `esia.certificates_dir`, several at once
//! (ESIA replaces its certificate without notice). The directory is looked at again
//! every `certificates_reload_secs` and whenever a token fits none of the trusted
//! certificates; it is re-read only when its listing changed. A file that does not
//! parse is logged and skipped (its previous certificates, if any, are kept); a reload
//! that would leave nothing keeps the previous set.

use crate::connector::ConnectorError;
use crate::connector::config::EsiaConfig;
use crate::connector::signer::load_certificates;
use openssl::x509::X509;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

/// One trusted certificate and where it came from.
#[derive(Clone)]
pub struct Trusted {
    pub cert: X509,
    /// SHA-256 of the DER, lowercase hex (the fingerprint operators compare).
    pub sha256: String,
    pub source: PathBuf,
}

/// What a directory looked like: (path, modified, length) of each certificate file.
type Listing = Vec<(PathBuf, Option<SystemTime>, u64)>;

#[derive(Clone, Default)]
struct Snapshot {
    certs: Arc<Vec<Trusted>>,
    listing: Listing,
    checked_at: i64,
}

/// The set of trusted ESIA certificates, shared by every login of the process.
pub struct TrustStore {
    fixed: Vec<PathBuf>,
    dir: Option<PathBuf>,
    reload_secs: i64,
    current: RwLock<Snapshot>,
}

impl std::fmt::Debug for TrustStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustStore").field("dir", &self.dir).field("certificates", &self.fingerprints()).finish()
    }
}

fn internal(key: &str, reason: impl std::fmt::Display) -> ConnectorError {
    ConnectorError::Internal(format!("esia.{key}: {reason}"))
}

impl TrustStore {
    /// Loads the configured certificates. At start-up a bad file of `esia.certificates`,
    /// an unreadable directory or an empty set is an error; later reloads only log.
    pub fn load(cfg: &EsiaConfig, now: i64) -> Result<Self, ConnectorError> {
        let mut certs = Vec::new();
        for path in &cfg.certificates {
            certs.extend(read_file(path).map_err(|e| internal("certificates", e))?);
        }
        let mut listing = Vec::new();
        if let Some(dir) = &cfg.certificates_dir {
            listing = list(dir).map_err(|e| internal("certificates_dir", format!("{}: {e}", dir.display())))?;
            certs.extend(read_listed(&listing, &[]));
        }
        if certs.is_empty() {
            return Err(internal(
                "certificates",
                "no ESIA certificate found (esia.certificates, esia.certificates_dir)",
            ));
        }
        let store = Self {
            fixed: cfg.certificates.clone(),
            dir: cfg.certificates_dir.clone(),
            reload_secs: cfg.certificates_reload_secs.max(1),
            current: RwLock::new(Snapshot { certs: Arc::new(certs), listing, checked_at: now }),
        };
        tracing::info!(certificates = %store.fingerprints().join(", "), "trusted ESIA certificates loaded");
        Ok(store)
    }

    fn snapshot(&self) -> Snapshot {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The trusted certificates now; looks at the directory again when the reload
    /// period has passed or `force` (a token fitted none of them).
    pub async fn certificates(&self, now: i64, force: bool) -> Arc<Vec<Trusted>> {
        let snap = self.snapshot();
        let Some(dir) = self.dir.clone() else { return snap.certs };
        if !force && now - snap.checked_at < self.reload_secs {
            return snap.certs;
        }
        let fixed: Vec<Trusted> = snap.certs.iter().filter(|t| self.fixed.contains(&t.source)).cloned().collect();
        let previous = snap.clone();
        let scanned = tokio::task::spawn_blocking(move || rescan(&dir, previous, fixed, now)).await;
        match scanned {
            Ok(next) => {
                let certs = next.certs.clone();
                *self.current.write().unwrap_or_else(|p| p.into_inner()) = next;
                certs
            }
            Err(e) => {
                tracing::error!(error = %e, "re-reading esia.certificates_dir failed; the previous certificates stay");
                snap.certs
            }
        }
    }

    /// SHA-256 fingerprints of the trusted certificates, for logs.
    pub fn fingerprints(&self) -> Vec<String> {
        self.snapshot().certs.iter().map(|t| t.sha256.clone()).collect()
    }
}

/// Re-reads `dir` if its listing changed since `previous`; blocking.
fn rescan(dir: &Path, previous: Snapshot, fixed: Vec<Trusted>, now: i64) -> Snapshot {
    let listing = match list(dir) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(dir = %dir.display(), error = %e, "esia.certificates_dir unreadable; the previous certificates stay");
            return Snapshot { checked_at: now, ..previous };
        }
    };
    if listing == previous.listing {
        return Snapshot { checked_at: now, ..previous };
    }
    let mut certs = fixed;
    certs.extend(read_listed(&listing, &previous.certs));
    if certs.is_empty() {
        tracing::error!(dir = %dir.display(), "esia.certificates_dir holds no usable certificate; the previous certificates stay");
        return Snapshot { checked_at: now, listing, ..previous };
    }
    let fingerprints: Vec<&str> = certs.iter().map(|t| t.sha256.as_str()).collect();
    tracing::info!(certificates = %fingerprints.join(", "), "trusted ESIA certificates reloaded");
    Snapshot { certs: Arc::new(certs), listing, checked_at: now }
}

/// The certificate files of `dir`, sorted: regular files named `*.pem`, `*.cer`,
/// `*.crt` or `*.der` (any case), hidden files skipped.
fn list(dir: &Path) -> std::io::Result<Listing> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_ascii_lowercase();
        let wanted = [".pem", ".cer", ".crt", ".der"].iter().any(|ext| name.ends_with(ext));
        if name.starts_with('.') || !wanted {
            continue;
        }
        let Ok(meta) = std::fs::metadata(&path) else { continue };
        if meta.is_file() {
            out.push((path, meta.modified().ok(), meta.len()));
        }
    }
    out.sort();
    Ok(out)
}

/// Reads every listed file; a bad one is logged and replaced by what `previous` had from it.
fn read_listed(listing: &Listing, previous: &[Trusted]) -> Vec<Trusted> {
    let mut out = Vec::new();
    for (path, _, _) in listing {
        match read_file(path) {
            Ok(certs) => out.extend(certs),
            Err(e) => {
                let kept: Vec<Trusted> = previous.iter().filter(|t| &t.source == path).cloned().collect();
                tracing::warn!(file = %path.display(), error = %e, kept = kept.len(), "skipping an ESIA certificate file that does not parse");
                out.extend(kept);
            }
        }
    }
    out
}

fn read_file(path: &Path) -> Result<Vec<Trusted>, String> {
    let certs = load_certificates(path).map_err(|e| e.to_string())?;
    certs
        .into_iter()
        .map(|cert| {
            let der = cert.to_der().map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(Trusted { sha256: sha256_hex(&der), cert, source: path.to_path_buf() })
        })
        .collect()
}

/// SHA-256, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[cfg(test)]
#[path = "trust_tests.rs"]
mod tests;
