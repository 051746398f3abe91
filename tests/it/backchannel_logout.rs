//! OpenID Connect Back-Channel Logout 1.0 against a relying party of the test's own:
//! a small axum server on loopback, registered as the client's
//! `backchannel_logout_uri`, that keeps every `logout_token` POSTed to it. Each token
//! is verified against `/jwks` (signature, `typ`, `iss`, `aud`, `events`, `sid` equal
//! to the ID token's, `sub`, no `nonce`) — on RP-initiated logout, on an ESIA unlink,
//! on a password change (only the other sessions), on a consent revocation; retried
//! when the RP answers 503 at first; never sent to a URI the client no longer has.

use crate::common::*;
use crate::esia_support::*;
use crate::support::*;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// What the relying party's back-channel endpoint saw.
#[derive(Clone, Default)]
pub(crate) struct Receiver {
    tokens: Arc<Mutex<Vec<String>>>,
    hits: Arc<AtomicUsize>,
    /// Answers 503 to this many POSTs first.
    fail_first: Arc<AtomicUsize>,
}

impl Receiver {
    fn tokens(&self) -> Vec<String> {
        self.tokens.lock().unwrap().clone()
    }

    /// The tokens once there are at least `n` (20 s at most).
    pub(crate) async fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..200 {
            if self.tokens().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let got = self.tokens();
        assert!(got.len() >= n, "expected {n} logout tokens, got {}", got.len());
        got
    }
}

async fn endpoint(State(r): State<Receiver>, headers: HeaderMap, body: String) -> StatusCode {
    r.hits.fetch_add(1, Ordering::SeqCst);
    if r.fail_first.load(Ordering::SeqCst) > 0 {
        r.fail_first.fetch_sub(1, Ordering::SeqCst);
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let form = headers.get("content-type").and_then(|v| v.to_str().ok());
    if form != Some("application/x-www-form-urlencoded") {
        return StatusCode::BAD_REQUEST;
    }
    let token = url::form_urlencoded::parse(body.as_bytes()).find(|(k, _)| k == "logout_token").map(|(_, v)| v);
    match token {
        Some(t) => {
            r.tokens.lock().unwrap().push(t.into_owned());
            StatusCode::OK
        }
        None => StatusCode::BAD_REQUEST,
    }
}

/// The audit events of `kind` once there are at least `n` (20 s at most): the worker
/// writes them after the RP has answered.
async fn audited(app: &TestApp, kind: &str, n: usize) -> Vec<String> {
    for _ in 0..200 {
        let found = audit_of(app, kind).await;
        if found.len() >= n {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("expected {n} `{kind}` events, got {:?}", audit_of(app, kind).await);
}

/// A relying party's back-channel endpoint on loopback: its URI and what it receives.
pub(crate) async fn relying_party(fail_first: usize) -> (String, Receiver) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let r = Receiver { fail_first: Arc::new(AtomicUsize::new(fail_first)), ..Receiver::default() };
    let router = axum::Router::new().route("/bc", axum::routing::post(endpoint)).with_state(r.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (format!("http://{addr}/bc"), r)
}

/// A server whose retries come after a second, not half a minute.
pub(crate) async fn spawn() -> TestApp {
    TestApp::spawn_with(|c| c.backchannel.backoff_base_secs = 1, false).await
}

/// Sets (or, with `""`, removes) the back-channel URI of a client, as `clients update` does.
pub(crate) async fn register_uri(app: &TestApp, client_id: &str, uri: &str) {
    let args = propusk::cli::UpdateArgs {
        id: client_id.into(),
        backchannel_logout_uri: Some(uri.into()),
        ..Default::default()
    };
    propusk::cli::clients_update(&app.config, &args).await.expect("client updated");
}

fn part(jwt: &str, n: usize) -> Value {
    let raw = jwt.split('.').nth(n).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw).unwrap()).unwrap()
}

/// Verifies a logout token's signature against `/jwks` (the key its `kid` names, that
/// key's algorithm) and returns its header and claims.
async fn verified(app: &TestApp, token: &str) -> (Value, Value) {
    let header = part(token, 0);
    let jwks: Value = reqwest::get(app.url("/jwks")).await.unwrap().json().await.unwrap();
    let key = jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == header["kid"]).expect("kid in JWKS");
    let jwk = josekit::jwk::Jwk::from_map(key.as_object().unwrap().clone()).unwrap();
    let verifier: Box<dyn josekit::jws::JwsVerifier> = match header["alg"].as_str().unwrap() {
        "RS256" => Box::new(josekit::jws::RS256.verifier_from_jwk(&jwk).unwrap()),
        "ES256" => Box::new(josekit::jws::ES256.verifier_from_jwk(&jwk).unwrap()),
        "EdDSA" => Box::new(josekit::jws::EdDSA.verifier_from_jwk(&jwk).unwrap()),
        other => panic!("unexpected alg {other}"),
    };
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(signature).unwrap();
    verifier.verify(signed.as_bytes(), &signature).expect("the signature verifies against JWKS");
    (header, part(token, 1))
}

