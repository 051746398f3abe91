//! The installation's master key: `keys.master_key` from configuration, or the
//! file `keys.master_key_file` (created with mode 0600, its directory 0700, on first
//! start; a key file readable by others is tightened with a warning). Every
//! local secret (cookie MACs, key encryption, SNILS and matching hashes, pairwise
//! subjects) is derived from it.

use crate::config::KeysConfig;
use crate::crypto::{self, MasterKey};
use anyhow::{Context as _, bail};
use std::io::Write as _;

/// The master key if one is configured or its file exists; creates and changes nothing
/// (`propusk check`).
pub fn existing_master_key(cfg: &KeysConfig) -> anyhow::Result<Option<MasterKey>> {
    let encoded = if !cfg.master_key.is_empty() {
        cfg.master_key.expose().trim().to_owned()
    } else if cfg.master_key_file.exists() {
        std::fs::read_to_string(&cfg.master_key_file)
            .with_context(|| format!("cannot read {}", cfg.master_key_file.display()))?
            .trim()
            .to_owned()
    } else {
        return Ok(None);
    };
    decode(&encoded).map(Some)
}

/// The installation's fingerprint of a master key: a keyed hash derived from it (never
/// the key), stored in the database by the first `migrate`/`serve` and compared by every
/// later one and by `propusk check`.
pub fn fingerprint(master: &MasterKey) -> String {
    hex::encode(&master.derive("installation-fingerprint")[..16])
}

pub fn load_master_key(cfg: &KeysConfig) -> anyhow::Result<MasterKey> {
    let encoded = if !cfg.master_key.is_empty() {
        cfg.master_key.expose().trim().to_owned()
    } else if cfg.master_key_file.exists() {
        crate::private_fs::tighten(&cfg.master_key_file);
        std::fs::read_to_string(&cfg.master_key_file)
            .with_context(|| format!("cannot read {}", cfg.master_key_file.display()))?
            .trim()
            .to_owned()
    } else {
        let encoded = crypto::random_token();
        if let Some(dir) = cfg.master_key_file.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::private_fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let mut f = crate::private_fs::create_new(&cfg.master_key_file)
            .with_context(|| format!("cannot create {}", cfg.master_key_file.display()))?;
        f.write_all(format!("{encoded}\n").as_bytes())?;
        tracing::info!(file = %cfg.master_key_file.display(), "generated a new master key");
        encoded
    };
    decode(&encoded)
}

fn decode(encoded: &str) -> anyhow::Result<MasterKey> {
    let bytes = crypto::b64_decode(encoded).context("the master key is not base64url")?;
    let Ok(arr) = <[u8; 32]>::try_from(bytes.as_slice()) else {
        bail!("the master key must be 32 bytes");
    };
    Ok(MasterKey::from_bytes(arr))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_once_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = KeysConfig { master_key_file: dir.path().join("k/master.key"), ..KeysConfig::default() };
        let a = load_master_key(&cfg).unwrap();
        let b = load_master_key(&cfg).unwrap();
        assert_eq!(a.derive("x"), b.derive("x"));
        let mode = std::fs::metadata(&cfg.master_key_file).unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(mode.permissions().mode() & 0o777, 0o600);
    }
}
