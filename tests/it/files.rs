//! The files propusk writes are its own user's only: after a real start on SQLite, the
//! database, its `-wal` and `-shm`, a delivered `.eml` and a generated master key are
//! 0600 and the directories propusk created are 0700 (whatever the umask allowed
//! before); files left readable by others by an earlier release are tightened.

use crate::common::*;
use propusk::clock::{Clock as _, SystemClock};
use propusk::config::Config;
use propusk::crypto::SecretString;
use propusk::store::outbox::OutboxMessage;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())).permissions().mode() & 0o777
}

/// Puts the database (SQLite on both backends' runs), mail and the generated master
/// key under `root`, in directories that do not exist yet.
fn under(root: &Path) -> impl FnOnce(&mut Config) + use<> {
    let root = root.to_path_buf();
    move |c: &mut Config| {
        c.database.url = format!("sqlite://{}", root.join("data/propusk.db").display());
        c.keys.master_key = SecretString::default();
        c.keys.master_key_file = root.join("keys/master.key");
        c.mail.dir = root.join("mail");
    }
}

/// Enqueues a message and waits for the files transport to write its `.eml`.
async fn delivered_eml(app: &TestApp, dir: &Path) -> PathBuf {
    let msg = OutboxMessage::new(SystemClock.now(), "parent@example.ru", "Тема", "Текст", "<p>Текст</p>");
    app.app().store.enqueue_mail(&msg, None).await.unwrap();
    for _ in 0..100 {
        let found = std::fs::read_dir(dir).ok().and_then(|entries| {
            entries.filter_map(Result::ok).map(|e| e.path()).find(|p| p.extension().is_some_and(|x| x == "eml"))
        });
        if let Some(path) = found {
            return path;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no .eml in {} after 10 s", dir.display());
}

#[tokio::test]
async fn files_0600_database_wal_mail_and_master_key_after_a_real_start() {
    let root = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_with(under(root.path()), false).await;
    let db = root.path().join("data/propusk.db");
    // The demo data set was written at start: the WAL and its index exist now.
    for file in [db.clone(), root.path().join("data/propusk.db-wal"), root.path().join("data/propusk.db-shm")] {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    assert_eq!(mode(&root.path().join("keys/master.key")), 0o600, "generated master key");
    let eml = delivered_eml(&app, &root.path().join("mail")).await;
    assert_eq!(mode(&eml), 0o600, "{}", eml.display());
    for dir in ["data", "keys", "mail"] {
        assert_eq!(mode(&root.path().join(dir)), 0o700, "directory {dir}");
    }
    // The server answers: nothing above stood in its way.
    assert_eq!(app.http.get(app.url("/healthz")).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn files_0600_files_left_readable_by_others_are_tightened_at_start() {
    let root = tempfile::tempdir().unwrap();
    let loose = std::fs::Permissions::from_mode(0o644);
    for dir in ["data", "keys"] {
        std::fs::create_dir(root.path().join(dir)).unwrap();
        std::fs::set_permissions(root.path().join(dir), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let db = root.path().join("data/propusk.db");
    let key = root.path().join("keys/master.key");
    std::fs::write(&db, b"").unwrap();
    std::fs::write(root.path().join("data/propusk.db-wal"), b"").unwrap();
    let encoded = propusk::crypto::random_token();
    std::fs::write(&key, format!("{encoded}\n")).unwrap();
    for file in [&db, &root.path().join("data/propusk.db-wal"), &key] {
        std::fs::set_permissions(file, loose.clone()).unwrap();
    }
    let app = TestApp::spawn_with(under(root.path()), false).await;
    for file in [db.clone(), root.path().join("data/propusk.db-wal"), root.path().join("data/propusk.db-shm"), key] {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    assert_eq!(std::fs::read_to_string(root.path().join("keys/master.key")).unwrap().trim(), encoded, "key kept");
    assert_eq!(mode(&root.path().join("data")), 0o755, "an existing directory is the operator's");
    assert_eq!(app.http.get(app.url("/healthz")).send().await.unwrap().status(), 200);
}
