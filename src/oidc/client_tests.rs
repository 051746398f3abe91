//! Table tests of the client registration rules, secrets and the client JSON.

use super::*;

fn new(id: &str) -> NewClient {
    NewClient {
        id: id.into(),
        redirect_uris: vec!["https://rp.example/cb".into()],
        post_logout_redirect_uris: vec![],
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        scope: DEFAULT_SCOPE.into(),
        consent: ConsentMode::Implicit,
        auth_method: AuthMethod::ClientSecretBasic,
        secret: None,
        id_token_alg: "RS256".into(),
        subject_type: "public".into(),
        sector_identifier_uri: None,
        display_name: None,
        resources: vec![],
        backchannel_logout_uri: None,
        backchannel_logout_session_required: false,
        jwks: None,
        logo_uri: None,
    }
}

#[test]
fn secret_round_trip() {
    let s = SecretString::new("s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t");
    let h = hash_secret(&s);
    assert!(verify_secret(&h, s.expose()));
    assert!(!verify_secret(&h, "wrong"));
    assert!(!verify_secret("garbage", s.expose()));
}

#[test]
fn tk_05_uuid_client_id_refused() {
    let tokens = crate::config::TokensConfig::default();
    assert!(build_client(new("0191f3a2-1111-7000-8000-000000000000"), &tokens, 0).is_err());
    assert!(build_client(new("diary"), &tokens, 0).is_ok());
}

#[test]
fn confidential_clients_get_a_secret() {
    let tokens = crate::config::TokensConfig::default();
    let (c, s) = build_client(new("diary"), &tokens, 0).unwrap();
    assert!(s.is_some() && c.secret_hash.is_some());
    let mut public = new("app");
    public.auth_method = AuthMethod::None;
    let (c, s) = build_client(public, &tokens, 0).unwrap();
    assert!(s.is_none() && c.secret_hash.is_none());
}

#[test]
fn az_13_bad_redirects_refused() {
    let tokens = crate::config::TokensConfig::default();
    let mut c = new("diary");
    c.redirect_uris = vec!["JavaScript:alert(1)".into()];
    assert!(build_client(c, &tokens, 0).is_err());
}

#[test]
fn az_13_loopback_means_an_ip_literal() {
    let tokens = crate::config::TokensConfig::default();
    for bad in ["http://127.attacker.example/cb", "http://localhost/cb", "http://127.1/cb"] {
        let mut c = new("native");
        c.auth_method = AuthMethod::None;
        c.redirect_uris = vec![bad.into()];
        assert!(build_client(c, &tokens, 0).is_err(), "{bad}");
    }
    let mut ok = new("native");
    ok.auth_method = AuthMethod::None;
    ok.redirect_uris = vec!["http://127.0.0.1/cb".into(), "http://[::1]/cb".into(), "ru.example.app:/cb".into()];
    assert!(build_client(ok, &tokens, 0).is_ok());
    // Post-logout redirect URIs follow the same rules.
    let mut c = new("diary");
    c.post_logout_redirect_uris = vec!["http://127.attacker.example/out".into()];
    assert!(build_client(c, &tokens, 0).is_err());
}

#[test]
fn az_13_private_use_schemes_are_for_native_clients() {
    let tokens = crate::config::TokensConfig::default();
    let mut c = new("diary");
    c.redirect_uris = vec!["ru.example.diary:/cb".into()];
    assert!(build_client(c, &tokens, 0).is_err(), "a confidential client");
}

#[test]
fn it_04_pairwise_registration_rules() {
    let tokens = crate::config::TokensConfig::default();
    let pairwise = |uris: &[&str], sector: Option<&str>| {
        let mut c = new("diary");
        c.subject_type = "pairwise".into();
        c.redirect_uris = uris.iter().map(|u| u.to_string()).collect();
        c.sector_identifier_uri = sector.map(str::to_owned);
        build_client(c, &tokens, 0)
    };
    assert!(pairwise(&["https://a.example/cb", "https://a.example/other"], None).is_ok(), "one host");
    let spread = pairwise(&["https://a.example/cb", "https://b.example/cb"], None);
    assert_eq!(spread.unwrap_err().field, "--sector-identifier-uri", "several hosts need a sector");
    let (c, _) =
        pairwise(&["https://a.example/cb", "https://b.example/cb"], Some("https://example.ru/s.json")).unwrap();
    assert_eq!(
        (c.subject_type.as_str(), c.sector_identifier_uri.as_deref()),
        ("pairwise", Some("https://example.ru/s.json"))
    );
    for bad in ["http://example.ru/s.json", "https://example.ru/s.json#x", "example.ru", "https://u@example.ru/"] {
        assert!(pairwise(&["https://a.example/cb"], Some(bad)).is_err(), "{bad}");
    }
    let mut public_with_sector = new("diary");
    public_with_sector.sector_identifier_uri = Some("https://example.ru/s.json".into());
    assert!(build_client(public_with_sector, &tokens, 0).is_err());
    let mut odd = new("diary");
    odd.subject_type = "Pairwise".into();
    assert!(build_client(odd, &tokens, 0).is_err());
}

