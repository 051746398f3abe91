//! The trusted-certificate directory: several files, bad files skipped, reloads.

use super::*;

const SANDBOX: &str = "keys/test-esia-sandbox-rsa.crt";
const OTHER: &str = "keys/test-other-rsa.crt";

fn root(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn cfg(dir: &Path) -> EsiaConfig {
    EsiaConfig {
        certificates: Vec::new(),
        certificates_dir: Some(dir.to_path_buf()),
        certificates_reload_secs: 30,
        ..EsiaConfig::default()
    }
}

fn fingerprint(p: &str) -> String {
    let cert = load_certificates(&root(p)).unwrap().remove(0);
    sha256_hex(&cert.to_der().unwrap())
}

fn der_of(p: &str) -> Vec<u8> {
    load_certificates(&root(p)).unwrap().remove(0).to_der().unwrap()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

async fn now_trusted(store: &TrustStore, now: i64, force: bool) -> Vec<String> {
    sorted(store.certificates(now, force).await.iter().map(|t| t.sha256.clone()).collect())
}

#[tokio::test]
async fn every_certificate_file_of_the_directory_is_trusted_and_bad_ones_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root(SANDBOX), dir.path().join("esia-2025.pem")).unwrap();
    std::fs::write(dir.path().join("esia-2026.CER"), der_of(OTHER)).unwrap();
    std::fs::write(dir.path().join("broken.crt"), b"-----BEGIN CERTIFICATE-----\nnot base64\n").unwrap();
    std::fs::write(dir.path().join("README.txt"), b"not a certificate").unwrap();
    std::fs::copy(root(OTHER), dir.path().join(".hidden.pem")).unwrap();
    let store = TrustStore::load(&cfg(dir.path()), 0).unwrap();
    assert_eq!(sorted(store.fingerprints()), sorted(vec![fingerprint(SANDBOX), fingerprint(OTHER)]));
}

#[tokio::test]
async fn the_single_certificate_key_still_works_alone_and_with_a_directory() {
    let alone = EsiaConfig { certificates: vec![root(SANDBOX)], ..EsiaConfig::default() };
    assert_eq!(TrustStore::load(&alone, 0).unwrap().fingerprints(), vec![fingerprint(SANDBOX)]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root(OTHER), dir.path().join("new.pem")).unwrap();
    let both = EsiaConfig { certificates: vec![root(SANDBOX)], ..cfg(dir.path()) };
    let store = TrustStore::load(&both, 0).unwrap();
    std::fs::remove_file(dir.path().join("new.pem")).unwrap();
    std::fs::copy(root(SANDBOX), dir.path().join("again.pem")).unwrap();
    let now = now_trusted(&store, 31, false).await;
    assert_eq!(now, vec![fingerprint(SANDBOX), fingerprint(SANDBOX)], "the fixed file stays, the directory changed");
}

#[tokio::test]
async fn start_up_refuses_an_empty_or_missing_directory() {
    let dir = tempfile::tempdir().unwrap();
    let err = TrustStore::load(&cfg(dir.path()), 0).unwrap_err();
    assert!(err.to_string().contains("esia.certificates"), "{err}");
    let err = TrustStore::load(&cfg(&dir.path().join("absent")), 0).unwrap_err();
    assert!(err.to_string().contains("esia.certificates_dir"), "{err}");
    let bad = EsiaConfig { certificates: vec![dir.path().join("absent.pem")], ..EsiaConfig::default() };
    assert!(TrustStore::load(&bad, 0).unwrap_err().to_string().contains("esia.certificates"));
}

#[tokio::test]
async fn the_directory_is_reread_when_due_or_forced_and_keeps_the_previous_set_on_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.pem");
    std::fs::copy(root(SANDBOX), &old).unwrap();
    let store = TrustStore::load(&cfg(dir.path()), 1000).unwrap();
    // A new certificate dropped in: seen when forced (a token fits none) or once due.
    std::fs::copy(root(OTHER), dir.path().join("new.pem")).unwrap();
    assert_eq!(now_trusted(&store, 1010, false).await, vec![fingerprint(SANDBOX)], "not due yet");
    let both = sorted(vec![fingerprint(SANDBOX), fingerprint(OTHER)]);
    assert_eq!(now_trusted(&store, 1010, true).await, both, "forced");
    // The old one removed: gone at the next due reload.
    std::fs::remove_file(&old).unwrap();
    assert_eq!(now_trusted(&store, 1020, false).await, both, "not due yet");
    assert_eq!(now_trusted(&store, 1041, false).await, vec![fingerprint(OTHER)], "due");
    // A file overwritten with garbage keeps what it had; an emptied directory keeps the set.
    std::fs::write(dir.path().join("new.pem"), b"garbage").unwrap();
    assert_eq!(now_trusted(&store, 1100, false).await, vec![fingerprint(OTHER)], "bad file: previous kept");
    std::fs::remove_file(dir.path().join("new.pem")).unwrap();
    assert_eq!(now_trusted(&store, 1200, false).await, vec![fingerprint(OTHER)], "empty: previous kept");
    // The directory itself gone: the previous set stays.
    drop(dir);
    assert_eq!(now_trusted(&store, 1300, true).await, vec![fingerprint(OTHER)]);
}
