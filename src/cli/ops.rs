//! The operators' self-tests: `propusk check` (prints its [`crate::check::Report`]) and
//! `propusk health` (the container's health check, without curl).

use super::CliError;
use crate::check::Level;
use crate::config::Config;
use std::time::Duration;

/// Runs every check; each finding is one line (problems on stderr), then the summary.
/// A problem is exit code 2.
pub async fn check(config: &Config) -> Result<(), CliError> {
    let report = crate::check::run(config).await;
    for finding in &report.findings {
        if finding.level == Level::Error {
            eprintln!("{finding}");
        } else {
            println!("{finding}");
        }
    }
    if report.passed() {
        println!("{}", report.summary());
        Ok(())
    } else {
        Err(CliError::Usage(report.summary()))
    }
}

/// The URL `health` asks when none is given: `/healthz` of the main listener (a
/// wildcard listen address asked on loopback).
pub fn default_health_url(config: &Config) -> String {
    let listen = config.server.listen.replace("0.0.0.0", "127.0.0.1").replace("[::]", "[::1]");
    format!("http://{listen}/healthz")
}

/// GETs `url`: success on a 2xx answer within 3 seconds, exit code 1 otherwise.
pub async fn health(url: &str) -> Result<(), CliError> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| CliError::Failure(format!("health: {e}")))?;
    match client.get(url).send().await {
        Ok(resp) if resp.status().is_success() => {
            println!("{url}: {}", resp.status());
            Ok(())
        }
        Ok(resp) => Err(CliError::Failure(format!("{url}: {}", resp.status()))),
        Err(e) => Err(CliError::Failure(format!("{url}: {e}"))),
    }
}
