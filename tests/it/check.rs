//! `propusk check` against the real binary: it passes on a good installation (SQLite
//! or PostgreSQL, with ESIA at a real `propusk esia-sandbox`) and changes nothing; each
//! failure is exit code 2 and its one line.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::binary::{self, Server, free_port};
use crate::common::{PgDb, fresh_database};
use std::path::{Path, PathBuf};
use std::process::Output;

/// An installation: a config file in `conf/` with relative paths (resolved against
/// `conf/`), run from an unrelated empty working directory.
struct Install {
    dir: tempfile::TempDir,
    cwd: tempfile::TempDir,
    url: String,
    _pg: Option<PgDb>,
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

impl Install {
    fn new(extra: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("conf")).unwrap();
        let (url, pg) = fresh_database(&dir.path().join("conf/data"));
        // SQLite by a relative path: it lands next to the config.
        let written = if pg.is_some() { url.clone() } else { "sqlite://data/propusk.db".to_owned() };
        let url =
            if pg.is_some() { url } else { format!("sqlite://{}", dir.path().join("conf/data/propusk.db").display()) };
        let install = Self { dir, cwd: tempfile::tempdir().unwrap(), url, _pg: pg };
        install.write(&written, extra);
        install
    }

    fn write(&self, url: &str, extra: &str) {
        let toml = format!(
            "issuer = \"http://127.0.0.1:8080\"\n[database]\nurl = \"{url}\"\n\
             [keys]\nmaster_key_file = \"keys/master.key\"\n{extra}"
        );
        std::fs::write(self.config(), toml).unwrap();
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("conf/propusk.toml")
    }

    fn conf(&self, path: &str) -> PathBuf {
        self.dir.path().join("conf").join(path)
    }

    fn run(&self, args: &[&str]) -> Output {
        let config = self.config();
        let mut all = vec!["--config", config.to_str().unwrap()];
        all.extend_from_slice(args);
        binary::run(self.cwd.path(), &all)
    }

    /// `migrate` (master key, schema, fingerprint) and `keys list` (signing keys).
    fn set_up(&self) {
        let out = self.run(&["migrate"]);
        assert!(out.status.success(), "migrate: {}", binary::stderr(&out));
        let out = self.run(&["keys", "list"]);
        assert!(out.status.success(), "keys list: {}", binary::stderr(&out));
    }

    /// Runs `check`, asserts exit 2 and that a stderr line starts with `line`.
    fn fails_with(&self, line: &str) -> String {
        let out = self.run(&["check"]);
        let err = binary::stderr(&out);
        assert_eq!(out.status.code(), Some(2), "exit 2; stdout {} stderr {err}", binary::stdout(&out));
        assert!(err.lines().any(|l| l.starts_with(line)), "a line `{line}…` in:\n{err}");
        err
    }
}

/// The `[esia]` section of a connection to a sandbox at `port` (signer: `signer`).
fn esia_section(port: u16, signer: &str) -> String {
    format!(
        "[esia]\nenabled = true\nallow_http = true\nbase_url = \"http://127.0.0.1:{port}\"\nclient_id = \"PROPUSK\"\n\
         redirect_uri = \"http://127.0.0.1:8080/login/esia/callback\"\ncertificates = [\"{}\"]\n\
         connect_timeout_ms = 500\ntimeout_ms = 1000\n[esia.signer]\nalgorithm = \"RS256\"\n{signer}",
        repo("keys/test-esia-sandbox-rsa.crt").display()
    )
}

fn rsa_signer(key: &Path, cert: &Path) -> String {
    format!("kind = \"openssl\"\nkey_file = \"{}\"\ncert_file = \"{}\"\n", key.display(), cert.display())
}

fn test_signer() -> String {
    rsa_signer(&repo("keys/test-rp-rsa.key"), &repo("keys/test-rp-rsa.crt"))
}

