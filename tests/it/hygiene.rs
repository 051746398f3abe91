//! Smaller rules of security-checklist §1 next to the main matrix: request objects
//! (AZ-14), body size limit (AB-02), secrets stored hashed (AC-04/AC-06), audit
//! records free of tokens and personal data (AB-06), session cookie (LO-04),
//! discovery and token headers (DS-01, IT-02, AT-01); and the one-way layering
//! `flow` → `oidc` (no `oidc` source names `flow`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use crate::support::*;
use base64::Engine as _;
use sqlx::Connection as _;

/// `SELECT COUNT(*) FROM <table> WHERE <column> = value` on the test database.
async fn count(url: &str, table: &str, column: &str, value: &str) -> i64 {
    let sql = if url.starts_with("sqlite:") {
        format!("SELECT COUNT(*) FROM {table} WHERE {column} = ?")
    } else {
        format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1")
    };
    let sql = sqlx::AssertSqlSafe(sql);
    if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sql).bind(value).fetch_one(&mut c).await.unwrap()
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sql).bind(value).fetch_one(&mut c).await.unwrap()
    }
}

#[tokio::test]
async fn az_14_request_objects_are_not_supported() {
    let app = TestApp::spawn().await;
    let rp = Rp::public(&app, "az14").await;
    let http = browser();
    let jwt = "eyJhbGciOiJub25lIn0.eyJyZXNwb25zZV90eXBlIjoiY29kZSJ9.";
    let res = http.get(authz(&app, &rp.id, RP_CB, &[("request", Some(jwt))])).send().await.unwrap();
    assert_error_redirect(&app, &res, RP_CB, "request_not_supported", "request");
    let res = http
        .get(authz(&app, &rp.id, RP_CB, &[("request_uri", Some("https://rp.example/req.jwt"))]))
        .send()
        .await
        .unwrap();
    assert_error_redirect(&app, &res, RP_CB, "request_uri_not_supported", "request_uri");
}

#[tokio::test]
async fn ab_02_oversized_token_request_body_is_refused() {
    let app = TestApp::spawn().await;
    let rp = Rp::public(&app, "ab02").await;
    let big = "a".repeat(32 * 1024);
    let res = reqwest::Client::new()
        .post(app.url("/token"))
        .form(&[("grant_type", "authorization_code"), ("client_id", rp.id.as_str()), ("code", big.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413, "a 32 KiB body is refused");
    // The server still serves normal requests.
    let res = reqwest::Client::new().get(app.url("/.well-known/openid-configuration")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn ac_06_codes_and_refresh_tokens_are_random_and_stored_hashed() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "ac06").await;
    let url = app.config.database.url.clone();
    let code = rp.code(&app, "openid offline_access", "ivanova.mp").await;
    let code2 = rp.code(&app, "openid offline_access", "ivanova.mp").await;
    assert_ne!(code, code2);
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&code).expect("base64url code");
    assert!(raw.len() >= 32, "AC-04: at least 256 bits, got {} bytes", raw.len());
    assert_eq!(count(&url, "codes", "code_hash", &code).await, 0, "the code is not stored in clear");
    assert_eq!(count(&url, "codes", "code_hash", &propusk::crypto::token_hash(&code)).await, 1, "its hash is");
    let t = rp.exchange(&app, &code).await;
    let refresh = t.str("refresh_token");
    assert!(base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&refresh).is_ok_and(|b| b.len() >= 32));
    assert_eq!(
        count(&url, "refresh_tokens", "token_hash", &refresh).await,
        0,
        "the refresh token is not stored in clear"
    );
    assert_eq!(count(&url, "refresh_tokens", "token_hash", &propusk::crypto::token_hash(&refresh)).await, 1);
    let secret = rp.secret.clone().unwrap();
    assert_eq!(count(&url, "clients", "secret_hash", &secret).await, 0, "the client secret is not stored in clear");
}

#[tokio::test]
async fn ab_06_audit_records_hold_no_tokens_secrets_or_personal_data() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "ab06").await;
    let http = browser();
    let code = rp.code_in(&app, &http, "openid profile offline_access", "ivanova.mp").await;
    let t = rp.exchange(&app, &code).await;
    let r2 = rp.refresh(&app, &t.str("refresh_token"), None).await;
    rp.revoke(&app, &r2.str("access_token"), None).await;
    submit_login(&browser(), &app.base, "/login", "ivanov.is", "Wrong-Secret-Pass!").await;
    let rows = app.app().store.audit_records(0, 10_000).await.unwrap();
    assert!(rows.len() >= 5);
    let secret = rp.secret.clone().unwrap();
    let forbidden: Vec<(&str, String)> = vec![
        ("code", code.clone()),
        ("access token", t.str("access_token")),
        ("refresh token", t.str("refresh_token")),
        ("rotated refresh token", r2.str("refresh_token")),
        ("id token", t.str("id_token")),
        ("client secret", secret),
        ("password", PASSWORD.into()),
        ("wrong password", "Wrong-Secret-Pass!".into()),
        ("login", "ivanova.mp".into()),
        ("login", "ivanov.is".into()),
        ("surname", "Иванова".into()),
        ("SNILS", "112-233-445 95".into()),
        ("SNILS digits", "11223344595".into()),
    ];
    for row in &rows {
        for (what, value) in &forbidden {
            assert!(!row.data.contains(value.as_str()), "audit row {} ({}) contains the {what}", row.seq, row.kind);
        }
    }
}

