//! `propusk check`: the configuration and its environment tested, nothing changed
//! (no file created, nothing migrated). One file per group of checks; the result is a
//! pure [`Report`] that the CLI prints (one line per problem, exit 2).

mod database;
mod esia;
mod report;
mod smtp;

pub use report::{Finding, Level, Report, certificate_finding};

use crate::config::Config;

/// Runs every check against `config` (already loaded and validated).
pub async fn run(config: &Config) -> Report {
    let mut report = Report::default();
    let master = match crate::secrets::existing_master_key(&config.keys) {
        Ok(Some(key)) => {
            report.ok("keys", "master key present");
            Some(key)
        }
        Ok(None) => {
            let file = config.keys.master_key_file.display();
            report.error("keys", format!("no master key: keys.master_key is empty and {file} does not exist"));
            None
        }
        Err(e) => {
            report.error("keys", format!("master key unusable: {e:#}"));
            None
        }
    };
    database::check(config, master.as_ref(), &mut report).await;
    esia::check(config, &mut report).await;
    smtp::check(config, &mut report).await;
    report
}
