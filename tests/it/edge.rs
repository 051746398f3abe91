//! The HTTP edge as an attacker tries it (AB-02, AZ-12, AB-03): slow and silent
//! connections are cut, idle keep-alive ends, load past capacity is shed with 503 +
//! `Retry-After` instead of queued, every answer of a layer carries the security
//! headers, and `/metrics` is not public. Raw `TcpStream`s on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use propusk::config::Config;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn addr(app: &TestApp) -> SocketAddr {
    app.running.as_ref().unwrap().addr
}

async fn spawn(tweak: impl FnOnce(&mut Config)) -> TestApp {
    TestApp::spawn_with(tweak, false).await
}

/// Reads until the server closes (EOF or reset), at most `limit`. Returns what came
/// and when the close came, or `None` if the connection was still open at `limit`.
async fn until_closed(stream: &mut TcpStream, limit: Duration) -> Option<(String, Duration)> {
    let start = Instant::now();
    let mut got = Vec::new();
    let read_all = async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(limit, read_all).await.ok()?;
    Some((String::from_utf8_lossy(&got).into_owned(), start.elapsed()))
}

/// Reads one response whose body ends with `end`.
async fn read_response(stream: &mut TcpStream, end: &str) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    tokio::time::timeout(Duration::from_secs(5), async {
        while !String::from_utf8_lossy(&got).ends_with(end) {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed before the response ended: {}", String::from_utf8_lossy(&got));
            got.extend_from_slice(&buf[..n]);
        }
    })
    .await
    .expect("a response in time");
    String::from_utf8_lossy(&got).into_owned()
}

/// A `POST /token` whose body never finishes: it holds a request slot while it lasts.
async fn stalled_token_request(at: SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(at).await.unwrap();
    s.write_all(
        b"POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
          Content-Length: 100\r\n\r\ngrant_type=",
    )
    .await
    .unwrap();
    s
}

fn header<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
    let head = raw.split("\r\n\r\n").next().unwrap_or_default();
    head.lines().skip(1).find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then_some(v.trim())
    })
}

fn assert_security_headers_raw(raw: &str, what: &str) {
    assert!(
        header(raw, "content-security-policy").is_some_and(|v| v.contains("frame-ancestors 'none'")),
        "{what}: CSP in {raw}"
    );
    assert_eq!(header(raw, "x-frame-options"), Some("DENY"), "{what}");
    assert_eq!(header(raw, "referrer-policy"), Some("no-referrer"), "{what}");
    assert_eq!(header(raw, "x-content-type-options"), Some("nosniff"), "{what}");
}

fn assert_security_headers(res: &reqwest::Response, what: &str) {
    let h = |n: &str| res.headers().get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(
        h("content-security-policy").contains("frame-ancestors 'none'"),
        "{what}: CSP `{}`",
        h("content-security-policy")
    );
    assert_eq!(h("x-frame-options"), "DENY", "{what}");
    assert_eq!(h("referrer-policy"), "no-referrer", "{what}");
    assert_eq!(h("x-content-type-options"), "nosniff", "{what}");
}

fn quick_client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap()
}

#[tokio::test]
async fn ab_02_slow_header_is_cut() {
    let app = spawn(|c| {
        c.server.header_read_timeout_secs = 1;
        c.server.idle_timeout_secs = 30;
    })
    .await;
    // Half a request head, then one more byte every 200 ms: the trickle does not extend the deadline.
    let mut s = TcpStream::connect(addr(&app)).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let start = Instant::now();
    let mut cut = false;
    while start.elapsed() < Duration::from_secs(4) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if s.write_all(b"X").await.is_err() {
            cut = true;
            break;
        }
        let mut probe = [0u8; 64];
        if let Ok(r) = tokio::time::timeout(Duration::from_millis(1), s.read(&mut probe)).await {
            assert!(matches!(r, Ok(0) | Err(_)), "nothing is answered to half a head");
            cut = true;
            break;
        }
    }
    assert!(cut, "a trickled head is cut at the header-read deadline");
    let elapsed = start.elapsed();
    assert!(elapsed >= Duration::from_millis(700) && elapsed < Duration::from_secs(3), "cut after {elapsed:?}");
}

