//! Tests of client authentication: the method a request presents, one at a time (TK-02).
#![allow(clippy::unwrap_used)]

use super::*;
use axum::http::HeaderValue;

fn basic(id: &str, secret: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    let enc = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
    h.insert(header::AUTHORIZATION, HeaderValue::from_str(&format!("Basic {enc}")).unwrap());
    h
}

#[test]
fn tk_02_basic_is_form_url_decoded() {
    let p = presented(&basic("my%20app", "a%2Bb%3Ac"), &Params::default()).unwrap();
    assert_eq!(p.id, "my app");
    assert_eq!(p.secret.as_deref(), Some("a+b:c"));
    assert_eq!(p.method, AuthMethod::ClientSecretBasic);
}

#[test]
fn tk_02_two_methods_rejected() {
    let form = Params::parse(b"client_id=app&client_secret=x");
    assert!(presented(&basic("app", "x"), &form).is_err());
}

#[test]
fn post_and_none_methods() {
    let p = presented(&HeaderMap::new(), &Params::parse(b"client_id=app&client_secret=x")).unwrap();
    assert_eq!(p.method, AuthMethod::ClientSecretPost);
    let p = presented(&HeaderMap::new(), &Params::parse(b"client_id=app")).unwrap();
    assert_eq!(p.method, AuthMethod::None);
    assert!(presented(&HeaderMap::new(), &Params::default()).is_err());
}

const TYPE: &str = "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer";

#[test]
fn tk_02_an_assertion_with_a_secret_is_two_methods() {
    let with_post = format!("{TYPE}&client_assertion=a.b.c&client_id=app&client_secret=x");
    let e = presented(&HeaderMap::new(), &Params::parse(with_post.as_bytes())).unwrap_err();
    assert_eq!(e.code.as_str(), "invalid_request");
    let alone = format!("{TYPE}&client_assertion=a.b.c&client_id=app");
    let e = presented(&basic("app", "x"), &Params::parse(alone.as_bytes())).unwrap_err();
    assert_eq!(e.code.as_str(), "invalid_request");
    let p = presented(&HeaderMap::new(), &Params::parse(alone.as_bytes())).unwrap();
    assert_eq!((p.method, p.id.as_str(), p.assertion.as_deref()), (AuthMethod::PrivateKeyJwt, "app", Some("a.b.c")));
}

#[test]
fn rfc_7521_4_2_assertion_type_and_assertion_go_together() {
    for body in [TYPE.to_owned(), "client_assertion=a.b.c&client_id=app".to_owned()] {
        assert_eq!(
            presented(&HeaderMap::new(), &Params::parse(body.as_bytes())).unwrap_err().code.as_str(),
            "invalid_request"
        );
    }
    let saml = "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Asaml2-bearer\
                &client_assertion=x&client_id=app";
    assert_eq!(
        presented(&HeaderMap::new(), &Params::parse(saml.as_bytes())).unwrap_err().code.as_str(),
        "invalid_client"
    );
    let twice = format!("{TYPE}&client_assertion=a.b.c&client_assertion=d.e.f");
    assert_eq!(
        presented(&HeaderMap::new(), &Params::parse(twice.as_bytes())).unwrap_err().code.as_str(),
        "invalid_request"
    );
}