#[tokio::test]
async fn lo_04_session_cookie_is_httponly_lax_and_rotated_on_login() {
    let app = TestApp::spawn().await;
    let http = browser();
    let session_cookie = |res: &reqwest::Response| -> String {
        res.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("propusk_session=") || c.starts_with("__Host-propusk-session="))
            .expect("a session cookie")
            .to_owned()
    };
    let first = session_cookie(&submit_login(&http, &app.base, "/login", "ivanova.mp", PASSWORD).await);
    let lower = first.to_ascii_lowercase();
    assert!(lower.contains("httponly"), "{first}");
    assert!(lower.contains("samesite=lax"), "{first}");
    assert!(lower.contains("path=/"), "{first}");
    let second = session_cookie(&submit_login(&http, &app.base, "/login", "ivanova.mp", PASSWORD).await);
    let value = |c: &str| c.split(';').next().unwrap_or_default().to_owned();
    assert_ne!(value(&first), value(&second), "a new session id at every login (no fixation)");
}

#[tokio::test]
async fn ds_01_discovery_issuer_endpoints_and_signed_token_headers() {
    let app = TestApp::spawn().await;
    let http = reqwest::Client::new();
    let disco: serde_json::Value =
        http.get(app.url("/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
    assert_eq!(disco["issuer"], app.base.as_str(), "DS-01: byte-identical issuer");
    for ep in ["authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri", "end_session_endpoint"] {
        assert!(disco[ep].as_str().is_some_and(|u| u.starts_with(&app.base)), "{ep}: {}", disco[ep]);
    }
    assert_eq!(disco["response_types_supported"], serde_json::json!(["code"]), "DS-02: code only");
    let jwks: serde_json::Value = http.get(app.url("/jwks")).send().await.unwrap().json().await.unwrap();
    let kids: Vec<&str> = jwks["keys"].as_array().unwrap().iter().filter_map(|k| k["kid"].as_str()).collect();
    for k in jwks["keys"].as_array().unwrap() {
        assert!(k.get("d").is_none() && k.get("p").is_none(), "no private key material in JWKS");
    }
    let rp = Rp::confidential(&app, "ds01").await;
    let t = rp.tokens(&app, "openid", "ivanova.mp").await;
    let header = |jwt: &str| -> serde_json::Value {
        let h = jwt.split('.').next().unwrap();
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(h).unwrap()).unwrap()
    };
    let id_h = header(&t.str("id_token"));
    assert_eq!(id_h["alg"], "RS256", "IT-02");
    assert!(id_h["kid"].as_str().is_some_and(|k| kids.contains(&k)), "IT-02: kid {} in the JWKS {kids:?}", id_h["kid"]);
    let at_h = header(&t.str("access_token"));
    assert_eq!(at_h["typ"], "at+jwt", "AT-01");
    let id = jwt_claims(&t.str("id_token"));
    assert_eq!(id["iss"], app.base.as_str());
    let aud_ok = id["aud"] == "ds01" || id["aud"].as_array().is_some_and(|a| a.iter().any(|x| x == "ds01"));
    assert!(aud_ok, "IT-01: aud has the client: {}", id["aud"]);
    let at = jwt_claims(&t.str("access_token"));
    for claim in ["iss", "exp", "aud", "sub", "client_id", "iat", "jti"] {
        assert!(at.get(claim).is_some(), "AT-01: access token claim {claim}");
    }
    assert!(at.get("family_name").is_none() && at.get("name").is_none(), "AT-03: no personal data in the access token");
}

/// The layering is one-way: `flow` depends on `oidc`, never back (ARCHITECTURE.md).
#[test]
fn oidc_never_imports_flow() {
    fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    rust_files(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/oidc"), &mut files);
    assert!(files.len() > 10, "the oidc sources are found: {files:?}");
    let offenders: Vec<_> =
        files.iter().filter(|f| std::fs::read_to_string(f).unwrap().contains("crate::flow")).collect();
    assert!(offenders.is_empty(), "oidc must not import flow: {offenders:?}");
}
