//! A database outage under load, against the real binary and a PostgreSQL of the
//! test's own (initdb in a temporary directory, never the shared server): while the
//! database is down every answer is 503 with `Retry-After` (no 500) within the
//! acquire timeout and a margin, `/readyz` fails within 1 s, and once PostgreSQL is
//! back full service returns within 5 s without restarting propusk.
//! Skipped (with a message) when the PostgreSQL server binaries are not installed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fault_support;

use fault_support::{Install, OwnPg};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ACQUIRE_TIMEOUT_MS: u64 = 1500;
/// Scheduling, TLS-free loopback HTTP and a busy shared machine.
const MARGIN: Duration = Duration::from_millis(1000);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Token,
    Ready,
    UserInfo,
    Page,
}

#[derive(Debug, Clone)]
struct Sample {
    kind: Kind,
    /// Since the start of the load.
    sent: Duration,
    answered: Duration,
    status: u16,
    retry_after: Option<String>,
    /// `error` of a JSON answer, or "html" for a page.
    body: String,
}

impl Sample {
    fn took(&self) -> Duration {
        self.answered - self.sent
    }

    fn healthy(&self) -> bool {
        match self.kind {
            // A client_credentials token has no `openid` scope: 403 is userinfo's healthy answer.
            Kind::UserInfo => self.status == 403 || self.status == 200,
            _ => self.status == 200,
        }
    }
}

struct Load {
    t0: Instant,
    samples: Arc<Mutex<Vec<Sample>>>,
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

async fn one(
    http: &reqwest::Client,
    base: &str,
    kind: Kind,
    id: &str,
    secret: &str,
    access: &str,
) -> (u16, Option<String>, String) {
    let req = match kind {
        Kind::Token => http
            .post(format!("{base}/token"))
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "client_credentials")]),
        Kind::Ready => http.get(format!("{base}/readyz")),
        Kind::UserInfo => http.get(format!("{base}/userinfo")).bearer_auth(access),
        Kind::Page => http.get(format!("{base}/login")),
    };
    match req.send().await {
        Ok(res) => {
            let status = res.status().as_u16();
            let retry = res.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
            let html =
                res.headers().get("content-type").is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/html"));
            let text = res.text().await.unwrap_or_default();
            let body = if html {
                "html".to_owned()
            } else {
                serde_json::from_str::<serde_json::Value>(&text)
                    .ok()
                    .and_then(|v| v["error"].as_str().map(str::to_owned))
                    .unwrap_or(text)
            };
            (status, retry, body)
        }
        Err(e) => (0, None, format!("transport: {e}")),
    }
}