/// Checks a logout token for `client_id` against the ID token it logs out (§2.4, §2.6).
pub(crate) async fn assert_logout_token(app: &TestApp, token: &str, client_id: &str, id_token: &str) -> Value {
    let (header, claims) = verified(app, token).await;
    let id = jwt_claims(id_token);
    assert_eq!(header["typ"], "logout+jwt", "{header}");
    assert_eq!(claims["iss"], app.base.as_str());
    assert_eq!(claims["aud"], client_id);
    assert_eq!(claims["sub"], id["sub"], "the client's sub of the person");
    assert_eq!(claims["events"], serde_json::json!({ EVENT: {} }));
    assert!(claims.get("nonce").is_none(), "never a nonce: {claims}");
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
    let (iat, exp) = (claims["iat"].as_i64().unwrap(), claims["exp"].as_i64().unwrap());
    assert!(exp > iat && exp - iat <= 300, "short-lived: {claims}");
    claims
}

/// A browser signed in as ivanova.mp through `rp`, and the ID token it got.
pub(crate) async fn signed_in(app: &TestApp, rp: &Rp) -> (reqwest::Client, String) {
    let http = browser();
    let code = rp.code_in(app, &http, "openid", "ivanova.mp").await;
    let t = rp.exchange(app, &code).await;
    assert_eq!(t.status, 200, "{}", t.text);
    (http, t.str("id_token"))
}

#[tokio::test]
async fn rp_initiated_logout_sends_a_verified_logout_token_with_the_id_tokens_sid() {
    let app = spawn().await;
    let (uri, rp_end) = relying_party(0).await;
    let rp = Rp::confidential(&app, "bc-logout").await;
    register_uri(&app, &rp.id, &uri).await;
    let quiet = Rp::confidential(&app, "bc-quiet").await;
    let (http, id_token) = signed_in(&app, &rp).await;
    let quiet_code = quiet.code_sso(&app, &http, "openid").await;
    assert_eq!(quiet.exchange(&app, &quiet_code).await.status, 200);
    let sid = jwt_claims(&id_token)["sid"].as_str().expect("the ID token has a sid").to_owned();

    let mut u = url::Url::parse(&app.url("/logout")).unwrap();
    u.query_pairs_mut().append_pair("id_token_hint", &id_token).append_pair("post_logout_redirect_uri", RP_LOGGED_OUT);
    let res = http.get(u.as_str()).send().await.unwrap();
    assert!(location(&res).starts_with(RP_LOGGED_OUT));

    let tokens = rp_end.wait_for(1).await;
    let claims = assert_logout_token(&app, &tokens[0], &rp.id, &id_token).await;
    assert_eq!(claims["sid"], sid.as_str(), "the session the ID token named");
    let delivered = audited(&app, "backchannel_logout_delivered", 1).await;
    assert!(delivered[0].contains("\"client_id\":\"bc-logout\""));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(rp_end.tokens().len(), 1, "exactly once");
    assert_eq!(audit_of(&app, "backchannel_logout_delivered").await.len(), 1, "one client has a back-channel URI");
    let d: Value = reqwest::get(app.url("/.well-known/openid-configuration")).await.unwrap().json().await.unwrap();
    assert_eq!(
        (d["backchannel_logout_supported"].clone(), d["backchannel_logout_session_supported"].clone()),
        (Value::Bool(true), Value::Bool(true))
    );
}

#[tokio::test]
async fn retried_with_backoff_while_the_rp_answers_503() {
    let app = spawn().await;
    let (uri, rp_end) = relying_party(2).await;
    let rp = Rp::confidential(&app, "bc-retry").await;
    register_uri(&app, &rp.id, &uri).await;
    let (http, id_token) = signed_in(&app, &rp).await;
    let (_, html) = page(&app, &http, "/account").await;
    let form = [("csrf", hidden(&html, "csrf").unwrap())];
    let res = http.post(app.url("/logout")).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 200, "signed out");

    let tokens = rp_end.wait_for(1).await;
    assert_logout_token(&app, &tokens[0], &rp.id, &id_token).await;
    assert_eq!(rp_end.hits.load(Ordering::SeqCst), 3, "two 503s, then delivered");
    let delivered = audited(&app, "backchannel_logout_delivered", 1).await;
    assert!(delivered[0].contains("\"attempts\":3"), "{delivered:?}");
}

