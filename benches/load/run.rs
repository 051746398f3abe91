//! The closed-loop request engine: C keep-alive connections on one generator
//! thread, each sending its next request as soon as the previous one answered,
//! bounded by a deadline and a request count. Latencies of successful requests
//! are kept in plain vectors and sorted once for percentiles.

use super::http::{Conn, contains, form_value, json_str, post_form};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One request may take at most this long before it counts as an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Upper bound on the requests of one connection in one phase.
const MAX_REQUESTS_PER_CONN: u64 = 5_000_000;

/// What the connections send.
#[derive(Clone)]
pub enum Load {
    /// The same request every time; a 200 whose body contains `expect` is a success.
    Fixed { request: Arc<Vec<u8>>, expect: &'static [u8] },
    /// `refresh_token` rotation: connection i walks chain i (its current token in
    /// `chains[i]`), replacing it with the rotated token from each response.
    Refresh { host: String, authorization: String },
}

/// The outcome of one phase.
#[derive(Default)]
pub struct Phase {
    pub ok: u64,
    pub errors: u64,
    pub elapsed: Duration,
    /// Microseconds of each successful request.
    pub latencies: Vec<u32>,
    /// The first failure seen, for diagnosis.
    pub first_error: Option<String>,
    /// Refresh chains that broke (no valid token left for that connection).
    pub broken_chains: u64,
}

impl Phase {
    pub fn rate(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 { self.ok as f64 / secs } else { 0.0 }
    }

    /// The q-th percentile (0..=100) of successful latencies, in microseconds.
    pub fn percentile(&self, q: usize) -> Option<u32> {
        if self.latencies.is_empty() {
            return None;
        }
        let idx = (self.latencies.len() - 1) * q.min(100) / 100;
        self.latencies.get(idx).copied()
    }
}

struct ConnOutcome {
    ok: u64,
    errors: u64,
    latencies: Vec<u32>,
    first_error: Option<String>,
    token: Option<String>,
    broken: bool,
}

fn describe(status: u16, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
    format!("HTTP {status}: {text}")
}

fn fail(out: &mut ConnOutcome, why: String) {
    out.errors += 1;
    if out.first_error.is_none() {
        out.first_error = Some(why);
    }
}

async fn one_conn(addr: SocketAddr, load: Load, mut token: Option<String>, deadline: Instant) -> ConnOutcome {
    let mut out = ConnOutcome {
        ok: 0,
        errors: 0,
        latencies: Vec::with_capacity(64 * 1024),
        first_error: None,
        token: None,
        broken: false,
    };
    let mut conn: Option<Conn> = None;
    let mut sent = 0u64;
    while Instant::now() < deadline && sent < MAX_REQUESTS_PER_CONN {
        let c = match conn.as_mut() {
            Some(c) => c,
            None => match tokio::time::timeout(REQUEST_TIMEOUT, Conn::connect(addr)).await {
                Ok(Ok(c)) => conn.insert(c),
                other => {
                    let why = match other {
                        Ok(Err(e)) => format!("connect: {e}"),
                        _ => "connect: timed out".to_owned(),
                    };
                    fail(&mut out, why);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
        };
        let owned;
        let (request, expect): (&[u8], &[u8]) = match &load {
            Load::Fixed { request, expect } => (request.as_slice(), expect),
            Load::Refresh { host, authorization } => {
                let Some(t) = token.as_deref() else { break };
                let body = format!("grant_type=refresh_token&refresh_token={}", form_value(t));
                owned = post_form(host, "/token", Some(authorization), &body);
                (owned.as_slice(), b"\"refresh_token\"")
            }
        };
        sent += 1;
        let t0 = Instant::now();
        let res = tokio::time::timeout(REQUEST_TIMEOUT, c.send(request)).await;
        let micros = u32::try_from(t0.elapsed().as_micros()).unwrap_or(u32::MAX);
        match res {
            Ok(Ok(r)) => {
                if r.close {
                    conn = None;
                }
                if r.status == 200 && contains(&r.body, expect) {
                    out.ok += 1;
                    out.latencies.push(micros);
                    if matches!(load, Load::Refresh { .. }) {
                        token = json_str(&r.body, "refresh_token").map(str::to_owned);
                    }
                } else {
                    fail(&mut out, describe(r.status, &r.body));
                    if matches!(load, Load::Refresh { .. }) {
                        // The chain's state is unknown now: this connection stops.
                        token = None;
                    }
                }
            }
            Ok(Err(e)) => {
                fail(&mut out, format!("i/o: {e}"));
                conn = None;
                if matches!(load, Load::Refresh { .. }) {
                    token = None;
                }
            }
            Err(_) => {
                fail(&mut out, "request timed out".to_owned());
                conn = None;
                if matches!(load, Load::Refresh { .. }) {
                    token = None;
                }
            }
        }
    }
    out.broken = matches!(load, Load::Refresh { .. }) && token.is_none();
    out.token = token;
    out
}

/// Runs `conns` connections for `duration`. For [`Load::Refresh`], `chains` holds
/// one token per connection and is updated with the last token of each chain
/// (`None` once a chain broke).
pub async fn phase(
    addr: SocketAddr,
    load: &Load,
    conns: usize,
    duration: Duration,
    chains: &mut [Option<String>],
) -> Phase {
    let start = Instant::now();
    let deadline = start + duration;
    let refresh = matches!(load, Load::Refresh { .. });
    let mut tasks = Vec::with_capacity(conns);
    for i in 0..conns {
        let token = if refresh { chains.get_mut(i).and_then(Option::take) } else { None };
        tasks.push(tokio::spawn(one_conn(addr, load.clone(), token, deadline)));
    }
    let mut phase = Phase::default();
    for (i, task) in tasks.into_iter().enumerate() {
        match task.await {
            Ok(o) => {
                phase.ok += o.ok;
                phase.errors += o.errors;
                phase.latencies.extend_from_slice(&o.latencies);
                if phase.first_error.is_none() {
                    phase.first_error = o.first_error;
                }
                if o.broken {
                    phase.broken_chains += 1;
                }
                if refresh && let Some(slot) = chains.get_mut(i) {
                    *slot = o.token;
                }
            }
            Err(e) => {
                phase.errors += 1;
                phase.first_error.get_or_insert_with(|| format!("task: {e}"));
            }
        }
    }
    phase.elapsed = start.elapsed();
    phase.latencies.sort_unstable();
    phase
}