fn start_load(base: String, id: String, secret: String, access: String) -> Load {
    let t0 = Instant::now();
    let samples = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    // One worker per kind (two for tokens), like clients and a readiness probe at once.
    let kinds = [Kind::Token, Kind::Token, Kind::Ready, Kind::UserInfo, Kind::Page];
    let tasks = kinds
        .into_iter()
        .map(|kind| {
            let (base, id, secret, access) = (base.clone(), id.clone(), secret.clone(), access.clone());
            let (samples, stop) = (samples.clone(), stop.clone());
            tokio::spawn(async move {
                let http = reqwest::Client::builder().timeout(Duration::from_secs(15)).build().unwrap();
                while !stop.load(Ordering::Relaxed) {
                    let sent = t0.elapsed();
                    let (status, retry_after, body) = one(&http, &base, kind, &id, &secret, &access).await;
                    let answered = t0.elapsed();
                    samples.lock().unwrap().push(Sample { kind, sent, answered, status, retry_after, body });
                    tokio::time::sleep(Duration::from_millis(15)).await;
                }
            })
        })
        .collect();
    Load { t0, samples, stop, tasks }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_outage_answers_503_with_retry_after_and_recovers_without_restart() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let Some(pg) = OwnPg::init() else {
        eprintln!("skipped: no PostgreSQL server binaries (initdb, pg_ctl) found");
        return;
    };
    pg.start();
    let dir = tempfile::tempdir().unwrap();
    let mut install = Install::new(dir.path(), &pg.url());
    install.extra.push(("PROPUSK_DATABASE__ACQUIRE_TIMEOUT_MS".into(), ACQUIRE_TIMEOUT_MS.to_string()));
    let server = install.serve(false).await;
    let client = install.add_client(&["--id", "outage-rp", "--grant-type", "client_credentials"]);
    let secret = client["client_secret"].as_str().unwrap().to_owned();
    let base = install.base();

    let http = reqwest::Client::new();
    let first = http
        .post(format!("{base}/token"))
        .basic_auth("outage-rp", Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let access = first.json::<serde_json::Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();

    let load = start_load(base.clone(), "outage-rp".into(), secret, access);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let stopping = load.t0.elapsed();
    tokio::task::block_in_place(|| pg.stop_immediate());
    let down = load.t0.elapsed();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let restart = load.t0.elapsed();
    tokio::task::block_in_place(|| pg.start());
    let up = load.t0.elapsed();
    tokio::time::sleep(Duration::from_secs(6)).await;
    // A restart of PostgreSQL's side of every connection (admin shutdown, 57P01).
    let terminate = load.t0.elapsed();
    let terminated = tokio::task::block_in_place(|| pg.terminate_backends("propusk"));
    assert!(terminated > 0, "propusk had connections to end");
    tokio::time::sleep(Duration::from_secs(3)).await;
    load.stop.store(true, Ordering::Relaxed);
    for t in load.tasks {
        t.await.unwrap();
    }
    let samples = load.samples.lock().unwrap().clone();
    let log = server.log_tail();
    drop(server);

    let report = |s: &Sample| format!("{s:?}\n--- server log ---\n{log}");
    let acquire = Duration::from_millis(ACQUIRE_TIMEOUT_MS);
    // Before the outage: full service.
    let before: Vec<_> = samples.iter().filter(|s| s.answered < stopping).collect();
    assert!(before.len() > 20, "load before the outage: {}", before.len());
    for s in &before {
        assert!(s.healthy(), "before the outage: {}", report(s));
    }
    // Never a 500, a cut connection or an answer slower than the acquire timeout + a margin.
    for s in &samples {
        assert!(s.status == 503 || s.healthy(), "only healthy answers or 503: {}", report(s));
        assert!(s.took() <= acquire + MARGIN, "answered within acquire timeout + margin: {}", report(s));
        if s.kind == Kind::Ready {
            assert!(s.took() < Duration::from_secs(1), "/readyz within 1 s: {}", report(s));
        }
        if s.status == 503 {
            assert_eq!(s.retry_after.as_deref(), Some("5"), "503 carries Retry-After: {}", report(s));
            let want = match s.kind {
                Kind::Token | Kind::UserInfo => "temporarily_unavailable",
                Kind::Page => "html",
                Kind::Ready => "database unavailable",
            };
            assert_eq!(s.body, want, "the 503 of its boundary: {}", report(s));
        }
    }
    // While the database is down (sent after it stopped, answered before it was started again): 503.
    let during: Vec<_> = samples.iter().filter(|s| s.sent > down && s.answered < restart).collect();
    for kind in [Kind::Token, Kind::Ready, Kind::UserInfo, Kind::Page] {
        assert!(during.iter().any(|s| s.kind == kind), "{kind:?} was tried during the outage");
    }
    for s in &during {
        assert_eq!(s.status, 503, "during the outage: {}", report(s));
    }
    // Back: from some moment on, every answer is healthy again, within 5 s of the return.
    let back: Vec<_> = samples.iter().filter(|s| s.answered < terminate).collect();
    let last_bad = back.iter().filter(|s| !s.healthy()).map(|s| s.sent).max().unwrap_or(up);
    let recovered = back.iter().filter(|s| s.sent > last_bad).map(|s| s.sent).min().unwrap();
    let recovery = recovered.saturating_sub(up);
    let last_503 = back.iter().filter(|s| !s.healthy()).map(|s| s.answered).max().unwrap_or(up);
    assert!(recovery <= Duration::from_secs(5), "full service {recovery:?} after PostgreSQL returned");
    let after = back.iter().filter(|s| s.sent > recovered).count();
    assert!(after > 20, "served after the return: {after}");
    // Connections the server ended (57P01) are replaced: healthy again at once.
    let terminated_503 = samples.iter().filter(|s| s.sent > terminate && s.status == 503).count();
    for s in samples.iter().filter(|s| s.sent > terminate + Duration::from_millis(500)) {
        assert!(s.healthy(), "after the connections were terminated: {}", report(s));
    }

    let slowest_503 = samples.iter().filter(|s| s.status == 503).map(Sample::took).max().unwrap_or_default();
    let slowest_ready = samples.iter().filter(|s| s.kind == Kind::Ready).map(Sample::took).max().unwrap_or_default();
    eprintln!(
        "outage: {} requests, {} during the outage (all 503), slowest 503 {slowest_503:?}, slowest /readyz \
         {slowest_ready:?}, full service {recovery:?} after PostgreSQL returned (pg_ctl start took {:?}; \
         the last 503 answered {:?} after it returned); {terminated_503} 503s after {terminated} connections were terminated",
        samples.len(),
        during.len(),
        up - restart,
        last_503.saturating_sub(up)
    );
}