#[tokio::test]
async fn check_passes_on_a_good_installation_and_changes_nothing() {
    let port = free_port();
    let sandbox_cwd = tempfile::tempdir().unwrap();
    let _sandbox =
        Server::spawn(binary::command(sandbox_cwd.path(), &["esia-sandbox", "--listen", &format!("127.0.0.1:{port}")]));
    let install = Install::new(&esia_section(port, &test_signer()));
    // Before anything exists: problems, and nothing created.
    let err = install.fails_with("error: keys: no master key");
    if install._pg.is_none() {
        assert!(err.contains("error: database: unreachable"), "{err}");
        assert!(!install.conf("data/propusk.db").exists(), "check creates no database");
    }
    assert!(!install.conf("keys/master.key").exists(), "check creates no master key");
    install.set_up();
    assert!(install.conf("keys/master.key").is_file(), "the key file is next to the config");
    assert!(binary::wait_up(&format!("http://127.0.0.1:{port}/")).await, "the sandbox starts");
    let out = install.run(&["check"]);
    let text = binary::stdout(&out);
    assert!(out.status.success(), "check passes: {text} {}", binary::stderr(&out));
    for line in [
        "ok: database: fully migrated",
        "ok: keys: the master key is the installation's",
        "ok: esia: the signer signs (RS256)",
        "ok: esia: http://127.0.0.1:",
        "propusk check: OK",
    ] {
        assert!(text.lines().any(|l| l.starts_with(line)), "`{line}` in:\n{text}");
    }
    assert!(text.contains("signing keys decrypt with this master key"), "{text}");
}

#[tokio::test]
async fn check_unreachable_database() {
    let install = Install::new("");
    install.set_up();
    install.write(&format!("postgres://propusk@127.0.0.1:{}/propusk", free_port()), "");
    install.fails_with("error: database: unreachable (postgres://propusk@127.0.0.1:");
    install.write("sqlite://nowhere/propusk.db", "");
    let err = install.fails_with("error: database: unreachable (sqlite://");
    assert!(err.contains("no database file"), "{err}");
}

#[tokio::test]
async fn check_unmigrated_database() {
    let install = Install::new("");
    if install._pg.is_none() {
        std::fs::create_dir_all(install.conf("data")).unwrap();
    }
    // A database that exists but never saw `propusk migrate`.
    binary::sql(&install.url, "CREATE TABLE unrelated (x INTEGER)");
    std::fs::create_dir_all(install.conf("keys")).unwrap();
    std::fs::write(install.conf("keys/master.key"), format!("{}\n", propusk::crypto::random_token())).unwrap();
    // Every migration the binary carries is named, in order, as pending.
    let mut names: Vec<String> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().trim_end_matches(".sql").to_owned())
        .collect();
    names.sort();
    let pending = format!("error: database: not migrated: pending {} (run `propusk migrate`)", names.join(", "));
    let err = install.fails_with(&pending);
    assert!(names.len() >= 25, "{names:?}");
    assert!(err.contains(&pending), "{err}");
}

#[tokio::test]
async fn check_and_serve_refuse_another_master_key() {
    let install = Install::new("");
    install.set_up();
    let other = propusk::crypto::random_token();
    std::fs::write(install.conf("keys/master.key"), format!("{other}\n")).unwrap();
    let err = install.fails_with("error: keys: the master key is not this installation's");
    assert!(err.contains("every node needs the same keys.master_key"), "{err}");
    let out = install.run(&["serve"]);
    assert_eq!(out.status.code(), Some(1), "serve refuses: {}", binary::stderr(&out));
    assert!(binary::stderr(&out).contains("the master key is not this installation's"), "{}", binary::stderr(&out));
}

#[tokio::test]
async fn check_undecryptable_signing_key() {
    let install = Install::new("");
    install.set_up();
    // A row moved to another kid no longer decrypts (the kid is the AEAD's associated data).
    binary::sql(&install.url, "UPDATE signing_keys SET kid = kid || 'x' WHERE alg = 'RS256'");
    install.fails_with("error: keys: signing keys: ");
}

#[tokio::test]
async fn check_signer_that_fails() {
    let install = Install::new(&esia_section(
        free_port(),
        &format!(
            "kind = \"command\"\ncommand = [\"false\"]\ncert_file = \"{}\"\n",
            repo("keys/test-rp-rsa.crt").display()
        ),
    ));
    install.set_up();
    install.fails_with("error: esia: esia.signer cannot sign a test message");
}