#[test]
fn tk_06_resources_are_registered_well_formed() {
    let tokens = crate::config::TokensConfig::default();
    let mut c = new("diary");
    c.resources = vec!["https://api.example/".into()];
    let (client, _) = build_client(c, &tokens, 0).unwrap();
    assert_eq!(client_json(&client, None)["resources"], serde_json::json!(["https://api.example/"]));
    let mut bad = new("diary");
    bad.resources = vec!["https://api.example/#x".into()];
    assert_eq!(build_client(bad, &tokens, 0).unwrap_err().field, "--resource");
}

fn ec_jwks() -> String {
    use josekit::jwk::KeyPair as _;
    let public: serde_json::Map<String, serde_json::Value> =
        josekit::jws::ES256.generate_key_pair().unwrap().to_jwk_public_key().into();
    serde_json::json!({ "keys": [public] }).to_string()
}

#[test]
fn rfc_7523_2_2_a_private_key_jwt_client_has_keys_and_no_secret() {
    let tokens = crate::config::TokensConfig::default();
    let keys = ec_jwks();
    let by_key = NewClient { auth_method: AuthMethod::PrivateKeyJwt, jwks: Some(keys.clone()), ..new("diary") };
    let (c, s) = build_client(by_key.clone(), &tokens, 0).unwrap();
    assert!(s.is_none() && c.secret_hash.is_none(), "no secret is made");
    assert!(c.jwks.is_some());
    assert_eq!(client_json(&c, None)["jwks"]["keys"][0]["kty"], "EC");
    let no_keys = NewClient { jwks: None, ..by_key.clone() };
    assert_eq!(build_client(no_keys, &tokens, 0).unwrap_err().field, "--jwks-file");
    let with_secret = NewClient { secret: Some(SecretString::new("x".repeat(40))), ..by_key };
    assert_eq!(build_client(with_secret, &tokens, 0).unwrap_err().field, "--secret");
    let keys_on_a_secret_client = NewClient { jwks: Some(keys), ..new("diary") };
    assert_eq!(build_client(keys_on_a_secret_client, &tokens, 0).unwrap_err().field, "--jwks-file");
}

#[test]
fn a_secret_client_may_move_to_its_keys_and_never_back() {
    use crate::oidc::client_change::{ClientChange, rotated, updated};
    let tokens = crate::config::TokensConfig::default();
    let (secret_client, _) = build_client(new("diary"), &tokens, 0).unwrap();
    let to_keys = ClientChange { auth_method: Some(AuthMethod::PrivateKeyJwt), ..ClientChange::default() };
    assert_eq!(updated(&secret_client, to_keys.clone(), &tokens, 1).unwrap_err().field, "--jwks-file");
    let to_keys = ClientChange { jwks: Some(ec_jwks()), ..to_keys };
    let by_key = updated(&secret_client, to_keys, &tokens, 1).unwrap();
    assert_eq!((by_key.auth_method, by_key.secret_hash.as_deref()), (AuthMethod::PrivateKeyJwt, None));
    assert!(rotated(&by_key, 2, None).is_err(), "no secret to rotate");
    let back = ClientChange { auth_method: Some(AuthMethod::ClientSecretBasic), ..ClientChange::default() };
    assert_eq!(updated(&by_key, back, &tokens, 2).unwrap_err().field, "--auth-method");
    let new_keys = ec_jwks();
    let replaced =
        updated(&by_key, ClientChange { jwks: Some(new_keys), ..ClientChange::default() }, &tokens, 3).unwrap();
    assert_ne!(replaced.jwks, by_key.jwks, "the keys are replaced");
    assert_eq!(updated(&replaced, ClientChange::default(), &tokens, 4).unwrap().jwks, replaced.jwks, "kept");
    let private = r#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#.to_owned();
    let refused = updated(&by_key, ClientChange { jwks: Some(private), ..ClientChange::default() }, &tokens, 5);
    assert_eq!(refused.unwrap_err().field, "--jwks-file");
    let mut public = new("app");
    public.auth_method = AuthMethod::None;
    let (public, _) = build_client(public, &tokens, 0).unwrap();
    let keys =
        ClientChange { auth_method: Some(AuthMethod::PrivateKeyJwt), jwks: Some(ec_jwks()), ..ClientChange::default() };
    assert_eq!(updated(&public, keys, &tokens, 1).unwrap_err().field, "--auth-method");
}
