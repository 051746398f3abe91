//! Cookies and signed ids. The browser carries only random ids: the session id,
//! a browser-binding id that flows and CSRF tokens are tied to, and signed flow
//! ids. `__Host-` names with `Secure` when the issuer is https ("where possible":
//! a plain-http loopback issuer in development cannot use them).

use crate::crypto;
use axum::http::{HeaderMap, HeaderValue, header};
use axum_extra::extract::cookie::{Cookie, SameSite};

/// Signs and reads propusk's cookies and ids.
#[derive(Clone)]
pub struct CookieKit {
    https: bool,
    key: [u8; 32],
}

impl std::fmt::Debug for CookieKit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CookieKit").field("https", &self.https).finish_non_exhaustive()
    }
}

impl CookieKit {
    pub fn new(https: bool, key: [u8; 32]) -> Self {
        Self { https, key }
    }

    pub fn session_name(&self) -> &'static str {
        if self.https { "__Host-propusk-session" } else { "propusk_session" }
    }

    pub fn browser_name(&self) -> &'static str {
        if self.https { "__Host-propusk-browser" } else { "propusk_browser" }
    }

    /// Binds an ESIA login in progress to this browser (BR-01): the signed flow id.
    pub fn esia_name(&self) -> &'static str {
        if self.https { "__Host-propusk-esia" } else { "propusk_esia" }
    }

    pub fn set_esia(&self, signed_flow: &str, max_age: i64) -> HeaderValue {
        self.build(self.esia_name(), signed_flow.to_owned(), Some(max_age))
    }

    pub fn clear_esia(&self) -> HeaderValue {
        self.build(self.esia_name(), String::new(), Some(0))
    }

    /// Carries the way back from ESIA's logout (LO-05): a signed id of a stored, single-use record.
    pub fn logout_name(&self) -> &'static str {
        if self.https { "__Host-propusk-logout" } else { "propusk_logout" }
    }

    pub fn set_logout(&self, signed_id: &str, max_age: i64) -> HeaderValue {
        self.build(self.logout_name(), signed_id.to_owned(), Some(max_age))
    }

    pub fn clear_logout(&self) -> HeaderValue {
        self.build(self.logout_name(), String::new(), Some(0))
    }

    fn mac(&self, purpose: &str, value: &str) -> String {
        let tag = crypto::hmac_sha256(&self.key, format!("{purpose}|{value}").as_bytes());
        crypto::b64(&tag[..16])
    }

    /// `value.tag`, where the tag binds the value to a purpose.
    pub fn sign(&self, purpose: &str, value: &str) -> String {
        format!("{value}.{}", self.mac(purpose, value))
    }

    /// The value of a signed id, if the tag is right.
    pub fn unsign(&self, purpose: &str, signed: &str) -> Option<String> {
        let (value, tag) = signed.rsplit_once('.')?;
        crypto::ct_eq(self.mac(purpose, value).as_bytes(), tag.as_bytes()).then(|| value.to_owned())
    }

    /// The CSRF token of a browser: a MAC of its binding id.
    pub fn csrf_token(&self, browser_id: &str) -> String {
        self.mac("csrf", browser_id)
    }

    pub fn csrf_ok(&self, browser_id: &str, token: &str) -> bool {
        crypto::ct_eq(self.csrf_token(browser_id).as_bytes(), token.as_bytes())
    }

    fn build(&self, name: &'static str, value: String, max_age: Option<i64>) -> HeaderValue {
        let mut c = Cookie::build((name, value)).path("/").http_only(true).same_site(SameSite::Lax).secure(self.https);
        if let Some(secs) = max_age {
            c = c.max_age(time::Duration::seconds(secs));
        }
        // Cookie names and base64url values are always valid header text.
        HeaderValue::from_str(&c.build().to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// The session cookie: persistent (`max_age`) with «Остаться в системе», else a browser-session cookie.
    pub fn set_session(&self, id: &str, max_age: Option<i64>) -> HeaderValue {
        self.build(self.session_name(), id.to_owned(), max_age)
    }

    pub fn clear_session(&self) -> HeaderValue {
        self.build(self.session_name(), String::new(), Some(0))
    }

    pub fn set_browser(&self, id: &str) -> HeaderValue {
        self.build(self.browser_name(), id.to_owned(), None)
    }
}

/// A cookie's value from the request headers.
pub fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
}

/// The browser-binding id of this request, creating one (with its Set-Cookie) if absent.
pub fn browser_id(kit: &CookieKit, headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    match read(headers, kit.browser_name()) {
        Some(id) if id.len() == 43 => (id, None),
        _ => {
            let id = crypto::random_token();
            let set = kit.set_browser(&id);
            (id, Some(set))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_ids_round_trip_and_resist_tampering() {
        let kit = CookieKit::new(true, [1; 32]);
        let s = kit.sign("flow", "abc");
        assert_eq!(kit.unsign("flow", &s).as_deref(), Some("abc"));
        assert_eq!(kit.unsign("other", &s), None);
        assert_eq!(kit.unsign("flow", &s.replace("abc", "abd")), None);
        assert_eq!(CookieKit::new(true, [2; 32]).unsign("flow", &s), None);
    }

    #[test]
    fn lo_04_cookie_attributes() {
        let kit = CookieKit::new(true, [1; 32]);
        let c = kit.set_session("id", None).to_str().unwrap().to_owned();
        assert!(c.starts_with("__Host-propusk-session=id"));
        for attr in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
            assert!(c.contains(attr), "{c} lacks {attr}");
        }
        assert!(!c.contains("Max-Age"));
        assert!(kit.set_session("id", Some(60)).to_str().unwrap().contains("Max-Age=60"));
    }

    #[test]
    fn csrf_tokens_are_per_browser() {
        let kit = CookieKit::new(false, [1; 32]);
        let t = kit.csrf_token("browser-a");
        assert!(kit.csrf_ok("browser-a", &t));
        assert!(!kit.csrf_ok("browser-b", &t));
    }
}

#[cfg(test)]
#[path = "cookie_proptests.rs"]
mod proptests;
