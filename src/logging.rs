//! Structured logs: text or JSON (config `log.format`), filtered by `log.level`
//! or `RUST_LOG`. Every request span carries its request id.
//!
//! The one-shot commands (everything but `serve`) answer in one line on stderr
//! (CONTRACT.md §1): there the database driver's own warnings — a statement or a
//! connection that took over a second on a busy disk — are left out, unless
//! `RUST_LOG` asks for them.

use crate::config::LogConfig;
use tracing_subscriber::EnvFilter;

/// Starts logging; `server` is true for `serve`, false for the one-shot commands.
pub fn init(cfg: &LogConfig, server: bool) {
    let level = if server { cfg.level.clone() } else { format!("{},sqlx=error", cfg.level) };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if cfg.format == "json" { builder.json().try_init() } else { builder.try_init() };
}
