//! Properties of the authorization request over arbitrary input: parsing and checking
//! never panic; parameters round-trip through form encoding; a refusal goes back by
//! redirect only to a registered redirect URI (invariant 4); a validated request is a
//! fixed point (re-sent as it was granted, it validates to itself).

use super::*;
use proptest::prelude::*;

const NAMES: &[&str] = &[
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "max_age",
    "login_hint",
    "request",
    "request_uri",
    "response_mode",
];

fn encode(pairs: &[(String, String)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

fn base_pairs() -> Vec<(String, String)> {
    url::form_urlencoded::parse(base().as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// Values that reach the deeper checks, and arbitrary ones.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "code",
            "token",
            "S256",
            "plain",
            CHALLENGE,
            "https://rp.example/cb",
            "https://rp.example/cb/",
            "http://127.0.0.1:5000/cb",
            "openid",
            "openid profile email phone",
            "profile",
            "none",
            "login consent",
            "none login",
            "select_account",
            "0",
            "-1",
            "99999999999999999999",
            "query",
            "fragment",
            "diary",
            "",
        ])
        .prop_map(str::to_owned),
        any::<String>(),
        "[ -~]{0,60}",
    ]
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![4 => prop::sample::select(NAMES).prop_map(str::to_owned), 1 => "[a-z_]{1,12}"]
}

/// The valid request with up to four edits: a parameter dropped, replaced or added again.
fn edited() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((0..3u8, name(), value()), 0..5).prop_map(|edits| {
        let mut pairs = base_pairs();
        for (op, name, v) in edits {
            match op {
                0 => pairs.retain(|(k, _)| *k != name),
                1 => match pairs.iter_mut().find(|(k, _)| *k == name) {
                    Some(pair) => pair.1 = v,
                    None => pairs.push((name, v)),
                },
                _ => pairs.push((name, v)),
            }
        }
        pairs
    })
}

/// A query string: the edited valid request, pairs from scratch, or raw bytes.
fn query() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => edited().prop_map(|p| encode(&p).into_bytes()),
        1 => prop::collection::vec((name(), value()), 0..12).prop_map(|p| encode(&p).into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..300),
    ]
}

/// The query a relying party would send to get exactly `req` again.
fn resend(req: &AuthRequest) -> String {
    let mut pairs = vec![
        ("client_id", req.client_id.clone()),
        ("redirect_uri", req.redirect_uri.clone()),
        ("response_type", "code".to_owned()),
        ("scope", req.scope.clone()),
        ("code_challenge", req.code_challenge.clone()),
        ("code_challenge_method", "S256".to_owned()),
    ];
    let p = req.prompt;
    let prompt: Vec<&str> =
        [(p.none, "none"), (p.login, "login"), (p.consent, "consent"), (p.select_account, "select_account")]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, v)| *v)
            .collect();
    pairs.push(("prompt", prompt.join(" ")));
    for (k, v) in [("state", &req.state), ("nonce", &req.nonce), ("login_hint", &req.login_hint)] {
        if let Some(v) = v {
            pairs.push((k, v.clone()));
        }
    }
    if let Some(age) = req.max_age {
        pairs.push(("max_age", age.to_string()));
    }
    for resource in &req.resources {
        pairs.push(("resource", resource.clone()));
    }
    encode(&pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect::<Vec<_>>())
}

/// The issuer the requests are validated for (always a permitted resource).
const ISSUER: &str = "https://id.example";

proptest! {
    #![proptest_config(crate::proptest_config::config())]

    #[test]
    fn proptest_authorize_refusals_redirect_only_to_registered_uris(q in query()) {
        let params = Params::parse(&q);
        let _ = client_id(&params);
        let c = client();
        prop_assert!(matches!(validate(&params, None, ISSUER), Err(Rejection::Page(_))), "unknown client: a page");
        match validate(&params, Some(&c), ISSUER) {
            Ok(req) => {
                prop_assert!(redirect::matches(&c.redirect_uris, &req.redirect_uri, c.auth_method == AuthMethod::None));
                prop_assert!(req.scope.split(' ').any(|s| s == "openid"));
                prop_assert!(req.scope.split(' ').all(|s| SUPPORTED_SCOPES.contains(&s) && c.scope.split(' ').any(|a| a == s)));
                prop_assert_eq!(req.code_challenge.len(), 43);
                prop_assert!(req.max_age.is_none_or(|a| a >= 0));
                // Idempotence: the granted request, sent again, is itself.
                let again = validate(&Params::parse(resend(&req).as_bytes()), Some(&c), ISSUER);
                prop_assert_eq!(again, Ok(req));
            }
            Err(Rejection::Redirect { redirect_uri, state, .. }) => {
                prop_assert!(redirect::matches(&c.redirect_uris, &redirect_uri, c.auth_method == AuthMethod::None), "redirect to {}", redirect_uri);
                prop_assert_eq!(redirect_uri.as_str(), params.get("redirect_uri").unwrap_or_default());
                if params.is_repeated("state") {
                    prop_assert_eq!(state, None);
                } else {
                    prop_assert_eq!(state.as_deref(), params.get("state"));
                }
            }
            Err(Rejection::Page(message)) => prop_assert!(!message.is_empty()),
        }
    }

    #[test]
    fn proptest_params_round_trip_through_form_encoding(
        pairs in prop::collection::btree_map(any::<String>(), any::<String>(), 0..10),
        dup in any::<prop::sample::Index>(),
    ) {
        let list: Vec<(String, String)> = pairs.clone().into_iter().collect();
        let encoded = encode(&list);
        let p = Params::parse(encoded.as_bytes());
        prop_assert_eq!(p.first_repeated(), None);
        for (k, v) in &pairs {
            prop_assert_eq!(p.get(k), Some(v.as_str()).filter(|v| !v.is_empty()));
        }
        if !list.is_empty() {
            // AZ-07: any name sent twice is seen as repeated, whatever its values.
            let (k, _) = &list[dup.index(list.len())];
            let twice = format!("{encoded}&{}", encode(&[(k.clone(), "other".to_owned())]));
            prop_assert!(Params::parse(twice.as_bytes()).is_repeated(k));
        }
    }

    #[test]
    fn proptest_pkce_verifier_matches_only_its_own_challenge(
        verifier in "[A-Za-z0-9._~-]{43,128}",
        other in any::<String>(),
    ) {
        let challenge = crate::crypto::b64(&crate::crypto::sha256(verifier.as_bytes()));
        prop_assert!(pkce_verifies(&verifier, &challenge));
        prop_assert_eq!(pkce_verifies(&other, &challenge), other == verifier);
        prop_assert!(!pkce_verifies(&verifier, &other) || other == challenge);
    }
}
