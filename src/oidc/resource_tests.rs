//! Table tests of the RFC 8707 rules (TK-06).

use super::*;
use crate::store::{AuthMethod, ConsentMode};

const ISS: &str = "https://id.example";
const API: &str = "https://api.example/v1";
const FILES: &str = "https://files.example/";

fn client() -> Client {
    Client {
        id: "diary".into(),
        secret_hash: Some("x".into()),
        auth_method: AuthMethod::ClientSecretBasic,
        redirect_uris: vec!["https://rp.example/cb".into()],
        post_logout_redirect_uris: vec![],
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        scope: "openid".into(),
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
        resources: vec![API.into(), FILES.into()],
        created_at: 0,
        updated_at: 0,
    }
}

fn v(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn tk_06_well_formed_resources() {
    for ok in [API, FILES, "https://api.example", "http://127.0.0.1:9000/api", "http://[::1]/x"] {
        assert!(well_formed(ok), "{ok}");
    }
    for bad in [
        "",
        "/api",
        "api.example",
        "urn:example:api",
        "https://api.example/#f",
        "https://api.example/*",
        "https://user@api.example/",
        "http://api.example/",
        "http://localhost/api",
        "http://127.attacker.example/",
        "javascript:alert(1)",
        "https://api.example/a b",
    ] {
        assert!(!well_formed(bad), "{bad}");
    }
    assert!(validate_registration(&v(&[API, FILES])).is_ok());
    assert!(validate_registration(&v(&[API, API])).is_err());
    assert!(validate_registration(&v(&["https://x.example/#a"])).is_err());
    let many: Vec<String> = (0..=MAX_RESOURCES).map(|i| format!("https://r{i}.example/")).collect();
    assert!(validate_registration(&many).is_err());
}

#[test]
fn tk_06_authorize_permits_registered_and_the_issuer() {
    let c = client();
    assert_eq!(at_authorize(&[], &c, ISS), Ok(vec![]));
    assert_eq!(at_authorize(&[API, ISS, API], &c, ISS), Ok(v(&[API, ISS])));
    assert_eq!(at_authorize(&["https://evil.example/"], &c, ISS), Err(TargetError::NotPermitted));
    assert_eq!(at_authorize(&["https://api.example/v1/"], &c, ISS), Err(TargetError::NotPermitted), "exact only");
    assert_eq!(at_authorize(&["/v1"], &c, ISS), Err(TargetError::Malformed));
    let mut other = client();
    other.resources = vec![];
    assert_eq!(at_authorize(&[API], &other, ISS), Err(TargetError::NotPermitted), "another client's resource");
}

#[test]
fn tk_06_audience_at_the_token_endpoint() {
    let c = client();
    // Nothing asked anywhere: the issuer, nothing granted.
    assert_eq!(at_code_exchange(&[], &[], &c, ISS), Ok(Target { audience: v(&[ISS]), granted: vec![] }));
    // Asked at /authorize: all of them, or some of them; never another one.
    let code = v(&[API, FILES]);
    assert_eq!(at_code_exchange(&[], &code, &c, ISS), Ok(Target { audience: code.clone(), granted: code.clone() }));
    assert_eq!(at_code_exchange(&[FILES], &code, &c, ISS), Ok(Target { audience: v(&[FILES]), granted: code.clone() }));
    assert_eq!(at_code_exchange(&[ISS], &code, &c, ISS), Err(TargetError::NotGranted), "not asked at /authorize");
    // Asked only at /token: each must be permitted, and that is what the grant keeps.
    assert_eq!(at_code_exchange(&[API], &[], &c, ISS), Ok(Target { audience: v(&[API]), granted: v(&[API]) }));
    assert_eq!(at_code_exchange(&["https://evil.example/"], &[], &c, ISS), Err(TargetError::NotPermitted));
}

#[test]
fn tk_06_refresh_narrows_never_widens() {
    let granted = v(&[API, FILES]);
    assert_eq!(at_refresh(&[], &granted, ISS).unwrap().audience, granted);
    assert_eq!(at_refresh(&[API], &granted, ISS).unwrap().audience, v(&[API]));
    assert_eq!(at_refresh(&[API], &granted, ISS).unwrap().granted, granted, "the grant keeps all");
    assert_eq!(at_refresh(&[ISS], &granted, ISS), Err(TargetError::NotGranted));
    assert_eq!(at_refresh(&["https://evil.example/"], &granted, ISS), Err(TargetError::NotGranted));
    // A grant of no resource is a grant for the issuer alone.
    assert_eq!(at_refresh(&[], &[], ISS).unwrap().audience, v(&[ISS]));
    assert_eq!(at_refresh(&[ISS], &[], ISS).unwrap().audience, v(&[ISS]));
    assert_eq!(at_refresh(&[API], &[], ISS), Err(TargetError::NotGranted));
}

#[test]
fn tk_06_client_credentials_audience() {
    let c = client();
    assert_eq!(at_client_credentials(&[], &c, ISS), Ok(v(&[ISS])));
    assert_eq!(at_client_credentials(&[FILES], &c, ISS), Ok(v(&[FILES])));
    assert_eq!(at_client_credentials(&["https://evil.example/"], &c, ISS), Err(TargetError::NotPermitted));
}
