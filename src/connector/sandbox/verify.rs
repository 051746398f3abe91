//! What the sandbox checks on every ESIA request, as ESIA does: certificate by hash,
//! `client_secret` over the exact string (raw GOST/RSA or v1 CMS), timestamp
//! window, mandatory parameters, state shape, scopes; errors in ESIA's codes.

use super::state::{RegisteredClient, SandboxState};
use crate::connector::esia::protocol::{KNOWN_SCOPES, decode_secret, is_state, parse_timestamp, scope_name};
use crate::connector::signer::{SigAlg, verify_with_cert};
use openssl::cms::{CMSOptions, CmsContentInfo};
use openssl::stack::Stack;
use std::collections::HashMap;

/// An OAuth error with ESIA's `error_description` (`ESIA-xxxxxx: text`).
#[derive(Debug, Clone)]
pub struct EsiaErr {
    pub error: &'static str,
    pub description: String,
}

impl EsiaErr {
    pub fn new(error: &'static str, code: &str, text: &str) -> Self {
        Self { error, description: format!("{code}: {text}") }
    }
    pub fn missing(param: &str) -> Self {
        Self::new(
            "invalid_request",
            "ESIA-007014",
            &format!("The request doesn't contain the mandatory parameter [{param}]."),
        )
    }
    pub fn invalid(param: &str) -> Self {
        Self::new("invalid_request", "ESIA-007003", &format!("The request contains an invalid parameter [{param}]."))
    }
    pub fn secret_wrong(error: &'static str) -> Self {
        Self::new(error, "ESIA-007053", "OAuthErrorEnum.clientSecretWrong")
    }
}

pub type Params = HashMap<String, String>;

pub fn required<'a>(q: &'a Params, name: &str) -> Result<&'a str, EsiaErr> {
    q.get(name).map(String::as_str).filter(|v| !v.is_empty()).ok_or_else(|| EsiaErr::missing(name))
}

pub fn check_state(state: &str) -> Result<(), EsiaErr> {
    if is_state(state) { Ok(()) } else { Err(EsiaErr::invalid("state")) }
}

pub fn check_timestamp(s: &SandboxState, ts: &str) -> Result<(), EsiaErr> {
    let t = parse_timestamp(ts).ok_or_else(|| EsiaErr::invalid("timestamp"))?;
    if (s.now() - t).abs() > s.0.cfg.timestamp_window_secs {
        return Err(EsiaErr::new("invalid_request", "ESIA-007015", "Wrong request time."));
    }
    Ok(())
}

/// Scope names from the `scope` parameter, checked against ESIA's list and the client's grants.
pub fn check_scopes(client: &RegisteredClient, scope: &str) -> Result<Vec<String>, EsiaErr> {
    let mut out = Vec::new();
    for raw in scope.split(' ').filter(|s| !s.is_empty()) {
        let name = scope_name(raw);
        if !KNOWN_SCOPES.contains(&name) {
            return Err(EsiaErr::new(
                "invalid_scope",
                "ESIA-007006",
                "Requested scope is invalid, unknown, or malformed.",
            ));
        }
        if !client.scopes.is_empty() && !client.scopes.iter().any(|s| s == name) {
            return Err(EsiaErr::new("invalid_scope", "ESIA-007019", "OAuthErrorEnum.noGrants"));
        }
        out.push(name.to_string());
    }
    if out.is_empty() {
        return Err(EsiaErr::new("invalid_scope", "ESIA-007013", "The request doesn't contain scope."));
    }
    Ok(out)
}

/// v2: the certificate chosen by `hash` must verify the raw signature of `message`.
pub fn check_secret_v2(
    client: &RegisteredClient,
    hash: &str,
    message: &str,
    secret: &str,
    error: &'static str,
) -> Result<(), EsiaErr> {
    let cert =
        client.certs.iter().find(|(h, _)| h == hash).map(|(_, c)| c).ok_or_else(|| EsiaErr::secret_wrong(error))?;
    let sig = decode_secret(secret).ok_or_else(|| EsiaErr::secret_wrong(error))?;
    for alg in [SigAlg::Gost2012_256, SigAlg::Rs256] {
        if let Ok(true) = verify_with_cert(cert, alg, message.as_bytes(), &sig) {
            return Ok(());
        }
    }
    Err(EsiaErr::secret_wrong(error))
}

/// v1: a detached CMS over `message` by one of the client's registered certificates.
pub fn check_secret_v1(
    client: &RegisteredClient,
    message: &str,
    secret: &str,
    error: &'static str,
) -> Result<(), EsiaErr> {
    let der = decode_secret(secret).ok_or_else(|| EsiaErr::secret_wrong(error))?;
    let mut cms = CmsContentInfo::from_der(&der).map_err(|_| EsiaErr::secret_wrong(error))?;
    let mut stack = Stack::new().map_err(|_| EsiaErr::secret_wrong(error))?;
    for (_, c) in &client.certs {
        stack.push(c.clone()).map_err(|_| EsiaErr::secret_wrong(error))?;
    }
    let flags = CMSOptions::NOINTERN | CMSOptions::NO_SIGNER_CERT_VERIFY | CMSOptions::BINARY;
    cms.verify(Some(&stack), None, Some(message.as_bytes()), None, flags).map_err(|_| EsiaErr::secret_wrong(error))
}
