//! DS-02 for `prompt`: discovery's `prompt_values_supported` lists exactly the values
//! /authorize honours — each advertised value is accepted, alone and after a login,
//! and a value it does not list (`create`) is `invalid_request`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use crate::support::*;

/// The `error` of /authorize's answer, if it is an error redirect (or 400 for a page).
async fn authorize_error(http: &reqwest::Client, url: &str) -> Option<String> {
    let res = http.get(url).send().await.unwrap();
    if res.status() == 400 {
        return Some("error page".into());
    }
    if res.status().is_redirection() {
        return query_param(&location(&res), "error");
    }
    None
}

#[tokio::test]
async fn ds_02_every_advertised_prompt_value_is_accepted() {
    let app = TestApp::spawn().await;
    let rp = Rp::public(&app, "rp-prompts").await;
    let http = browser();
    let disco: serde_json::Value =
        http.get(app.url("/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
    let values: Vec<&str> =
        disco["prompt_values_supported"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(values, ["none", "login", "consent", "select_account"], "{disco}");

    // Without a session: each is honoured; `none` answers login_required, never invalid_request.
    for v in &values {
        let err = authorize_error(&http, &authz(&app, &rp.id, RP_CB, &[("prompt", Some(v))])).await;
        let expected = (*v == "none").then(|| "login_required".to_owned());
        assert_eq!(err, expected, "prompt={v} without a session");
    }
    // Signed in: none of them is refused.
    login_for_code(&app, &http, &rp.authorize(&app, "openid"), "ivanova.mp").await;
    for v in &values {
        let err = authorize_error(&http, &authz(&app, &rp.id, RP_CB, &[("prompt", Some(v))])).await;
        assert!(err.is_none() || err.as_deref() == Some("consent_required"), "prompt={v} signed in: {err:?}");
    }
    // Not advertised, not accepted.
    let err = authorize_error(&http, &authz(&app, &rp.id, RP_CB, &[("prompt", Some("create"))])).await;
    assert_eq!(err.as_deref(), Some("invalid_request"));
}
