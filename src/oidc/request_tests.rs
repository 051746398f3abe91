//! Table tests of the authorization request checks.

use super::*;
use crate::store::{AuthMethod, ConsentMode};

const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const ISSUER: &str = "https://id.example";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn client() -> Client {
    Client {
        id: "diary".into(),
        secret_hash: None,
        auth_method: AuthMethod::None,
        redirect_uris: vec!["https://rp.example/cb".into()],
        post_logout_redirect_uris: vec![],
        grant_types: vec!["authorization_code".into()],
        scope: "openid profile email".into(),
        consent: ConsentMode::Implicit,
        id_token_alg: "RS256".into(),
        access_token_ttl: 600,
        id_token_ttl: 3600,
        refresh_token_ttl: 86400,
        subject_type: "public".into(),
        sector_identifier_uri: None,
        display_name: None,
        previous_secret_hash: None,
        previous_secret_until: None,
        require_pushed_authorization_requests: false,
        dpop_bound_access_tokens: false,
        disabled: false,
        backchannel_logout_uri: None,
        backchannel_logout_session_required: false,
        jwks: None,
        logo_uri: None,
        resources: vec!["https://api.example/".into()],
        created_at: 0,
        updated_at: 0,
    }
}

fn base() -> String {
    format!(
        "client_id=diary&redirect_uri=https%3A%2F%2Frp.example%2Fcb&response_type=code&scope=openid+profile&state=xyz&code_challenge={CHALLENGE}&code_challenge_method=S256"
    )
}

fn check(q: &str) -> Result<AuthRequest, Rejection> {
    validate(&Params::parse(q.as_bytes()), Some(&client()), ISSUER)
}

fn error_of(q: &str) -> ErrorCode {
    match check(q) {
        Err(Rejection::Redirect { code, state, .. }) => {
            assert_eq!(state.as_deref(), Some("xyz"), "state must be echoed");
            code
        }
        other => panic!("expected a redirect error, got {other:?}"),
    }
}

#[test]
fn happy_request() {
    let r = check(&base()).unwrap();
    assert_eq!(r.scope, "openid profile");
    assert_eq!(r.state.as_deref(), Some("xyz"));
}

#[test]
fn az_02_unknown_client_or_bad_redirect_is_a_page() {
    assert!(matches!(validate(&Params::parse(base().as_bytes()), None, ISSUER), Err(Rejection::Page(_))));
    let q = base().replace("rp.example%2Fcb", "evil.example%2Fcb");
    assert!(matches!(check(&q), Err(Rejection::Page(_))));
    let q = base().replace("redirect_uri=https%3A%2F%2Frp.example%2Fcb&", "");
    assert!(matches!(check(&q), Err(Rejection::Page(_))));
}

#[test]
fn az_03_errors_after_validation_go_back() {
    assert_eq!(
        error_of(&base().replace("response_type=code", "response_type=token")),
        ErrorCode::UnsupportedResponseType
    );
    assert_eq!(error_of(&base().replace("response_type=code&", "")), ErrorCode::InvalidRequest);
    assert_eq!(error_of(&base().replace("scope=openid+profile", "scope=profile")), ErrorCode::InvalidScope);
    assert_eq!(error_of(&format!("{}&request=x", base())), ErrorCode::RequestNotSupported);
    assert_eq!(error_of(&format!("{}&request_uri=x", base())), ErrorCode::RequestUriNotSupported);
    assert_eq!(error_of(&format!("{}&max_age=-1", base())), ErrorCode::InvalidRequest);
}

#[test]
fn az_06_unknown_parameters_ignored() {
    assert!(check(&format!("{}&foo=bar&display=page&ui_locales=ru&acr_values=x&login_hint=a", base())).is_ok());
}

#[test]
fn az_07_repeated_parameters_rejected() {
    assert!(matches!(
        check(&format!("{}&redirect_uri=https%3A%2F%2Frp.example%2Fcb", base())),
        Err(Rejection::Page(_))
    ));
    assert!(matches!(client_id(&Params::parse(format!("{}&client_id=x", base()).as_bytes())), Err(Rejection::Page(_))));
    assert_eq!(error_of(&format!("{}&scope=openid", base())), ErrorCode::InvalidRequest);
}

