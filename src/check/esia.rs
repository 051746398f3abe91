//! The checks of the ESIA connection: the signer signs a test message that its
//! certificate verifies, the certificates are valid (days left), ESIA answers.

use super::Report;
use super::report::certificate_finding;
use crate::config::Config;
use crate::connector::signer::{self, Signer};
use openssl::asn1::Asn1Time;
use openssl::x509::X509Ref;
use std::sync::Arc;

const AREA: &str = "esia";

pub async fn check(config: &Config, report: &mut Report) {
    let esia = &config.esia;
    if !esia.enabled {
        if config.demo {
            return report.note(AREA, "the sandbox is mounted in-process (demo): nothing to reach");
        }
        return report.note(AREA, "«Через Госуслуги» is off (esia.enabled = false)");
    }
    signer_signs(config, report).await;
    for path in &esia.certificates {
        match signer::load_certificates(path) {
            Ok(certs) => {
                for cert in &certs {
                    validity(report, &format!("ESIA certificate {}", path.display()), cert);
                }
            }
            Err(e) => report.error(AREA, format!("esia.certificates: {e}")),
        }
    }
    reachable(config, report).await;
}

async fn signer_signs(config: &Config, report: &mut Report) {
    let cfg = config.esia.signer.clone();
    let built = tokio::task::spawn_blocking(move || signer::from_config(&cfg)).await;
    let signer: Arc<dyn Signer> = match built {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return report.error(AREA, format!("esia.signer: {e}")),
        Err(e) => return report.error(AREA, format!("esia.signer: {e}")),
    };
    let now = crate::clock::Clock::now(&crate::clock::SystemClock);
    match signer::self_test_blocking(signer.clone(), now).await {
        Ok(t) => {
            report.ok(AREA, format!("the signer signs ({}) and its certificate verifies it", t.algorithm.jwt_name()))
        }
        Err(e) => return report.error(AREA, format!("esia.signer cannot sign a test message: {e}")),
    }
    let cert = match openssl::x509::X509::from_der(signer.certificate_der()) {
        Ok(c) => c,
        Err(e) => return report.error(AREA, format!("esia.signer.cert_file: not a certificate: {e}")),
    };
    validity(report, "the signer's certificate (esia.signer.cert_file)", &cert);
}

/// Days left of `cert` as a finding.
fn validity(report: &mut Report, what: &str, cert: &X509Ref) {
    let Ok(now) = Asn1Time::days_from_now(0) else {
        return report.error(AREA, "cannot read the clock");
    };
    let started = cert.not_before() <= now;
    match now.diff(cert.not_after()) {
        Ok(diff) => {
            // Less than a day past the end is -1, not 0.
            let days = if diff.days == 0 && diff.secs < 0 { -1 } else { i64::from(diff.days) };
            let valid = started && cert.not_after() > now;
            certificate_finding(report, AREA, what, days, valid);
        }
        Err(_) => report.error(AREA, format!("{what}: unreadable validity")),
    }
}

async fn reachable(config: &Config, report: &mut Report) {
    let http = match crate::connector::http::HttpClient::new(&config.esia) {
        Ok(h) => h,
        Err(e) => return report.error(AREA, format!("http client: {e}")),
    };
    match http.probe(&config.esia.base_url).await {
        Ok(status) => report.ok(AREA, format!("{} answers (HTTP {status})", config.esia.base_url)),
        Err(e) => report.error(AREA, format!("unreachable: {} ({e})", config.esia.base_url)),
    }
}
