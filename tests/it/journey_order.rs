//! Every journey form posted with a flow in every stage that does not allow it
//! (`flow::journey::next`): the answer is the page of the flow's own stage, and no
//! link, no session and no code ever comes of it.

use crate::common::*;
use crate::esia_journey::{give_pd_consent, start, through_esia};
use crate::esia_support::*;

/// A browser whose flow is at one stage, with that browser's CSRF token.
struct AtStage {
    name: &'static str,
    http: reqwest::Client,
    flow: String,
    csrf: String,
}

async fn at(app: &TestApp, name: &'static str, role: &str, who: Option<&str>, consent: bool) -> AtStage {
    let http = browser();
    let login = start(app, &http, "").await;
    let flow = flow_of(app, &login);
    let csrf = hidden(&page(app, &http, &login).await.1, "csrf").unwrap();
    if let Some(who) = who {
        let mut res = through_esia(app, &http, &login, role, who).await;
        if consent && location(&res).starts_with("/login/esia/consent?") {
            res = give_pd_consent(app, &http, res).await;
        }
        let shown = if name == "refused" { res.status() == 403 } else { res.status().is_redirection() };
        assert!(shown, "{name}: {}", res.status());
    } else if name == "role_chosen" {
        choose_role(app, &http, &login, role).await;
    }
    AtStage { name, http, flow, csrf }
}

/// The journey's forms: (path, the fields a real submission would carry).
fn forms(petrov_pp: &str) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    let creds = |login: &str| {
        vec![
            ("org_kind", "school".to_owned()),
            ("org", SCHOOL1.to_owned()),
            ("login", login.to_owned()),
            ("password", PASSWORD.to_owned()),
        ]
    };
    vec![
        ("/login", creds("smirnova.ov")),
        ("/login/esia/consent", vec![("decision", "agree".to_owned())]),
        ("/login/esia/link", creds("smirnova.ov")),
        ("/login/esia/choose", vec![("account", petrov_pp.to_owned())]),
        ("/login/esia/leave", vec![]),
        ("/login/esia/request/form", vec![("email", "x@example.ru".to_owned()), ("org", SCHOOL1.to_owned())]),
        ("/consent", vec![("decision", "allow".to_owned())]),
    ]
}

/// Which stages let each form act (mirrors the table of `flow::journey`).
fn allowed(path: &str, stage: &str) -> bool {
    match path {
        "/login" => matches!(stage, "login" | "role_chosen"),
        "/login/esia/consent" => stage == "esia_returned",
        "/login/esia/link" | "/login/esia/leave" | "/login/esia/request/form" => stage == "not_found",
        "/login/esia/choose" => stage == "choosing",
        _ => false,
    }
}

#[tokio::test]
async fn every_journey_form_out_of_order_gives_no_link_and_no_code() {
    let app = TestApp::spawn().await;
    let petrov_pp = account_id(&app, SCHOOL1, "petrov.pp").await;
    let stages = [
        at(&app, "login", "", None, false).await,
        at(&app, "role_chosen", "parent", None, false).await,
        at(&app, "esia_returned", "parent", Some("smirnova@example.ru"), false).await,
        at(&app, "refused", "parent", Some("orlova@example.ru"), false).await,
        at(&app, "not_found", "parent", Some("sokolov@example.ru"), true).await,
        at(&app, "choosing", "parent", Some("petrov@example.ru"), true).await,
    ];
    let links_before = app.app().store.links_of_account(&petrov_pp).await.unwrap().len();
    let logins_before = audit_of(&app, "login_succeeded").await.len();
    let mut tried = 0;
    for s in &stages {
        for (path, fields) in forms(&petrov_pp) {
            if allowed(path, s.name) {
                continue;
            }
            let mut form = vec![("flow", s.flow.clone()), ("csrf", s.csrf.clone())];
            form.extend(fields);
            let res = s.http.post(app.url(path)).form(&form).send().await.unwrap();
            tried += 1;
            let to = location(&res);
            assert_eq!(res.status(), 303, "{path} in {}: {to}", s.name);
            assert!(to.starts_with('/') && to.contains(&format!("flow={}", s.flow)), "{path} in {}: {to}", s.name);
            assert!(!to.contains("code="), "{path} in {}: no code", s.name);
        }
    }
    assert!(tried >= 30, "{tried} out-of-order posts");
    assert!(links_of(&app, SCHOOL1, "smirnova.ov").await.is_empty(), "no link");
    assert_eq!(app.app().store.links_of_account(&petrov_pp).await.unwrap().len(), links_before, "no new link");
    assert_eq!(audit_of(&app, "login_succeeded").await.len(), logins_before, "no session");
    let codes: Vec<String> = audit_of(&app, "token_issued").await;
    assert!(codes.is_empty(), "no token: {codes:?}");
}
