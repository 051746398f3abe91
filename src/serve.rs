//! `propusk serve`: binds the listener, prints where it runs (and the demo
//! logins), and stops gracefully on Ctrl-C or SIGTERM.

use crate::clock::SystemClock;
use crate::config::Config;
use anyhow::Context as _;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

pub async fn run(config: Config) -> anyhow::Result<()> {
    let addr = config.listen_addr().map_err(anyhow::Error::from)?;
    let listener = TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
    let app = crate::app::build(config, Arc::new(SystemClock)).await?;
    tracing::info!(issuer = %app.config.issuer, listen = %addr, backend = app.store.backend(), "propusk is running");
    if let Some(ops) = app.config.ops_addr().map_err(anyhow::Error::from)? {
        tracing::info!(listen = %ops, "operations listener (/healthz, /readyz, /metrics)");
    }
    if app.config.demo {
        eprintln!("{}", crate::demo::banner(&app.config.issuer));
    } else {
        eprintln!("propusk is running at {} (listening on {addr})", app.config.issuer);
    }
    crate::app::serve(app, listener, shutdown_signal()).await
}

/// `propusk esia-sandbox`: the sandbox alone, configured by `[esia.sandbox]`.
pub async fn esia_sandbox(addr: SocketAddr, config: &Config) -> anyhow::Result<()> {
    eprintln!("ESIA sandbox at http://{addr} (personas: {})", config.esia.sandbox.personas_file.display());
    crate::connector::sandbox::serve(addr, config.esia.sandbox.clone()).await
}