#[tokio::test]
async fn ab_02_silent_connection_is_cut() {
    let app = spawn(|c| {
        c.server.header_read_timeout_secs = 1;
        c.server.idle_timeout_secs = 30;
    })
    .await;
    let mut s = TcpStream::connect(addr(&app)).await.unwrap();
    let (got, after) = until_closed(&mut s, Duration::from_secs(4)).await.expect("a silent connection is closed");
    assert!(got.is_empty(), "nothing is sent on a silent connection: {got}");
    assert!(after < Duration::from_secs(3), "closed after {after:?}");
}

#[tokio::test]
async fn ab_02_oversized_head_is_refused() {
    let app = TestApp::spawn().await;
    let mut s = TcpStream::connect(addr(&app)).await.unwrap();
    let cookie = "a".repeat(propusk::web::edge::MAX_HEAD_BYTES);
    let _ = s.write_all(format!("GET /healthz HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n\r\n").as_bytes()).await;
    let (got, _) = until_closed(&mut s, Duration::from_secs(5)).await.expect("refused and closed");
    assert!(got.is_empty() || got.starts_with("HTTP/1.1 431"), "{got}");
}

#[tokio::test]
async fn ab_02_idle_keep_alive_is_closed() {
    let app = spawn(|c| {
        c.server.header_read_timeout_secs = 1;
        c.server.idle_timeout_secs = 2;
    })
    .await;
    let mut s = TcpStream::connect(addr(&app)).await.unwrap();
    for _ in 0..2 {
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        let res = read_response(&mut s, "ok").await;
        assert!(res.starts_with("HTTP/1.1 200"), "{res}");
    }
    let (got, after) = until_closed(&mut s, Duration::from_secs(5)).await.expect("an idle connection is closed");
    assert!(got.is_empty(), "{got}");
    // The idle deadline (2 s), not the header-read one (1 s), applies between requests.
    assert!(after >= Duration::from_millis(1500) && after < Duration::from_millis(4000), "closed after {after:?}");
}

