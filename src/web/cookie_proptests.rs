//! Properties of cookies and signed ids over arbitrary input: reading a `Cookie`
//! header or a signed id never panics; signed ids round-trip and are bound to their
//! purpose and key; any change to a signed id is refused; the cookies we set read back.

use super::*;
use proptest::prelude::*;

fn kit() -> CookieKit {
    CookieKit::new(true, [7; 32])
}

/// Cookie names and values as browsers send them (RFC 6265 cookie-octets).
fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_.!#$%&'*+^`|~-]{1,24}"
}

proptest! {
    #![proptest_config(crate::proptest_config::config())]

    #[test]
    fn proptest_signed_ids_round_trip_and_bind_purpose_and_key(
        purpose in any::<String>(),
        other in any::<String>(),
        value in any::<String>(),
    ) {
        let signed = kit().sign(&purpose, &value);
        prop_assert_eq!(kit().unsign(&purpose, &signed), Some(value.clone()));
        // Idempotent: the same value signs to the same id.
        prop_assert_eq!(kit().sign(&purpose, &value), signed.clone());
        if other != purpose {
            prop_assert_eq!(kit().unsign(&other, &signed), None);
        }
        prop_assert_eq!(CookieKit::new(true, [8; 32]).unsign(&purpose, &signed), None);
    }

    #[test]
    fn proptest_a_changed_signed_id_is_refused(
        value in "[A-Za-z0-9_-]{0,43}",
        at in any::<prop::sample::Index>(),
        with in any::<char>(),
    ) {
        let signed = kit().sign("flow", &value);
        let chars: Vec<char> = signed.chars().collect();
        let i = at.index(chars.len());
        prop_assume!(chars[i] != with);
        let mut changed = chars.clone();
        changed[i] = with;
        let changed: String = changed.into_iter().collect();
        prop_assert_eq!(kit().unsign("flow", &changed), None, "{} accepted", changed);
        // Cut short or extended, too.
        prop_assert_eq!(kit().unsign("flow", &signed[..signed.len() - 1]), None);
        prop_assert_eq!(kit().unsign("flow", &format!("{signed}{with}")), None);
    }

    #[test]
    fn proptest_arbitrary_cookie_headers_and_ids_never_panic(raw in prop::collection::vec(any::<u8>(), 0..200), s in any::<String>()) {
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_bytes(&raw) {
            headers.insert(header::COOKIE, v);
        }
        for name in ["propusk_session", "__Host-propusk-browser", ""] {
            if let Some(v) = read(&headers, name) {
                prop_assert!(!v.is_empty());
            }
        }
        let (id, set) = browser_id(&kit(), &headers);
        prop_assert_eq!(id.len(), 43);
        prop_assert_eq!(set.is_none(), read(&headers, kit().browser_name()).as_deref() == Some(id.as_str()));
        prop_assert_eq!(kit().unsign("flow", &s).is_some(), kit().sign("flow", s.rsplit_once('.').map_or("", |p| p.0)) == s);
        prop_assert!(!kit().csrf_ok(&s, &s) || kit().csrf_token(&s) == s);
    }

    #[test]
    fn proptest_cookie_header_pairs_read_back(pairs in prop::collection::btree_map(token(), token(), 1..8)) {
        let header_text = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(&header_text).unwrap());
        for (k, v) in &pairs {
            // A name that is also a value elsewhere does not confuse the reader.
            prop_assert_eq!(read(&headers, k), Some(v.clone()));
        }
    }

    #[test]
    fn proptest_cookies_we_set_read_back(id in "[A-Za-z0-9_-]{43}", flow in "[A-Za-z0-9_-]{1,43}", https in any::<bool>()) {
        let kit = CookieKit::new(https, [7; 32]);
        let signed = kit.sign("flow", &flow);
        for (set, name, value) in [
            (kit.set_session(&id, Some(60)), kit.session_name(), id.clone()),
            (kit.set_browser(&id), kit.browser_name(), id.clone()),
            (kit.set_esia(&signed, 600), kit.esia_name(), signed.clone()),
        ] {
            let cookie = Cookie::parse(set.to_str().unwrap().to_owned()).unwrap();
            prop_assert_eq!(cookie.name(), name);
            prop_assert_eq!(cookie.value(), value.as_str());
            prop_assert_eq!(cookie.secure().unwrap_or(false), https);
            let mut headers = HeaderMap::new();
            headers.insert(header::COOKIE, HeaderValue::from_str(&format!("{name}={value}")).unwrap());
            prop_assert_eq!(read(&headers, name), Some(value));
        }
        prop_assert_eq!(kit.unsign("flow", &signed), Some(flow));
    }
}
