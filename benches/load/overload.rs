//! The overload scenario (OV, AB-02): the capacity of one hot endpoint
//! (`client_credentials`, ES256) measured closed-loop, then an open-loop schedule —
//! half that rate for 5 s (the normal p99), three times it for `BENCH_OVERLOAD_SECS`
//! (60), half again for 15 s. Per second of schedule: served, shed (503), other
//! failures, p99 of the served (from the scheduled send time, so a slow server is not
//! hidden by a slow generator). Reports the server's peak RSS during the run, the
//! share of 503s, p99 of the served and the time to recover.

use super::http::Conn;
use super::run::{Load, phase};
use super::server::status_kb;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request may take at most this long before it counts as failed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Requests the generator keeps open at once; past it an arrival is counted as dropped.
const MAX_OUTSTANDING: usize = 2000;
const NORMAL_SECS: u64 = 5;
const WATCH_SECS: u64 = 15;

/// What one second of the schedule gave.
#[derive(Default, Clone)]
struct Bucket {
    ok: u64,
    shed: u64,
    other: u64,
    latencies: Vec<u32>,
}

impl Bucket {
    fn p99(&mut self) -> Option<u32> {
        self.latencies.sort_unstable();
        let n = self.latencies.len();
        (n > 0).then(|| self.latencies[(n - 1) * 99 / 100])
    }
}

/// The figures of the run.
pub struct Overload {
    pub capacity: f64,
    pub offered: f64,
    pub secs: u64,
    pub sent: u64,
    pub served: u64,
    pub shed: u64,
    pub other: u64,
    pub dropped: u64,
    pub p99_served_us: Option<u32>,
    pub normal_p99_us: Option<u32>,
    pub threshold_us: u32,
    /// Seconds after the overload until the first normal second (`None`: not within the watch).
    pub recovery_secs: Option<u64>,
    pub peak_rss_kb: u64,
    pub first_other: Option<String>,
}

