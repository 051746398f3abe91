//! Helpers of the headless-Chromium browser test: the DevTools client, page actions,
//! and an in-process propusk demo server on an ephemeral loopback port.

pub mod cdp;
pub mod page;

use anyhow::{Context, Result, bail};
use propusk::clock::{Clock, SystemClock};
use propusk::config::Config;
use std::path::PathBuf;
use std::sync::Arc;

/// propusk running in demo mode on a fresh SQLite database.
pub struct Server {
    pub issuer: String,
    /// Where the demo server's mail lands (`.eml` files).
    #[allow(dead_code)]
    pub mail_dir: PathBuf,
    running: Option<propusk::app::Running>,
    _dir: tempfile::TempDir,
}

impl Server {
    pub async fn start() -> Result<Self> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir()?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let mut config = Config { issuer: format!("http://127.0.0.1:{port}"), ..Config::default() };
        config.server.listen = format!("127.0.0.1:{port}");
        config.demo = true;
        config.keys.master_key = propusk::crypto::SecretString::new(propusk::crypto::random_token());
        config.keys.master_key_file = dir.path().join("master.key");
        config.mail.dir = dir.path().join("mail");
        config.database.url = format!("sqlite://{}", dir.path().join("propusk.db").display());
        config.database.max_connections = 8;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let running = propusk::app::spawn(config.clone(), clock, listener).await?;
        Ok(Server { issuer: config.issuer, mail_dir: config.mail.dir, running: Some(running), _dir: dir })
    }

    /// The running application (its store, for a test's own set-up).
    #[allow(dead_code)]
    pub fn app(&self) -> Option<&propusk::app::App> {
        self.running.as_ref().map(|r| &*r.app)
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }
}

/// Whether the browser is there. Missing: CI fails, a developer's run is skipped (false).
pub fn chromium_available() -> bool {
    if std::path::Path::new(cdp::CHROMIUM).exists() {
        return true;
    }
    let in_ci = std::env::var("CI").is_ok_and(|v| !v.is_empty());
    assert!(!in_ci, "{} is missing: CI must install the `chromium` package", cdp::CHROMIUM);
    println!("skipped: {} is not installed (apt-get install chromium)", cdp::CHROMIUM);
    false
}

/// `target/screenshots/<journey>` (or under `CARGO_TARGET_DIR`).
pub fn screenshot_dir(journey: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("screenshots").join(journey)
}

/// A whole browser journey must finish well within this.
pub const JOURNEY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Runs `journey` in a fresh browser of `size` (screenshots in
/// `target/screenshots/<shots>/`) against `server`, then closes both; fails on the
/// journey's error, on [`JOURNEY_TIMEOUT`], or on a layout problem a page showed.
pub async fn drive(
    shots: &str,
    size: (&'static str, u32, u32, bool),
    server: Server,
    journey: impl AsyncFnOnce(&mut page::Page, &Server) -> Result<()>,
) -> Result<()> {
    let mut page = page::Page::new(screenshot_dir(shots), size).await?;
    let outcome =
        tokio::time::timeout(JOURNEY_TIMEOUT, journey(&mut page, &server)).await.context("the journey took too long");
    let problems = std::mem::take(&mut page.problems);
    page.browser.close().await;
    server.stop().await;
    outcome??;
    if !problems.is_empty() {
        bail!("layout problems:\n{}", problems.join("\n"));
    }
    Ok(())
}