#[tokio::test]
async fn check_expired_certificate() {
    let install = Install::new("");
    let (key, cert) = expired_pair(&install.conf("keys"));
    install.write(&install_url(&install), &esia_section(free_port(), &rsa_signer(&key, &cert)));
    install.set_up();
    install.fails_with("error: esia: the signer's certificate (esia.signer.cert_file) has expired");
}

#[tokio::test]
async fn check_unreachable_smtp() {
    let port = free_port();
    let install = Install::new(&format!(
        "[mail]\ntransport = \"smtp\"\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {port}\nsmtp_tls = \"none\"\ntimeout_secs = 2\n"
    ));
    install.set_up();
    install.fails_with(&format!("error: smtp: unreachable: 127.0.0.1:{port}"));
}

#[tokio::test(flavor = "multi_thread")]
async fn check_reaches_an_smtp_relay() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(crate::smtp_sink::smtp_sink(listener, Default::default()));
    let install = Install::new(&format!(
        "[mail]\ntransport = \"smtp\"\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {port}\nsmtp_tls = \"none\"\n"
    ));
    install.set_up();
    let out = tokio::task::spawn_blocking(move || (install.run(&["check"]), install)).await.unwrap().0;
    let text = binary::stdout(&out);
    assert!(out.status.success(), "check passes: {text} {}", binary::stderr(&out));
    assert!(text.contains(&format!("ok: smtp: 127.0.0.1:{port} answers")), "{text}");
}

#[tokio::test]
async fn check_unreachable_esia() {
    let port = free_port();
    let install = Install::new(&esia_section(port, &test_signer()));
    install.set_up();
    let err = install.fails_with(&format!("error: esia: unreachable: http://127.0.0.1:{port}"));
    assert!(!err.contains("signer"), "only ESIA is the problem: {err}");
}

/// The URL as written into the config (SQLite relative to it).
fn install_url(install: &Install) -> String {
    if install._pg.is_some() { install.url.clone() } else { "sqlite://data/propusk.db".to_owned() }
}

/// An RSA key and a certificate that ended yesterday, as PEM files in `dir`.
fn expired_pair(dir: &Path) -> (PathBuf, PathBuf) {
    use openssl::asn1::Asn1Time;
    use openssl::hash::MessageDigest;
    use openssl::pkey::PKey;
    use openssl::rsa::Rsa;
    use openssl::x509::{X509, X509NameBuilder};
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "expired test").unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    let now = propusk::clock::Clock::now(&propusk::clock::SystemClock);
    b.set_not_before(&Asn1Time::from_unix(now - 400 * 86400).unwrap()).unwrap();
    b.set_not_after(&Asn1Time::from_unix(now - 86400).unwrap()).unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    std::fs::create_dir_all(dir).unwrap();
    let (k, c) = (dir.join("expired.key"), dir.join("expired.crt"));
    std::fs::write(&k, key.private_key_to_pem_pkcs8().unwrap()).unwrap();
    std::fs::write(&c, b.build().to_pem().unwrap()).unwrap();
    (k, c)
}

/// A rolling upgrade: a newer release migrated the shared database; this (older)
/// binary still migrates (nothing to do), checks and serves it.
#[tokio::test]
async fn an_older_binary_accepts_a_database_migrated_by_a_newer_release() {
    let install = Install::new("");
    install.set_up();
    let future = if install._pg.is_some() {
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'future', true, '\\x00'::bytea, 0)"
    } else {
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'future', 1, X'00', 0)"
    };
    binary::sql(&install.url, future);
    let out = install.run(&["migrate"]);
    assert!(out.status.success(), "migrate accepts the newer database: {}", binary::stderr(&out));
    let out = install.run(&["check"]);
    let text = binary::stdout(&out);
    assert!(out.status.success(), "check passes: {text} {}", binary::stderr(&out));
    assert!(text.contains("note: database: migrated by a newer release too (versions [9999])"), "{text}");
}
