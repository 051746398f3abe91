//! Table tests of [`next_step`].

use super::*;
use crate::oidc::request::Prompt;

fn request(prompt: Prompt, max_age: Option<i64>) -> AuthRequest {
    AuthRequest {
        client_id: "c".into(),
        redirect_uri: "https://rp/cb".into(),
        scope: "openid profile".into(),
        state: None,
        nonce: None,
        code_challenge: "x".into(),
        prompt,
        max_age,
        login_hint: None,
        resources: vec![],
        dpop_jkt: None,
    }
}

fn auth(at: i64) -> Authenticated {
    Authenticated { account_id: "a".into(), auth_time: at, amr: "pwd".into(), session_hash: None }
}

/// (prompt, max_age, auth, fresh, mode, remembered consent, expected)
type Row<'a> = (Prompt, Option<i64>, Option<&'a Authenticated>, bool, ConsentMode, Option<&'a str>, Step);

#[test]
fn table() {
    let login = Prompt { login: true, ..Prompt::default() };
    let consent = Prompt { consent: true, ..Prompt::default() };
    let none = Prompt::default();
    let a = auth(1000);
    use ConsentMode::*;
    let rows: Vec<Row> = vec![
        (none, None, None, false, Implicit, None, Step::Login),
        (none, None, Some(&a), false, Implicit, None, Step::Issue),
        (login, None, Some(&a), false, Implicit, None, Step::Login),
        (login, None, Some(&a), true, Implicit, None, Step::Issue),
        (none, Some(10), Some(&a), false, Implicit, None, Step::Login),
        (none, Some(10_000), Some(&a), false, Implicit, None, Step::Issue),
        (none, Some(10), Some(&a), true, Implicit, None, Step::Issue),
        (none, None, Some(&a), false, Explicit, None, Step::Consent),
        (none, None, Some(&a), false, Explicit, Some("openid"), Step::Consent),
        (none, None, Some(&a), false, Explicit, Some("openid profile email"), Step::Issue),
        (consent, None, Some(&a), false, Explicit, Some("openid profile"), Step::Consent),
        (consent, None, Some(&a), false, Implicit, None, Step::Issue),
    ];
    for (i, (prompt, max_age, auth, fresh, mode, remembered, expected)) in rows.into_iter().enumerate() {
        let req = request(prompt, max_age);
        let facts = Facts {
            request: &req,
            consent_mode: mode,
            auth: auth.map(|a| (a, fresh)),
            remembered_consent: remembered,
            consented_now: false,
            confirm_sso: false,
            now: 2000,
        };
        assert_eq!(next_step(&facts), expected, "row {i}");
    }
}

#[test]
fn na_04_impersonable_clients_confirm_an_earlier_session() {
    let a = auth(1000);
    let req = request(Prompt::default(), None);
    let facts = |fresh: bool, consented_now: bool| Facts {
        request: &req,
        consent_mode: ConsentMode::Implicit,
        auth: Some((&a, fresh)),
        remembered_consent: Some("openid profile"),
        consented_now,
        confirm_sso: true,
        now: 2000,
    };
    assert_eq!(next_step(&facts(false, false)), Step::Consent, "SSO into a native app: confirm first");
    assert_eq!(next_step(&facts(false, true)), Step::Issue, "confirmed in this flow");
    assert_eq!(next_step(&facts(true, false)), Step::Issue, "the person just signed in here");
}
