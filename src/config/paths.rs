//! Config-relative paths: when a configuration file is given, every relative path of
//! the configuration (from the file, the environment or a default) resolves against
//! that file's directory, never the process's; without a file, against the working
//! directory. [`path_keys`] is the one list of path keys: a new one is one line.

use super::Config;
use std::path::{Path, PathBuf};

/// Every path of the configuration, by key. The SQLite URL is handled apart
/// ([`resolve_sqlite_url`]) since it is a URL.
fn path_keys(c: &mut Config) -> Vec<(&'static str, &mut PathBuf)> {
    let mut keys: Vec<(&'static str, &mut PathBuf)> = vec![
        ("keys.master_key_file", &mut c.keys.master_key_file),
        ("mail.dir", &mut c.mail.dir),
        ("audit.checkpoint_file", &mut c.audit.checkpoint_file),
        ("esia.signer.key_file", &mut c.esia.signer.key_file),
        ("esia.signer.cert_file", &mut c.esia.signer.cert_file),
        ("esia.sandbox.personas_file", &mut c.esia.sandbox.personas_file),
        ("esia.sandbox.token_key_file", &mut c.esia.sandbox.token_key_file),
        ("esia.sandbox.token_cert_file", &mut c.esia.sandbox.token_cert_file),
    ];
    keys.extend(c.esia.certificates.iter_mut().map(|p| ("esia.certificates", p)));
    keys.extend(c.esia.certificates_dir.as_mut().map(|p| ("esia.certificates_dir", p)));
    keys.extend(c.esia.ca_bundle.as_mut().map(|p| ("esia.ca_bundle", p)));
    for client in &mut c.esia.sandbox.clients {
        keys.extend(client.certificates.iter_mut().map(|p| ("esia.sandbox.clients.certificates", p)));
    }
    keys
}

/// Resolves every relative path of `config` against `base` (the config file's directory).
pub fn resolve(config: &mut Config, base: &Path) {
    for (_key, path) in path_keys(config) {
        *path = resolve_path(path, base);
    }
    config.database.url = resolve_sqlite_url(&config.database.url, base);
}

/// `path` joined to `base` when relative. An empty path stays empty (unset), and a
/// relative path naming a demo fixture built into the binary stays as it is when no
/// such file is next to the config, so the built-in copy is used
/// (`connector::files`).
pub fn resolve_path(path: &Path, base: &Path) -> PathBuf {
    if path.as_os_str().is_empty() || path.is_absolute() {
        return path.to_path_buf();
    }
    let joined = base.join(path);
    if crate::connector::files::built_in(path).is_some() && !joined.exists() {
        return path.to_path_buf();
    }
    joined
}

/// A `sqlite:` URL whose file path is relative, made absolute against `base`;
/// any other URL (PostgreSQL, in-memory SQLite, an absolute path) unchanged.
pub fn resolve_sqlite_url(url: &str, base: &Path) -> String {
    let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) else {
        return url.to_owned();
    };
    let (file, query) = match rest.split_once('?') {
        Some((file, query)) => (file, Some(query)),
        None => (rest, None),
    };
    if file.is_empty() || file == ":memory:" || Path::new(file).is_absolute() {
        return url.to_owned();
    }
    let joined = base.join(file);
    match query {
        Some(q) => format!("sqlite://{}?{q}", joined.display()),
        None => format!("sqlite://{}", joined.display()),
    }
}

/// The directory of a config file, absolute (against the working directory when the
/// file was named relatively).
pub fn config_dir(file: &Path) -> PathBuf {
    let dir = file.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls() {
        let base = Path::new("/etc/propusk");
        let table = [
            ("sqlite://data/propusk.db", "sqlite:///etc/propusk/data/propusk.db"),
            ("sqlite:data/p.db", "sqlite:///etc/propusk/data/p.db"),
            ("sqlite://./p.db?mode=rwc", "sqlite:///etc/propusk/./p.db?mode=rwc"),
            ("sqlite:///var/lib/propusk/p.db", "sqlite:///var/lib/propusk/p.db"),
            ("sqlite::memory:", "sqlite::memory:"),
            ("sqlite://:memory:", "sqlite://:memory:"),
            ("postgres://u@db/propusk", "postgres://u@db/propusk"),
        ];
        for (url, want) in table {
            assert_eq!(resolve_sqlite_url(url, base), want, "{url}");
        }
    }

    #[test]
    fn paths() {
        let base = Path::new("/etc/propusk");
        let table = [
            ("keys/master.key", "/etc/propusk/keys/master.key"),
            ("/run/secrets/master.key", "/run/secrets/master.key"),
            ("", ""),
            ("../data/mail", "/etc/propusk/../data/mail"),
            // A built-in demo fixture absent next to the config stays relative.
            ("keys/test-rp-rsa.key", "keys/test-rp-rsa.key"),
            ("config/esia-personas.json", "config/esia-personas.json"),
        ];
        for (path, want) in table {
            assert_eq!(resolve_path(Path::new(path), base), PathBuf::from(want), "{path}");
        }
    }

    #[test]
    fn a_fixture_next_to_the_config_wins() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("keys")).unwrap();
        std::fs::write(dir.path().join("keys/test-rp-rsa.key"), b"x").unwrap();
        let got = resolve_path(Path::new("keys/test-rp-rsa.key"), dir.path());
        assert_eq!(got, dir.path().join("keys/test-rp-rsa.key"));
    }

    #[test]
    fn every_path_key_of_the_defaults_resolves() {
        let mut config = Config::default();
        config.audit.checkpoint_file = "audit/checkpoints.jsonl".into();
        config.esia.certificates = vec!["esia/esia.crt".into()];
        resolve(&mut config, Path::new("/srv/p"));
        assert_eq!(config.database.url, "sqlite:///srv/p/data/propusk.db");
        assert_eq!(config.keys.master_key_file, Path::new("/srv/p/keys/master.key"));
        assert_eq!(config.mail.dir, Path::new("/srv/p/data/mail"));
        assert_eq!(config.audit.checkpoint_file, Path::new("/srv/p/audit/checkpoints.jsonl"));
        assert_eq!(config.esia.certificates, vec![PathBuf::from("/srv/p/esia/esia.crt")]);
        assert_eq!(config.esia.signer.key_file, PathBuf::new(), "unset stays unset");
    }

    #[test]
    fn config_dir_is_absolute() {
        assert!(config_dir(Path::new("propusk.toml")).is_absolute());
        assert_eq!(config_dir(Path::new("/etc/propusk/propusk.toml")), Path::new("/etc/propusk"));
    }
}
