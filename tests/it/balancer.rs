//! Several nodes behind a balancer for the scale-out tests: a tiny round-robin TCP
//! balancer (each new connection to the next node, no stickiness) and
//! [`Nodes::spawn`], which starts two propusk servers on one fresh PostgreSQL
//! database with one master key and one issuer (the balancer's address).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A round-robin TCP balancer on loopback; stops when dropped.
pub struct Balancer {
    pub addr: SocketAddr,
    backends: Arc<Mutex<Vec<SocketAddr>>>,
    /// Connections handed to each backend, in the order of `backends`.
    served: Arc<Mutex<Vec<usize>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Balancer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Balancer {
    pub async fn bind() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let backends: Arc<Mutex<Vec<SocketAddr>>> = Arc::default();
        let served: Arc<Mutex<Vec<usize>>> = Arc::default();
        let next = Arc::new(AtomicUsize::new(0));
        let (b, s) = (backends.clone(), served.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let targets = b.lock().unwrap().clone();
                if targets.is_empty() {
                    continue;
                }
                let i = next.fetch_add(1, Ordering::Relaxed) % targets.len();
                s.lock().unwrap()[i] += 1;
                let target = targets[i];
                tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Self { addr, backends, served, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn route_to(&self, backends: Vec<SocketAddr>) {
        *self.served.lock().unwrap() = vec![0; backends.len()];
        *self.backends.lock().unwrap() = backends;
    }

    /// Connections each backend got so far.
    pub fn served(&self) -> Vec<usize> {
        self.served.lock().unwrap().clone()
    }
}

/// A browser that opens a new connection for every request, so that the balancer
/// sends consecutive requests of one journey to different nodes.
pub fn roaming_browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// Two nodes on one database behind a [`Balancer`]. `app` is node A; its `base`
/// (and the issuer of both) is the balancer's URL.
pub struct Nodes {
    pub app: TestApp,
    pub b: Option<propusk::app::Running>,
    pub lb: Balancer,
    /// Node A's and node B's own addresses, bypassing the balancer.
    pub a_url: String,
    pub b_url: String,
}

impl Nodes {
    /// `None` (with the reason printed) unless the tests run on PostgreSQL.
    pub async fn spawn(tweak: impl FnOnce(&mut propusk::config::Config)) -> Option<Self> {
        if std::env::var("TEST_POSTGRES_URL").map(|u| u.is_empty()).unwrap_or(true) {
            eprintln!("skipped: several nodes need PostgreSQL (set TEST_POSTGRES_URL); SQLite is one node");
            return None;
        }
        let lb = Balancer::bind().await;
        let issuer = lb.url();
        let app = TestApp::spawn_with(
            |c| {
                c.issuer = issuer;
                tweak(c);
            },
            false,
        )
        .await;
        let a = app.running.as_ref().unwrap().addr;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let b = propusk::app::spawn(app.config.clone(), Arc::new(propusk::clock::SystemClock), listener)
            .await
            .expect("node B starts on the same database");
        lb.route_to(vec![a, b.addr]);
        Some(Self { a_url: format!("http://{a}"), b_url: format!("http://{}", b.addr), b: Some(b), app, lb })
    }

    /// Node B's application state.
    pub fn b_app(&self) -> &propusk::app::App {
        &self.b.as_ref().unwrap().app
    }

    /// Asserts that both nodes got connections from the balancer.
    pub fn assert_both_served(&self, what: &str) {
        let served = self.lb.served();
        assert!(served.iter().all(|n| *n > 0), "{what}: both nodes served, got {served:?}");
    }

    pub async fn stop(mut self) {
        if let Some(b) = self.b.take() {
            tokio::time::timeout(Duration::from_secs(15), b.stop()).await.expect("node B stops");
        }
        tokio::time::timeout(Duration::from_secs(15), self.app.stop()).await.expect("node A stops");
    }
}

/// Polls `done` every 10 ms until it holds; the time it took, or `None` past `limit`.
pub async fn time_until<F, Fut>(limit: Duration, mut done: F) -> Option<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if done().await {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    None
}
