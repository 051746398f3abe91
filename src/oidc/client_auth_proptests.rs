//! Properties of client authentication input (the token form, with or without a
//! client assertion, and `Authorization: Basic`): any header and body give credentials
//! or a 400/401, never a panic or a 5xx; Basic credentials round-trip through RFC 6749
//! §2.3.1's form-url-encoding.

use super::*;
use axum::http::HeaderValue;
use axum::response::IntoResponse as _;
use proptest::prelude::*;

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn basic_header(raw: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    let enc = base64::engine::general_purpose::STANDARD.encode(raw);
    h.insert(header::AUTHORIZATION, HeaderValue::from_str(&format!("Basic {enc}")).unwrap());
    h
}

/// An `Authorization` value: Basic with arbitrary decoded text, or arbitrary visible bytes.
fn authorization() -> impl Strategy<Value = Option<Vec<u8>>> {
    let basic = (prop::sample::select(vec!["Basic", "basic", "BASIC", "Bearer", ""]), any::<String>()).prop_map(
        |(scheme, raw)| format!("{scheme} {}", base64::engine::general_purpose::STANDARD.encode(raw)).into_bytes(),
    );
    prop_oneof![1 => Just(None), 2 => basic.prop_map(Some), 1 => prop::collection::vec(0x20u8..0x7f, 0..80).prop_map(Some)]
}

/// A token-endpoint form body: the credential names with arbitrary values, or raw bytes.
fn form() -> impl Strategy<Value = Vec<u8>> {
    let name = prop::sample::select(vec![
        "client_id",
        "client_secret",
        "client_assertion",
        "client_assertion_type",
        "grant_type",
        "code",
        "x",
    ]);
    let pairs = prop::collection::vec((name, any::<String>()), 0..6).prop_map(|pairs| {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            s.append_pair(k, &v);
        }
        s.finish().into_bytes()
    });
    prop_oneof![3 => pairs, 1 => prop::collection::vec(any::<u8>(), 0..200)]
}

proptest! {
    #![proptest_config(crate::proptest_config::config())]

    #[test]
    fn proptest_basic_credentials_round_trip_with_percent_encoding(id in any::<String>(), secret in any::<String>()) {
        let p = presented(&basic_header(&format!("{}:{}", urlencode(&id), urlencode(&secret))), &Params::default())
            .unwrap();
        prop_assert_eq!(p.id, id);
        prop_assert_eq!(p.secret, Some(secret));
        prop_assert_eq!(p.method, AuthMethod::ClientSecretBasic);
    }

    #[test]
    fn proptest_basic_credentials_without_special_characters_need_no_encoding(
        id in "[A-Za-z0-9._~-]{1,40}",
        secret in "[A-Za-z0-9._~:-]{0,60}",
    ) {
        let p = presented(&basic_header(&format!("{id}:{secret}")), &Params::default()).unwrap();
        prop_assert_eq!(p.id, id);
        prop_assert_eq!(p.secret, Some(secret));
    }

    #[test]
    fn proptest_client_credentials_from_any_input_are_a_typed_4xx(auth in authorization(), body in form()) {
        let mut headers = HeaderMap::new();
        if let Some(value) = auth.and_then(|v| HeaderValue::from_bytes(&v).ok()) {
            headers.insert(header::AUTHORIZATION, value);
        }
        let form = Params::parse(&body);
        match presented(&headers, &form) {
            Ok(p) => {
                // Exactly one method, the one the request used (TK-02).
                let basic = headers.contains_key(header::AUTHORIZATION);
                prop_assert_eq!(p.method == AuthMethod::ClientSecretBasic, basic);
                prop_assert!(!(basic && form.get("client_secret").is_some()));
                prop_assert_eq!(p.secret.is_none(), matches!(p.method, AuthMethod::None | AuthMethod::PrivateKeyJwt));
                // An assertion exactly for private_key_jwt, and never with a secret.
                prop_assert_eq!(p.assertion.is_some(), p.method == AuthMethod::PrivateKeyJwt);
            }
            Err(e) => {
                let status = e.into_response().status().as_u16();
                prop_assert!(status == 400 || status == 401, "status {}", status);
            }
        }
    }
}
