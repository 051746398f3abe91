//! The code exchange at `/aas/oauth2/v3/te` (or v1 `/te`) with a fresh signed state,
//! and the verification of the access and ID tokens ESIA returns (BR-02).

use super::EsiaConnector;
use super::protocol::{TE_V1, TE_V3, new_state, scope_name, signed_string_v1, signed_string_v2, timestamp};
use super::trust::Trusted;
use crate::connector::jwt::{self, Expect};
use crate::connector::{ConnectorError, Pending};
use openssl::x509::X509;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    id_token: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// What the verified tokens say.
pub(super) struct Verified {
    pub access_token: String,
    pub oid: String,
    pub issuer: String,
    pub granted: Vec<String>,
    /// `urn:esia:sbj:lvl` from the ID token (`PR`, `P`, `KD`), when present.
    pub level: Option<String>,
}

fn malformed(what: &str) -> ConnectorError {
    ConnectorError::Protocol { code: None, message: format!("malformed token response: {what}") }
}

impl EsiaConnector {
    pub(super) async fn exchange(&self, pending: &Pending, code: &str) -> Result<Verified, ConnectorError> {
        let scope = pending.scopes.join(" ");
        let state = new_state();
        let ts = timestamp(self.clock.now());
        let id = self.cfg.client_id.as_str();
        let (path, message) = if self.cfg.legacy_v1 {
            (TE_V1, signed_string_v1(id, &scope, &ts, &state))
        } else {
            (TE_V3, signed_string_v2(id, &scope, &ts, &state, &pending.redirect_uri, code))
        };
        let secret = self.client_secret(message).await?;
        let mut form: Vec<(&str, &str)> = vec![
            ("client_id", id),
            ("code", code),
            ("grant_type", "authorization_code"),
            ("client_secret", &secret),
            ("state", &state),
            ("redirect_uri", &pending.redirect_uri),
            ("scope", &scope),
            ("timestamp", &ts),
            ("token_type", "Bearer"),
        ];
        if !self.cfg.legacy_v1 {
            form.push(("client_certificate_hash", &self.cert_hash));
        }
        let req = self.http.inner().post(self.endpoint(path)).form(&form);
        let answer = self.http.send(req).await?;
        if answer.status >= 500 {
            return Err(ConnectorError::Unavailable(format!("token endpoint answered HTTP {}", answer.status)));
        }
        let resp: TokenResponse = serde_json::from_slice(&answer.body).map_err(|_| {
            if answer.json {
                malformed("invalid JSON")
            } else {
                malformed(&format!("HTTP {} without JSON", answer.status))
            }
        })?;
        if let Some(error) = resp.error.as_deref() {
            return Err(ConnectorError::from_esia(error, resp.error_description.as_deref()));
        }
        if answer.status != 200 {
            return Err(malformed(&format!("HTTP {}", answer.status)));
        }
        match resp.state.as_deref() {
            Some(echo) if echo == state => {}
            None if self.cfg.legacy_v1 => {}
            _ => {
                return Err(ConnectorError::Protocol {
                    code: None,
                    message: "token response state does not echo ours".into(),
                });
            }
        }
        let access_token = resp.access_token.filter(|t| !t.is_empty()).ok_or_else(|| malformed("no access_token"))?;
        self.verify_tokens(access_token, resp.id_token.as_deref()).await
    }

    fn expect<'a>(&'a self, sbt: &'a str) -> Expect<'a> {
        Expect {
            sbt,
            issuer: &self.cfg.issuer,
            client_id: &self.cfg.client_id,
            now: self.clock.now(),
            leeway: self.cfg.leeway_secs,
        }
    }

    /// Verifies both tokens against the trusted certificates; when a signature fits
    /// none of them, looks at `esia.certificates_dir` again (ESIA may have rotated)
    /// and, if it still fits none, logs the token's fingerprint and header.
    async fn verify_tokens(&self, access_token: String, id_token: Option<&str>) -> Result<Verified, ConnectorError> {
        let now = self.clock.now();
        let certs = self.trust.certificates(now, false).await;
        let failure = match self.verify_with(&certs, &access_token, id_token) {
            Ok(v) => return Ok(v),
            Err(f) => f,
        };
        if failure.untrusted.is_none() {
            return Err(failure.error);
        }
        let certs = self.trust.certificates(now, true).await;
        match self.verify_with(&certs, &access_token, id_token) {
            Ok(v) => Ok(v),
            Err(Failure { error, untrusted: Some(token) }) => {
                let trusted: Vec<&str> = certs.iter().map(|t| t.sha256.as_str()).collect();
                log_untrusted(token, &trusted);
                Err(error)
            }
            Err(f) => Err(f.error),
        }
    }

    fn verify_with(
        &self,
        trusted: &[Trusted],
        access_token: &str,
        id_token: Option<&str>,
    ) -> Result<Verified, Failure> {
        let certs: Vec<X509> = trusted.iter().map(|t| t.cert.clone()).collect();
        let check = |token: &str, sbt: &str| {
            jwt::verify(token, &certs, &self.expect(sbt)).map_err(|e| Failure {
                untrusted: jwt::is_untrusted(&e).then(|| token.to_owned()),
                error: ConnectorError::InvalidToken(format!(
                    "{} token: {e}",
                    if sbt == "id" { "id" } else { "access" }
                )),
            })
        };
        let at = check(access_token, "access")?;
        let bad = |m: &str| Failure { error: ConnectorError::InvalidToken(m.into()), untrusted: None };
        let oid = jwt::text(&at, "urn:esia:sbj_id")
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| bad("access token without urn:esia:sbj_id"))?;
        let granted = at
            .get("scope")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .split_whitespace()
            .map(|s| scope_name(s).to_string())
            .collect();
        let mut level = None;
        if let Some(token) = id_token {
            let it = check(token, "id")?;
            if jwt::text(&it, "sub").as_deref() != Some(oid.as_str()) {
                return Err(bad("id token subject differs from access token"));
            }
            level = it
                .get("urn:esia:sbj")
                .and_then(|s| s.get("urn:esia:sbj:lvl"))
                .and_then(Value::as_str)
                .map(str::to_string);
        }
        Ok(Verified { access_token: access_token.to_owned(), oid, issuer: self.cfg.issuer.clone(), granted, level })
    }
}

/// Why verification failed; `untrusted` is the token whose signature fits no trusted certificate.
struct Failure {
    error: ConnectorError,
    untrusted: Option<String>,
}

/// One line an operator can act on: which token (its SHA-256), what its header says
/// (`alg`, `sbt`, `kid`, `x5t` when ESIA sends them) and which certificates we trust.
fn log_untrusted(token: String, trusted: &[&str]) {
    let header = jwt::header_unverified(&token).unwrap_or_default();
    let field = |name: &str| header.get(name).and_then(Value::as_str).unwrap_or("-").to_owned();
    tracing::warn!(
        token_sha256 = %super::trust::sha256_hex(token.as_bytes()),
        alg = %field("alg"),
        sbt = %field("sbt"),
        kid = %field("kid"),
        x5t = %field("x5t"),
        trusted = %trusted.join(", "),
        "ESIA token refused: its signature fits none of the trusted ESIA certificates \
         (a new ESIA certificate missing from esia.certificates_dir, or an altered token)"
    );
}