#[tokio::test]
async fn ab_02_past_max_in_flight_answers_503_at_once() {
    let app = spawn(|c| {
        c.server.max_in_flight = 1;
        c.server.request_timeout_secs = 20;
    })
    .await;
    let stalled = stalled_token_request(addr(&app)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let http = quick_client();
    let start = Instant::now();
    let res = http.get(app.url("/.well-known/openid-configuration")).send().await.unwrap();
    assert!(start.elapsed() < Duration::from_secs(1), "shed at once, not queued: {:?}", start.elapsed());
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers().get("retry-after").unwrap(), "1");
    assert_security_headers(&res, "shed 503");
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["error"], "temporarily_unavailable");
    let page = http.get(app.url("/login")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(page.status(), 503);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert_security_headers(&page, "shed 503 page");
    // Liveness is never shed.
    assert_eq!(http.get(app.url("/healthz")).send().await.unwrap().status(), 200);
    // The slot comes back with the request that held it.
    drop(stalled);
    let mut ok = false;
    for _ in 0..50 {
        if http.get(app.url("/jwks")).send().await.unwrap().status() == 200 {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ok, "served again once the slot is free");
}

#[tokio::test]
async fn ab_02_past_max_connections_answers_503_and_closes() {
    let app = spawn(|c| {
        c.server.max_connections = 2;
        c.server.header_read_timeout_secs = 10;
    })
    .await;
    let held = [TcpStream::connect(addr(&app)).await.unwrap(), TcpStream::connect(addr(&app)).await.unwrap()];
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut third = TcpStream::connect(addr(&app)).await.unwrap();
    third.write_all(b"GET /jwks HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let (got, after) = until_closed(&mut third, Duration::from_secs(3)).await.expect("refused and closed");
    assert!(got.starts_with("HTTP/1.1 503"), "{got}");
    assert_eq!(header(&got, "retry-after"), Some("1"));
    assert_security_headers_raw(&got, "connection cap 503");
    assert!(after < Duration::from_secs(1), "at once: {after:?}");
    drop(held);
    let http = quick_client();
    let mut ok = false;
    for _ in 0..50 {
        if http.get(app.url("/jwks")).send().await.map(|r| r.status() == 200).unwrap_or(false) {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ok, "accepted again once connections close");
}

#[tokio::test]
async fn az_12_answers_of_layers_carry_security_headers() {
    let app = spawn(|c| {
        c.server.request_timeout_secs = 1;
        c.server.max_body_bytes = 1024;
    })
    .await;
    let http = quick_client();
    let big = "a".repeat(4096);
    let res = http
        .post(app.url("/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("grant_type=client_credentials&x={big}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert_security_headers(&res, "413 from the body limit");
    let res = http.get(app.url("/no-such-page")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_security_headers(&res, "404 from the router");
    let res = http.get(app.url("/token")).send().await.unwrap();
    assert_eq!(res.status(), 405);
    assert_security_headers(&res, "405 from the router");
    let mut stalled = stalled_token_request(addr(&app)).await;
    // The timeout's 408 has an empty body: the answer ends with its head.
    let got = read_response(&mut stalled, "\r\n\r\n").await;
    assert!(got.starts_with("HTTP/1.1 408"), "{got}");
    assert_security_headers_raw(&got, "408 from the timeout");
}

#[tokio::test]
async fn ab_03_metrics_are_not_served_on_the_main_listener_without_a_token() {
    let app = TestApp::spawn().await;
    let http = quick_client();
    assert_eq!(http.get(app.url("/healthz")).send().await.unwrap().status(), 200);
    assert_eq!(http.get(app.url("/readyz")).send().await.unwrap().status(), 200);
    let res = http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 404, "no token configured: no /metrics on the main listener");
    let res = http.get(app.url("/metrics")).bearer_auth("anything-at-all-1234").send().await.unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn ab_03_metrics_on_the_main_listener_need_the_bearer_token() {
    const TOKEN: &str = "metrics-token-for-the-test-0123";
    let app = spawn(|c| c.ops.metrics_token = propusk::crypto::SecretString::new(TOKEN)).await;
    let http = quick_client();
    let url = app.url("/metrics");
    let res = http.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers().get("www-authenticate").unwrap().to_str().unwrap().starts_with("Bearer"));
    assert!(!res.text().await.unwrap().contains("propusk_"), "nothing of the metrics without the token");
    for wrong in ["metrics-token-for-the-test-012", "metrics-token-for-the-test-01234", "x"] {
        assert_eq!(http.get(&url).bearer_auth(wrong).send().await.unwrap().status(), 401, "{wrong}");
    }
    let basic = http.get(&url).basic_auth(TOKEN, Some("")).send().await.unwrap();
    assert_eq!(basic.status(), 401);
    let res = http.get(&url).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("propusk_http_requests_total"));
}

#[tokio::test]
async fn ab_03_ops_listener_serves_metrics_and_probes() {
    let app = spawn(|c| c.ops.listen = "127.0.0.1:0".into()).await;
    let ops = app.running.as_ref().unwrap().ops_addr.expect("an ops listener");
    let http = quick_client();
    assert_eq!(http.get(app.url("/healthz")).send().await.unwrap().status(), 200);
    let res = http.get(format!("http://{ops}/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_security_headers(&res, "ops /metrics");
    assert!(res.text().await.unwrap().contains("propusk_http_requests_total"));
    assert_eq!(http.get(format!("http://{ops}/healthz")).send().await.unwrap().status(), 200);
    assert_eq!(http.get(format!("http://{ops}/readyz")).send().await.unwrap().status(), 200);
    assert_eq!(http.get(app.url("/metrics")).send().await.unwrap().status(), 404, "not on the main listener");
    assert_eq!(http.get(format!("http://{ops}/token")).send().await.unwrap().status(), 404, "only ops on ops");
}

#[tokio::test]
async fn ab_02_stop_lets_a_request_under_way_finish() {
    let mut app = spawn(|c| c.server.request_timeout_secs = 20).await;
    let at = addr(&app);
    let mut idle = TcpStream::connect(at).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    read_response(&mut idle, "ok").await;
    let mut stalled = stalled_token_request(at).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let running = app.running.take().unwrap();
    let stopping = tokio::spawn(running.stop());
    // The idle keep-alive connection is closed at once.
    let (got, after) = until_closed(&mut idle, Duration::from_secs(3)).await.expect("idle closed on stop");
    assert!(got.is_empty() && after < Duration::from_secs(2), "{got} {after:?}");
    assert!(!stopping.is_finished(), "stop waits for the request under way");
    // The request under way finishes and is answered.
    stalled.write_all(&[b'x'; 89]).await.unwrap();
    let (got, _) = until_closed(&mut stalled, Duration::from_secs(5)).await.expect("answered, then closed");
    assert!(got.starts_with("HTTP/1.1 4"), "the handler answered: {got}");
    tokio::time::timeout(Duration::from_secs(5), stopping).await.expect("stop returns").unwrap();
    assert!(TcpStream::connect(at).await.is_err(), "no longer accepting");
}
