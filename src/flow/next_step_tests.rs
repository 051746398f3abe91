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
            now: 2000,
        };
        assert_eq!(next_step(&facts), expected, "row {i}");
    }
}