#[tokio::test]
async fn never_sent_to_a_uri_the_client_no_longer_has() {
    let app = spawn().await;
    let (old_uri, old_end) = relying_party(usize::MAX).await;
    let (new_uri, new_end) = relying_party(0).await;
    let rp = Rp::confidential(&app, "bc-moved").await;
    register_uri(&app, &rp.id, &old_uri).await;
    let (http, id_token) = signed_in(&app, &rp).await;
    let (_, html) = page(&app, &http, "/account").await;
    let form = [("csrf", hidden(&html, "csrf").unwrap())];
    assert_eq!(http.post(app.url("/logout")).form(&form).send().await.unwrap().status(), 200);
    // The old URI answers 503 once; then the client moves: the retry goes to the new one.
    for _ in 0..100 {
        if old_end.hits.load(Ordering::SeqCst) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    register_uri(&app, &rp.id, &new_uri).await;
    let at_move = old_end.hits.load(Ordering::SeqCst);
    assert!(at_move >= 1);
    let tokens = new_end.wait_for(1).await;
    assert_logout_token(&app, &tokens[0], &rp.id, &id_token).await;
    assert_eq!(old_end.hits.load(Ordering::SeqCst), at_move, "nothing more to the old URI");

    // A client without a URI now gets nothing at all; the notice is given up, audited.
    let (http, _) = signed_in(&app, &rp).await;
    let (_, html) = page(&app, &http, "/account").await;
    let form = [("csrf", hidden(&html, "csrf").unwrap())];
    let account = account_id(&app, SCHOOL1, "ivanova.mp").await;
    // Queued while the URI is registered, removed before the worker's next round.
    let before = app.app().store.logouts_of_account(&account).await.unwrap().len();
    register_uri(&app, &rp.id, &old_uri).await;
    old_end.fail_first.store(usize::MAX, Ordering::SeqCst);
    assert_eq!(http.post(app.url("/logout")).form(&form).send().await.unwrap().status(), 200);
    register_uri(&app, &rp.id, "").await;
    assert_eq!(app.app().store.logouts_of_account(&account).await.unwrap().len(), before + 1);
    let failed = audited(&app, "backchannel_logout_failed", 1).await;
    assert!(failed.iter().any(|e| e.contains("not_registered")), "{failed:?}");
    assert_eq!(new_end.tokens().len(), 1);
}

#[tokio::test]
async fn a_password_change_logs_out_only_the_other_sessions() {
    let app = spawn().await;
    let (uri, rp_end) = relying_party(0).await;
    let rp = Rp::confidential(&app, "bc-password").await;
    register_uri(&app, &rp.id, &uri).await;
    let (here, here_token) = signed_in(&app, &rp).await;
    let (_, there_token) = signed_in(&app, &rp).await;
    let res = crate::password::change(&app, &here, PASSWORD, "Sunny-Day-2027", "Sunny-Day-2027").await;
    assert_eq!(res.status(), 303, "changed");
    let tokens = rp_end.wait_for(1).await;
    let claims = assert_logout_token(&app, &tokens[0], &rp.id, &there_token).await;
    assert_eq!(claims["sid"], jwt_claims(&there_token)["sid"], "the other browser's session");
    assert_ne!(claims["sid"], jwt_claims(&here_token)["sid"]);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(rp_end.tokens().len(), 1, "the session the change was made in stays");
    // The kept session's sid survives its new id: a later logout names it.
    let (_, html) = page(&app, &here, "/account").await;
    let form = [("csrf", hidden(&html, "csrf").unwrap())];
    assert_eq!(here.post(app.url("/logout")).form(&form).send().await.unwrap().status(), 200);
    let tokens = rp_end.wait_for(2).await;
    assert_eq!(part(&tokens[1], 1)["sid"], jwt_claims(&here_token)["sid"]);
}

#[tokio::test]
async fn a_consent_revocation_logs_that_client_out() {
    let app = spawn().await;
    let (uri, rp_end) = relying_party(0).await;
    let rp = Rp::confidential(&app, "bc-consent").await;
    register_uri(&app, &rp.id, &uri).await;
    let (http, id_token) = signed_in(&app, &rp).await;
    let (_, html) = page(&app, &http, "/account").await;
    let csrf = hidden(&html, "csrf").unwrap();
    let res = post(&app, &http, "/account/consents/revoke", &[("csrf", &csrf), ("client_id", &rp.id)]).await;
    assert_eq!(res.status(), 200);
    let tokens = rp_end.wait_for(1).await;
    let claims = assert_logout_token(&app, &tokens[0], &rp.id, &id_token).await;
    assert_eq!(claims["sid"], jwt_claims(&id_token)["sid"]);
}

#[tokio::test]
async fn an_esia_unlink_logs_every_client_of_the_account_out() {
    let app = spawn().await;
    let (uri, rp_end) = relying_party(0).await;
    register_uri(&app, "demo-diary", &uri).await;
    let (http, back) = esia_login(&app, "parent", "ivanova@example.ru", "").await;
    let redirect = app.url("/demo/callback");
    let code = code_of(&app, &back, &redirect);
    let tokens: Value = exchange_public(&app, "demo-diary", &redirect, &code).await.json().await.unwrap();
    let id_token = tokens["id_token"].as_str().unwrap().to_owned();
    let (_, html) = page(&app, &http, "/account").await;
    let res = post(&app, &http, "/account/esia/unlink", &[("csrf", &hidden(&html, "csrf").unwrap())]).await;
    assert!(res.status().is_redirection());
    let got = rp_end.wait_for(1).await;
    let claims = assert_logout_token(&app, &got[0], "demo-diary", &id_token).await;
    assert_eq!(claims["sid"], jwt_claims(&id_token)["sid"]);
}

#[tokio::test]
async fn a_system_admin_sets_and_removes_the_uri_in_the_console() {
    let app = spawn().await;
    let rp = Rp::confidential(&app, "bc-console").await;
    let change = propusk::cli::RoleChange { login: "admin1".into(), role: "system-admin".into(), org: None };
    propusk::cli::staff_grant(&app.config, &change).await.unwrap();
    let admin = crate::access_staff::signed_in(&app, SCHOOL1, "admin1").await;
    let path = format!("/admin/clients/{}", rp.id);
    let (status, html) = page(&app, &admin, &path).await;
    assert_eq!(status, 200, "{html}");
    let csrf = hidden(&html, "csrf").unwrap();
    let form = |uri: &'static str, sid: bool| {
        let mut f = vec![
            ("csrf", csrf.clone()),
            ("redirect_uris", RP_CB.to_owned()),
            ("post_logout_redirect_uris", RP_LOGGED_OUT.to_owned()),
            ("grant_types", "authorization_code refresh_token".to_owned()),
            ("consent", "implicit".to_owned()),
            ("id_token_alg", "RS256".to_owned()),
            ("backchannel_logout_uri", uri.to_owned()),
        ];
        if sid {
            f.push(("backchannel_logout_session_required", "on".to_owned()));
        }
        f
    };
    let stored = || async { app.app().store.client("bc-console").await.unwrap().unwrap() };
    let send = |f: Vec<(&'static str, String)>| {
        let (admin, url) = (admin.clone(), app.url(&path));
        async move { admin.post(url).form(&f).send().await.unwrap() }
    };

    let res = send(form("http://rp.example/bc", false)).await;
    assert_eq!(res.status(), 422, "plain http off loopback");
    assert!(res.text().await.unwrap().contains("Адрес back-channel logout"));
    assert_eq!(stored().await.backchannel_logout_uri, None, "nothing stored");

    assert_eq!(send(form("https://rp.example/bc", true)).await.status(), 200);
    let c = stored().await;
    assert_eq!(c.backchannel_logout_uri.as_deref(), Some("https://rp.example/bc"));
    assert!(c.backchannel_logout_session_required);
    let (_, html) = page(&app, &admin, &path).await;
    assert!(html.contains("value=\"https://rp.example/bc\""), "shown in the form");

    assert_eq!(send(form("", false)).await.status(), 200);
    let c = stored().await;
    assert_eq!((c.backchannel_logout_uri, c.backchannel_logout_session_required), (None, false), "removed");
}

#[tokio::test]
async fn clients_add_checks_the_uri_and_shows_it() {
    let app = spawn().await;
    let add = |id: &str, uri: &str| propusk::cli::AddClient {
        id: id.into(),
        redirect_uris: vec![RP_CB.into()],
        backchannel_logout_uri: Some(uri.into()),
        backchannel_logout_session_required: true,
        ..Default::default()
    };
    for bad in ["http://rp.example/bc", "https://rp.example/bc#x", "https://u:p@rp.example/bc", "ru.example:/bc"] {
        let refused = propusk::cli::clients_add(&app.config, add("bc-bad", bad)).await;
        assert!(matches!(refused, Err(propusk::cli::CliError::Usage(ref m)) if m.contains("--backchannel-logout-uri")));
    }
    assert!(app.app().store.client("bc-bad").await.unwrap().is_none());
    let shown = propusk::cli::clients_add(&app.config, add("bc-good", "https://rp.example/bc")).await.unwrap();
    assert_eq!(shown["backchannel_logout_uri"], "https://rp.example/bc");
    assert_eq!(shown["backchannel_logout_session_required"], true);
}
