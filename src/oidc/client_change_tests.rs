//! Tests of `clients update`: what each change may do to a client, secret rotation with an overlap.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::oidc::client::DEFAULT_SCOPE;

fn tokens() -> TokensConfig {
    crate::config::Config::default().tokens
}

fn confidential() -> (Client, SecretString) {
    let new = NewClient {
        id: "diary".into(),
        redirect_uris: vec!["https://rp.example/cb".into()],
        post_logout_redirect_uris: vec![],
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        scope: DEFAULT_SCOPE.into(),
        consent: ConsentMode::Implicit,
        auth_method: AuthMethod::ClientSecretBasic,
        secret: None,
        id_token_alg: "RS256".into(),
        subject_type: "pairwise".into(),
        sector_identifier_uri: None,
        resources: vec![],
        display_name: None,
        backchannel_logout_uri: None,
        backchannel_logout_session_required: false,
        logo_uri: None,
        jwks: None,
    };
    let (c, s) = build_client(new, &tokens(), 100).unwrap();
    (c, s.unwrap())
}

#[test]
fn post_logout_uris_are_cleared_only_when_asked_and_disabled_is_kept() {
    let (old, _) = confidential();
    let mut with = updated(
        &old,
        ClientChange { post_logout_redirect_uris: vec!["https://rp.example/bye".into()], ..Default::default() },
        &tokens(),
        200,
    )
    .unwrap();
    assert_eq!(updated(&with, ClientChange::default(), &tokens(), 300).unwrap().post_logout_redirect_uris.len(), 1);
    let cleared = ClientChange { clear_post_logout_uris: true, ..Default::default() };
    assert!(updated(&with, cleared, &tokens(), 300).unwrap().post_logout_redirect_uris.is_empty());
    with = updated(&with, ClientChange { disabled: Some(true), ..Default::default() }, &tokens(), 400).unwrap();
    assert!(with.disabled);
    assert!(updated(&with, ClientChange::default(), &tokens(), 500).unwrap().disabled, "kept");
}

#[test]
fn a_logo_is_set_kept_cleared_and_checked() {
    let (old, _) = confidential();
    let logo = Some("https://cdn.example/logo.png".to_owned());
    let set = updated(&old, ClientChange { logo_uri: logo.clone(), ..Default::default() }, &tokens(), 200).unwrap();
    assert_eq!(set.logo_uri, logo);
    assert_eq!(updated(&set, ClientChange::default(), &tokens(), 300).unwrap().logo_uri, logo, "kept");
    let cleared = ClientChange { logo_uri: Some(String::new()), ..Default::default() };
    assert_eq!(updated(&set, cleared, &tokens(), 300).unwrap().logo_uri, None);
    for bad in ["javascript:alert(1)", "http://cdn.example/logo.png", "https://cdn.example/\"x"] {
        let change = ClientChange { logo_uri: Some(bad.into()), ..Default::default() };
        assert_eq!(updated(&set, change, &tokens(), 300).unwrap_err().field, "--logo-uri", "{bad}");
    }
}

#[test]
fn require_par_is_set_cleared_and_kept() {
    let (old, _) = confidential();
    assert!(!old.require_pushed_authorization_requests);
    let on = updated(&old, ClientChange { require_par: Some(true), ..Default::default() }, &tokens(), 200).unwrap();
    assert!(on.require_pushed_authorization_requests);
    let kept = updated(&on, ClientChange::default(), &tokens(), 300).unwrap();
    assert!(kept.require_pushed_authorization_requests, "not named: kept");
    let off = updated(&on, ClientChange { require_par: Some(false), ..Default::default() }, &tokens(), 300).unwrap();
    assert!(!off.require_pushed_authorization_requests);
}

#[test]
fn require_dpop_is_set_cleared_and_kept() {
    let (old, _) = confidential();
    assert!(!old.dpop_bound_access_tokens);
    let on = updated(&old, ClientChange { require_dpop: Some(true), ..Default::default() }, &tokens(), 200).unwrap();
    assert!(on.dpop_bound_access_tokens);
    assert!(updated(&on, ClientChange::default(), &tokens(), 300).unwrap().dpop_bound_access_tokens, "kept");
    let off = updated(&on, ClientChange { require_dpop: Some(false), ..Default::default() }, &tokens(), 300).unwrap();
    assert!(!off.dpop_bound_access_tokens);
}

#[test]
fn an_update_keeps_what_it_does_not_name_and_validates_what_it_does() {
    let (old, _) = confidential();
    let change = ClientChange {
        display_name: Some("Электронный дневник".into()),
        redirect_uris: vec!["https://rp.example/cb2".into()],
        access_token_ttl: Some(300),
        ..ClientChange::default()
    };
    let new = updated(&old, change, &tokens(), 200).unwrap();
    assert_eq!(new.display_name.as_deref(), Some("Электронный дневник"));
    assert_eq!(new.redirect_uris, ["https://rp.example/cb2"]);
    assert_eq!((new.access_token_ttl, new.id_token_ttl), (300, old.id_token_ttl));
    assert_eq!(
        (new.secret_hash, new.subject_type, new.created_at, new.updated_at),
        (old.secret_hash.clone(), old.subject_type.clone(), 100, 200)
    );

    let refused: [(ClientChange, &str); 5] = [
        (ClientChange { redirect_uris: vec!["javascript:alert(1)".into()], ..Default::default() }, "--redirect-uri"),
        (ClientChange { grant_types: vec!["password".into()], ..Default::default() }, "--grant-type"),
        (ClientChange { id_token_alg: Some("none".into()), ..Default::default() }, "--id-token-alg"),
        (ClientChange { access_token_ttl: Some(0), ..Default::default() }, "--access-token-ttl"),
        (ClientChange { display_name: Some("a\u{7}b".into()), ..Default::default() }, "--display-name"),
    ];
    for (change, field) in refused {
        assert_eq!(updated(&old, change, &tokens(), 200).unwrap_err().field, field);
    }
}

#[test]
fn a_rotated_secret_leaves_the_old_one_valid_until_the_chosen_time_only() {
    let (old, old_secret) = confidential();
    let (new, secret) = rotated(&old, 1000, Some(1600)).unwrap();
    assert!(crate::oidc::client::verify_secret(new.secret_hash.as_deref().unwrap(), secret.expose()));
    assert!(previous_secret_accepted(&new, old_secret.expose(), 1599));
    assert!(!previous_secret_accepted(&new, old_secret.expose(), 1600), "not at the chosen time");
    assert!(!previous_secret_accepted(&new, secret.expose(), 1000), "the previous slot holds only the old one");
    let (at_once, _) = rotated(&old, 1000, None).unwrap();
    assert!(!previous_secret_accepted(&at_once, old_secret.expose(), 1000), "no overlap asked: none");
    let (past, _) = rotated(&old, 1000, Some(900)).unwrap();
    assert_eq!(past.previous_secret_hash, None);
    assert_eq!(rotated(&old, 1000, Some(1000 + 31 * 86_400)).unwrap_err().field, "--old-valid-until");
    let (twice, _) = rotated(&new, 1100, Some(1200)).unwrap();
    assert!(!previous_secret_accepted(&twice, old_secret.expose(), 1150), "a second rotation drops the first secret");
}