struct Shared {
    pool: Mutex<Vec<Conn>>,
    buckets: Mutex<Vec<Bucket>>,
    outstanding: AtomicUsize,
    first_other: Mutex<Option<String>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn one_request(
    shared: Arc<Shared>,
    addr: SocketAddr,
    request: Arc<Vec<u8>>,
    expect: &'static [u8],
    at: Instant,
    second: usize,
) {
    let pooled = lock(&shared.pool).pop();
    let outcome = async {
        let mut conn = match pooled {
            Some(c) => c,
            None => Conn::connect(addr).await.map_err(|e| format!("connect: {e}"))?,
        };
        let res = conn.send(&request).await.map_err(|e| format!("i/o: {e}"))?;
        if !res.close {
            lock(&shared.pool).push(conn);
        }
        Ok::<_, String>(res)
    };
    let result = tokio::time::timeout(REQUEST_TIMEOUT, outcome).await;
    let micros = u32::try_from(at.elapsed().as_micros()).unwrap_or(u32::MAX);
    let mut buckets = lock(&shared.buckets);
    if let Some(b) = buckets.get_mut(second) {
        match result {
            Ok(Ok(r)) if r.status == 200 && super::http::contains(&r.body, expect) => {
                b.ok += 1;
                b.latencies.push(micros);
            }
            Ok(Ok(r)) if r.status == 503 => b.shed += 1,
            other => {
                b.other += 1;
                let why = match other {
                    Ok(Ok(r)) => format!("HTTP {}", r.status),
                    Ok(Err(e)) => e,
                    Err(_) => "timed out".to_owned(),
                };
                lock(&shared.first_other).get_or_insert(why);
            }
        }
    }
    drop(buckets);
    shared.outstanding.fetch_sub(1, Ordering::AcqRel);
}

/// Runs the piecewise open-loop schedule `(rate, secs)`; returns one bucket per second
/// the arrivals dropped because the generator had too many requests open, and the
/// first failure other than a 503.
async fn open_loop(
    addr: SocketAddr,
    request: Arc<Vec<u8>>,
    expect: &'static [u8],
    schedule: &[(f64, u64)],
) -> (Vec<Bucket>, u64, Option<String>) {
    let total_secs: u64 = schedule.iter().map(|(_, s)| s).sum();
    let shared = Arc::new(Shared {
        pool: Mutex::new(Vec::new()),
        buckets: Mutex::new(vec![Bucket::default(); total_secs as usize]),
        outstanding: AtomicUsize::new(0),
        first_other: Mutex::new(None),
    });
    let start = Instant::now();
    let mut dropped = 0u64;
    let mut offset = 0.0f64;
    for &(rate, secs) in schedule {
        let n = (rate * secs as f64).round() as u64;
        for i in 0..n {
            let at = start + Duration::from_secs_f64(offset + i as f64 / rate);
            if at > Instant::now() + Duration::from_micros(500) {
                tokio::time::sleep_until(at.into()).await;
            }
            if shared.outstanding.load(Ordering::Acquire) >= MAX_OUTSTANDING {
                dropped += 1;
                continue;
            }
            shared.outstanding.fetch_add(1, Ordering::AcqRel);
            let second = (at - start).as_secs() as usize;
            tokio::spawn(one_request(shared.clone(), addr, request.clone(), expect, at, second));
        }
        offset += secs as f64;
    }
    let drain_until = Instant::now() + REQUEST_TIMEOUT + Duration::from_secs(1);
    while shared.outstanding.load(Ordering::Acquire) > 0 && Instant::now() < drain_until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    lock(&shared.pool).clear();
    let first_other = lock(&shared.first_other).take();
    let buckets = std::mem::take(&mut *lock(&shared.buckets));
    (buckets, dropped, first_other)
}

/// Samples the server's RSS every 100 ms until `stop` is set; returns the peak (kB).
fn sample_rss(pid: u32, stop: Arc<AtomicBool>, peak: Arc<AtomicU64>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while !stop.load(Ordering::Acquire) {
            if let Ok(kb) = status_kb(pid, "VmRSS") {
                peak.fetch_max(kb, Ordering::AcqRel);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
}

/// The whole scenario against the server `pid` at `addr`.
pub async fn run(
    addr: SocketAddr,
    pid: u32,
    request: Vec<u8>,
    expect: &'static [u8],
    conns: usize,
    measure: Duration,
    overload_secs: u64,
) -> Overload {
    let request = Arc::new(request);
    let load = Load::Fixed { request: request.clone(), expect };
    let _ = phase(addr, &load, conns, Duration::from_secs(2), &mut []).await;
    let capacity = phase(addr, &load, conns, measure, &mut []).await.rate().max(1.0);
    let normal = capacity / 2.0;
    let offered = capacity * 3.0;
    let schedule = [(normal, NORMAL_SECS), (offered, overload_secs), (normal, WATCH_SECS)];
    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = sample_rss(pid, stop.clone(), peak.clone());
    let (mut buckets, dropped, first_other) = open_loop(addr, request, expect, &schedule).await;
    stop.store(true, Ordering::Release);
    let _ = sampler.await;

    // The normal p99: the normal seconds after the first (connections are opened then).
    let mut normal_bucket = Bucket::default();
    for b in buckets.iter().take(NORMAL_SECS as usize).skip(1) {
        normal_bucket.latencies.extend_from_slice(&b.latencies);
    }
    let normal_p99_us = normal_bucket.p99();
    let threshold_us = normal_p99_us.map_or(50_000, |p| (2 * p).max(p + 2_000));
    let over = NORMAL_SECS as usize..(NORMAL_SECS + overload_secs) as usize;
    let mut served_bucket = Bucket::default();
    let (mut sent, mut served, mut shed, mut other) = (0, 0, 0, 0);
    for b in &buckets[over.clone()] {
        served_bucket.latencies.extend_from_slice(&b.latencies);
        served += b.ok;
        shed += b.shed;
        other += b.other;
        sent += b.ok + b.shed + b.other;
    }
    let recovery_secs = buckets[over.end..].iter_mut().enumerate().find_map(|(k, b)| {
        let normal = b.shed == 0 && b.other == 0 && b.ok > 0 && b.p99().is_some_and(|p| p <= threshold_us);
        normal.then_some(k as u64 + 1)
    });
    println!("  OV per second (served / 503 / other / p99 ms):");
    let line: Vec<String> = buckets
        .iter_mut()
        .map(|b| {
            let p99 = b.p99().unwrap_or(0) as f64 / 1000.0;
            format!("{}/{}/{}/{p99:.0}", b.ok, b.shed, b.other)
        })
        .collect();
    for chunk in line.chunks(10) {
        println!("    {}", chunk.join("  "));
    }
    Overload {
        capacity,
        offered,
        secs: overload_secs,
        sent,
        served,
        shed,
        other,
        dropped,
        p99_served_us: served_bucket.p99(),
        normal_p99_us,
        threshold_us,
        recovery_secs,
        peak_rss_kb: peak.load(Ordering::Acquire),
        first_other,
    }
}

impl Overload {
    pub fn print(&self, backend: &str) {
        let pct = |n: u64| if self.sent > 0 { n as f64 * 100.0 / self.sent as f64 } else { 0.0 };
        let ms = |us: Option<u32>| us.map_or("-".to_owned(), |u| format!("{:.1} ms", u as f64 / 1000.0));
        println!("\n### Overload ({backend}): client_credentials ES256, {} s at 3 × capacity\n", self.secs);
        println!("| Figure | Value | Goal |");
        println!("|---|---:|---|");
        println!("| capacity (closed loop) | {:.0}/s | |", self.capacity);
        println!("| offered (open loop) | {:.0}/s | |", self.offered);
        println!("| sent during the overload | {} | |", self.sent);
        println!("| served (200) | {} ({:.1} %) | |", self.served, pct(self.served));
        println!("| shed (503 + Retry-After) | {} ({:.1} %) | |", self.shed, pct(self.shed));
        println!("| other failures | {} ({:.1} %) | |", self.other, pct(self.other));
        println!("| arrivals dropped by the generator | {} | 0 |", self.dropped);
        println!("| p99 of the served, overload | {} | |", ms(self.p99_served_us));
        println!(
            "| p99 normal (half capacity) / threshold | {} / {} | |",
            ms(self.normal_p99_us),
            ms(Some(self.threshold_us))
        );
        let peak_mb = self.peak_rss_kb as f64 / 1024.0;
        let verdict = |ok: bool| if ok { "PASS" } else { "MISS" };
        println!("| peak RSS of the server | {peak_mb:.1} MB | < 256 MB {} |", verdict(peak_mb < 256.0));
        match self.recovery_secs {
            Some(s) => println!("| time to recover | ≤ {s} s | < 5 s {} |", verdict(s < 5)),
            None => println!("| time to recover | > {WATCH_SECS} s | < 5 s MISS |"),
        }
        if let Some(why) = &self.first_other {
            println!("\nfirst other failure: {why}");
        }
    }
}
