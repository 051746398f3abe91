//! Reading the key, certificate and persona files the connector and the sandbox are
//! configured with — and the demo set that comes with the binary.
//!
//! `serve --demo` must run from any directory with nothing but the binary, so the
//! test fixtures it uses (the sandbox personas and the `keys/test-*` keys and
//! certificates, public in the repository and never for production) are compiled
//! in. A configured path is always read from disk first; only when a *relative* path
//! that names one of these fixtures exactly is missing is the built-in copy used.
//! A production key or certificate is never built in, so a wrong path for one is
//! always an error.

use std::path::Path;

/// The built-in demo files, by the relative path the default configuration names.
const BUILT_IN: &[(&str, &[u8])] = &[
    ("config/esia-personas.json", include_bytes!("../../config/esia-personas.json")),
    ("keys/test-rp-rsa.key", include_bytes!("../../keys/test-rp-rsa.key")),
    ("keys/test-rp-rsa.crt", include_bytes!("../../keys/test-rp-rsa.crt")),
    ("keys/test-rp-gost.key", include_bytes!("../../keys/test-rp-gost.key")),
    ("keys/test-rp-gost.crt", include_bytes!("../../keys/test-rp-gost.crt")),
    ("keys/test-esia-sandbox-rsa.key", include_bytes!("../../keys/test-esia-sandbox-rsa.key")),
    ("keys/test-esia-sandbox-rsa.crt", include_bytes!("../../keys/test-esia-sandbox-rsa.crt")),
    ("keys/test-esia-sandbox-gost.key", include_bytes!("../../keys/test-esia-sandbox-gost.key")),
    ("keys/test-esia-sandbox-gost.crt", include_bytes!("../../keys/test-esia-sandbox-gost.crt")),
];

/// The built-in copy of a demo file named by `path`, if it is one.
pub fn built_in(path: &Path) -> Option<&'static [u8]> {
    if path.is_absolute() {
        return None;
    }
    let name = path.to_str()?.trim_start_matches("./");
    BUILT_IN.iter().find(|(n, _)| *n == name).map(|(_, bytes)| *bytes)
}

/// The file at `path`, or — when it does not exist and names a demo fixture — the
/// built-in copy.
pub fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    match std::fs::read(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => built_in(path).map(<[u8]>::to_vec).ok_or(e),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_fixtures_are_built_in_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("keys/test-rp-rsa.key");
        assert!(read(&elsewhere).is_err(), "an absolute path is read from disk only");
        assert!(read(Path::new("keys/production.key")).is_err(), "no production key is built in");
        assert!(built_in(Path::new("./keys/test-rp-rsa.crt")).is_some());
        assert!(built_in(Path::new("config/esia-personas.json")).is_some());
        assert!(built_in(Path::new("keys/master.key")).is_none(), "the master key is never built in");
    }
}