#[test]
fn az_11_prompt_rules() {
    assert_eq!(error_of(&format!("{}&prompt=none+login", base())), ErrorCode::InvalidRequest);
    assert!(check(&format!("{}&prompt=login+consent", base())).unwrap().prompt.login);
    assert!(check(&format!("{}&prompt=none", base())).unwrap().prompt.none);
}

#[test]
fn pk_01_pk_02_pk_03_challenge_rules() {
    let without = base().replace(&format!("&code_challenge={CHALLENGE}"), "");
    assert_eq!(error_of(&without), ErrorCode::InvalidRequest);
    assert_eq!(error_of(&base().replace("S256", "plain")), ErrorCode::InvalidRequest);
    assert_eq!(error_of(&base().replace("&code_challenge_method=S256", "")), ErrorCode::InvalidRequest);
    assert_eq!(error_of(&base().replace(CHALLENGE, "short")), ErrorCode::InvalidRequest);
}

#[test]
fn pk_04_verifier_checks() {
    assert!(pkce_verifies(VERIFIER, CHALLENGE));
    assert!(!pkce_verifies("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx", CHALLENGE));
    assert!(!pkce_verifies("short", CHALLENGE));
    assert!(!pkce_verifies(&"a".repeat(129), CHALLENGE));
}

#[test]
fn scope_is_narrowed_to_allowed() {
    let r = check(&base().replace("scope=openid+profile", "scope=openid+phone+email+unknown")).unwrap();
    assert_eq!(r.scope, "openid email");
}

#[test]
fn tk_06_resource_at_authorize() {
    let api = "resource=https%3A%2F%2Fapi.example%2F";
    let me = "resource=https%3A%2F%2Fid.example";
    assert!(check(&base()).unwrap().resources.is_empty(), "none asked");
    assert_eq!(check(&format!("{}&{api}", base())).unwrap().resources, ["https://api.example/"]);
    assert_eq!(
        check(&format!("{}&{api}&{me}&{api}", base())).unwrap().resources,
        ["https://api.example/", "https://id.example"],
        "repeatable, kept once each, the issuer always permitted"
    );
    for bad in [
        "resource=https%3A%2F%2Fother.example%2F",
        "resource=https%3A%2F%2Fapi.example",
        "resource=https%3A%2F%2Fapi.example%2F%23frag",
        "resource=%2Frelative",
        "resource=urn%3Aapi",
    ] {
        assert_eq!(error_of(&format!("{}&{bad}", base())), ErrorCode::InvalidTarget, "{bad}");
        assert_eq!(ErrorCode::InvalidTarget.as_str(), "invalid_target");
    }
}

#[test]
fn rfc9449_10_dpop_jkt_is_a_thumbprint() {
    let jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
    assert_eq!(check(&base()).unwrap().dpop_jkt, None, "none asked");
    assert_eq!(check(&format!("{}&dpop_jkt={jkt}", base())).unwrap().dpop_jkt.as_deref(), Some(jkt));
    for bad in [
        &jkt[..42],
        &format!("{jkt}A"),
        &format!("{}=", &jkt[..42]),
        &format!("{}%2B", &jkt[..42]),
        &format!("{}%2F", &jkt[..42]),
    ] {
        assert_eq!(error_of(&format!("{}&dpop_jkt={bad}", base())), ErrorCode::InvalidRequest, "{bad:?}");
    }
    assert_eq!(error_of(&format!("{}&dpop_jkt={jkt}&dpop_jkt={jkt}", base())), ErrorCode::InvalidRequest, "repeated");
    assert_eq!(check(&format!("{}&dpop_jkt=", base())).unwrap().dpop_jkt, None, "RFC 6749 §3.1: empty is omitted");
}

#[path = "request_proptests.rs"]
mod proptests;
