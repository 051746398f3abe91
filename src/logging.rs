//! Structured logs: text or JSON (config `log.format`), filtered by `log.level`
//! or `RUST_LOG`. Every request span carries its request id.

use crate::config::LogConfig;
use tracing_subscriber::EnvFilter;

pub fn init(cfg: &LogConfig) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&cfg.level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if cfg.format == "json" { builder.json().try_init() } else { builder.try_init() };
}
