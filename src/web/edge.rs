//! The HTTP edge of a listener (AB-02): the accept loop with a cap on open connections
//! (past it a new connection is answered 503 + `Retry-After` and closed), a header-read
//! deadline and an idle keep-alive deadline per connection, and graceful shutdown.

use crate::config::ServerConfig;
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tower::ServiceExt as _;

/// The connection limits of one listener.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// From the moment a request head is awaited with bytes under way (or a connection
    /// opens) to its last byte.
    pub header_read: Duration,
    /// A kept-alive connection with nothing under way.
    pub idle: Duration,
    pub max_connections: usize,
}

impl Limits {
    pub fn from_config(server: &ServerConfig) -> Self {
        Self {
            header_read: Duration::from_secs(server.header_read_timeout_secs),
            idle: Duration::from_secs(server.idle_timeout_secs),
            max_connections: server.max_connections.max(1),
        }
    }
}

/// The largest request head (start line and headers); a larger one is answered 431.
pub const MAX_HEAD_BYTES: usize = 32 * 1024;
/// A connection's read buffer, so that open connections hold bounded memory.
const MAX_BUF_BYTES: usize = 64 * 1024;
/// Over-capacity connections answered at once; past it they are closed unanswered.
const MAX_REFUSING: usize = 64;
/// How long answering an over-capacity connection may take.
const REFUSAL_BUDGET: Duration = Duration::from_secs(2);

/// Serves `router` on `listener` until `shutdown` resolves; then stops accepting, lets
/// the requests under way finish, closes idle connections and returns once every
/// connection is closed (each is bounded by the deadlines and the request timeout).
pub async fn serve(listener: TcpListener, router: Router, limits: Limits, shutdown: impl Future<Output = ()>) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let refusing = Arc::new(Semaphore::new(MAX_REFUSING));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: back off rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        match slots.clone().try_acquire_owned() {
            Ok(slot) => {
                tokio::spawn(connection(stream, peer, router.clone(), limits, stop_rx.clone(), slot));
            }
            Err(_) => {
                metrics::counter!("propusk_http_connections_refused_total").increment(1);
                if let Ok(permit) = refusing.clone().try_acquire_owned() {
                    tokio::spawn(refuse(stream, permit));
                }
            }
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Every connection holds a slot: all slots back means all connections closed.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
}

/// One connection: HTTP/1.1 with keep-alive, cut when a deadline of [`Activity`] passes.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched { inner: stream, activity: activity.clone() });
    let on_request = activity.clone();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        let busy = Busy::begin(on_request.clone());
        let router = router.clone();
        async move {
            let res = router.oneshot(req.map(Body::new)).await;
            drop(busy);
            res
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .header_read_timeout(None)
        .max_header_size(MAX_HEAD_BYTES)
        .max_buf_size(MAX_BUF_BYTES)
        .keep_alive(true)
        .serve_connection(io, service);
    let mut conn = std::pin::pin!(conn);
    let mut stopping = false;
    loop {
        tokio::select! {
            done = conn.as_mut() => {
                if let Err(e) = done {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            // Dropping the connection closes the socket.
            () = activity.expired(limits) => return,
            _ = stop.changed(), if !stopping => {
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

const HEAD: u8 = 0;
const BUSY: u8 = 1;
const IDLE: u8 = 2;

/// What a connection is doing, and since when: reading a head (a new connection, or
/// bytes of the next request came), handling a request, or idle between requests.
struct Activity {
    origin: Instant,
    phase: AtomicU8,
    since_ms: AtomicU64,
    /// Bytes of a next request came while one was handled (pipelining).
    read_while_busy: AtomicBool,
}

impl Activity {
    fn new() -> Self {
        Self {
            origin: Instant::now(),
            phase: AtomicU8::new(HEAD),
            since_ms: AtomicU64::new(0),
            read_while_busy: AtomicBool::new(false),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn enter(&self, phase: u8) {
        self.since_ms.store(self.now_ms(), Ordering::Release);
        self.phase.store(phase, Ordering::Release);
    }

    fn on_read(&self) {
        match self.phase.load(Ordering::Acquire) {
            IDLE => self.enter(HEAD),
            BUSY => self.read_while_busy.store(true, Ordering::Release),
            _ => {}
        }
    }

    /// Resolves when the deadline of the current phase has passed (never while busy:
    /// the request timeout bounds that).
    async fn expired(&self, limits: Limits) {
        loop {
            let phase = self.phase.load(Ordering::Acquire);
            let since = self.origin + Duration::from_millis(self.since_ms.load(Ordering::Acquire));
            let limit = if phase == IDLE { limits.idle } else { limits.header_read };
            if phase == BUSY {
                tokio::time::sleep(limit).await;
                continue;
            }
            let deadline = since + limit;
            if Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline.into()).await;
        }
    }
}

/// A request under way on a connection; its end starts the idle (or next head) deadline.
struct Busy(Arc<Activity>);

impl Busy {
    fn begin(activity: Arc<Activity>) -> Self {
        activity.read_while_busy.store(false, Ordering::Release);
        activity.enter(BUSY);
        Self(activity)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        let next = if self.0.read_while_busy.swap(false, Ordering::AcqRel) { HEAD } else { IDLE };
        self.0.enter(next);
    }
}

/// The socket, noting when bytes come in.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.on_read();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// The answer to a connection past `server.max_connections`, with the security headers.
fn refusal() -> &'static [u8] {
    static REFUSAL: OnceLock<Vec<u8>> = OnceLock::new();
    REFUSAL.get_or_init(|| {
        let body = "503 Service Unavailable: too many connections; retry later.\n";
        let mut headers = axum::http::HeaderMap::new();
        crate::web::headers::apply(&mut headers);
        let mut out = format!(
            "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n\
             content-length: {}\r\nretry-after: 1\r\ncache-control: no-store\r\nconnection: close\r\n",
            body.len()
        );
        for (name, value) in &headers {
            out.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap_or_default()));
        }
        out.push_str("\r\n");
        out.push_str(body);
        out.into_bytes()
    })
}

/// Answers 503 and closes; what the client sent is read first (briefly), so that the
/// close does not reset the connection before the client has read the answer.
async fn refuse(mut stream: TcpStream, _permit: OwnedSemaphorePermit) {
    let answer = async {
        stream.write_all(refusal()).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 2048];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<_, std::io::Error>(())
    };
    let _ = tokio::time::timeout(REFUSAL_BUDGET, answer).await;
}
