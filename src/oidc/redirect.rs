//! Redirect URI rules (pure): exact matching at request time (AZ-01) with the
//! RFC 8252 loopback-port exception for native clients (AZ-10), and what may be
//! registered (AZ-13).

use std::net::{IpAddr, Ipv6Addr};
use url::{Host, Url};

/// Whether `given` may be used as the redirect URI of a client that registered
/// `registered`. Exact string comparison. Only for a native (public) client —
/// `native`: `token_endpoint_auth_method=none` — a registered
/// `http://127.0.0.1[:port]/…` or `http://[::1][:port]/…` URI accepts any port,
/// everything else still matching exactly (RFC 8252 §7.3); a confidential client's
/// loopback URI matches exactly like any other. `localhost` gets no exception
/// (RFC 8252 §8.3).
pub fn matches(registered: &[String], given: &str, native: bool) -> bool {
    registered.iter().any(|r| r == given || (native && loopback_port_variant(r, given)))
}

fn loopback_port_variant(registered: &str, given: &str) -> bool {
    let (Some(r), Some(g)) = (split_loopback(registered), split_loopback(given)) else {
        return false;
    };
    r.0 == g.0 && r.1 == g.1
}

/// For `http://127.0.0.1:PORT/rest` or `http://[::1]:PORT/rest` returns (host, rest);
/// anything else (other schemes, hosts, userinfo, upper case) returns None.
fn split_loopback(uri: &str) -> Option<(&'static str, &str)> {
    for host in ["127.0.0.1", "[::1]"] {
        let prefix = if host == "127.0.0.1" { "http://127.0.0.1" } else { "http://[::1]" };
        if let Some(after) = uri.strip_prefix(prefix) {
            let after_port = match after.strip_prefix(':') {
                Some(p) => {
                    let digits = p.bytes().take_while(u8::is_ascii_digit).count();
                    if digits == 0 || digits > 5 {
                        return None;
                    }
                    &p[digits..]
                }
                None => after,
            };
            if after_port.is_empty() || after_port.starts_with('/') || after_port.starts_with('?') {
                return Some((host, after_port));
            }
        }
    }
    None
}

/// Why a redirect URI cannot be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistrationError {
    #[error("`{0}` is not an absolute URI")]
    NotAbsolute(String),
    #[error("`{0}` has a fragment")]
    Fragment(String),
    #[error("`{0}` uses a forbidden scheme")]
    ForbiddenScheme(String),
    #[error("`{0}` must use https (http only on a loopback IP literal: 127.0.0.0/8 or [::1])")]
    NotHttps(String),
    #[error("`{0}` contains a wildcard")]
    Wildcard(String),
    #[error("`{0}` carries a user name or password")]
    UserInfo(String),
}

/// NA-04 (RFC 8252 §8.6): whether another app could receive codes sent to this
/// redirect — a loopback or private-use-scheme URI of a public client. A claimed
/// `https` URI, or a page on the issuer's own origin (the demo RP), is not.
pub fn can_be_impersonated(redirect_uri: &str, issuer: &str) -> bool {
    let own_origin = redirect_uri.strip_prefix(issuer).is_some_and(|rest| rest.starts_with('/'));
    !redirect_uri.starts_with("https://") && !own_origin
}

/// Whether `url`'s host is a loopback IP literal — an IPv4 address in 127.0.0.0/8 or
/// exactly `[::1]` — written the way the URL standard writes it (so `127.1` or
/// `0x7f.1` are not taken for `127.0.0.1`). Names never are, however they begin
/// (`127.attacker.example`, `localhost`).
fn loopback_literal(uri: &str, url: &Url) -> bool {
    let loopback = match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => ip == Ipv6Addr::LOCALHOST,
        _ => false,
    };
    let canonical = url
        .host_str()
        .is_some_and(|h| uri.get(..7).is_some_and(|s| s.eq_ignore_ascii_case("http://")) && uri[7..].starts_with(h));
    loopback && canonical
}

/// AZ-13: no fragment, no wildcard, no user name or password, never
/// `javascript:`/`data:`/`file:` in any case; `https`, or `http` on a loopback IP
/// literal, or a private-use scheme of a native app (reverse-DNS form with a dot,
/// RFC 8252 §7.1).
pub fn validate_registration(uri: &str) -> Result<(), RegistrationError> {
    let owned = || uri.to_owned();
    if uri.contains('*') {
        return Err(RegistrationError::Wildcard(owned()));
    }
    let url = Url::parse(uri).map_err(|_| RegistrationError::NotAbsolute(owned()))?;
    if url.fragment().is_some() || uri.contains('#') {
        return Err(RegistrationError::Fragment(owned()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(RegistrationError::UserInfo(owned()));
    }
    let scheme = url.scheme().to_ascii_lowercase();
    match scheme.as_str() {
        "javascript" | "data" | "file" | "vbscript" | "blob" | "about" => {
            Err(RegistrationError::ForbiddenScheme(owned()))
        }
        "https" => Ok(()),
        "http" if loopback_literal(uri, &url) => Ok(()),
        "http" => Err(RegistrationError::NotHttps(owned())),
        s if s.contains('.') => Ok(()),
        _ => Err(RegistrationError::ForbiddenScheme(owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn na_04_which_redirects_can_be_impersonated() {
        let issuer = "https://id.example";
        for (uri, impersonable) in [
            ("https://rp.example/cb", false),
            ("https://id.example/demo/callback", false),
            ("http://127.0.0.1:8765/cb", true),
            ("http://[::1]/cb", true),
            ("ru.example.diary:/oauth2redirect", true),
            ("https://id.example.evil/cb", false),
        ] {
            assert_eq!(can_be_impersonated(uri, issuer), impersonable, "{uri}");
        }
        assert!(!can_be_impersonated("http://127.0.0.1:8080/demo/callback", "http://127.0.0.1:8080"), "own origin");
        assert!(can_be_impersonated("http://127.0.0.1:8080.evil/cb", "http://127.0.0.1:8080"));
    }

    fn reg(uris: &[&str]) -> Vec<String> {
        uris.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn az_01_exact_match_only() {
        let r = reg(&["https://rp.example/cb"]);
        for native in [false, true] {
            assert!(matches(&r, "https://rp.example/cb", native));
        }
        for bad in [
            "https://rp.example/cb/",
            "https://rp.example/cb?x=1",
            "https://rp.example/cb#f",
            "HTTPS://rp.example/cb",
            "https://RP.example/cb",
            "https://rp.example/%2e%2e/cb",
            "https://rp.example/cb/..;/",
            "https://rp.example@evil.example/cb",
            "https://good@rp.example/cb",
            "https://rp.example:8443/cb",
            "http://rp.example/cb",
            "https://xn--rp-example/cb",
            "https://rp.example/CB",
            "",
        ] {
            assert!(!matches(&r, bad, true) && !matches(&r, bad, false), "{bad} must not match");
        }
    }

    #[test]
    fn az_10_loopback_any_port_same_rest() {
        let r = reg(&["http://127.0.0.1/cb", "http://[::1]:8000/native"]);
        assert!(matches(&r, "http://127.0.0.1:53124/cb", true));
        assert!(matches(&r, "http://127.0.0.1/cb", true));
        assert!(matches(&r, "http://[::1]:1/native", true));
        for bad in [
            "http://127.0.0.1:53124/cb?x=1",
            "http://127.0.0.1:53124/cb/",
            "http://127.0.0.1:53124/other",
            "http://localhost:53124/cb",
            "https://127.0.0.1:53124/cb",
            "http://127.0.0.1:abc/cb",
            "http://127.0.0.1.evil.example/cb",
            "http://127.0.0.1@evil.example/cb",
            "http://127.0.0.2:53124/cb",
        ] {
            assert!(!matches(&r, bad, true), "{bad}");
        }
        let localhost = reg(&["http://localhost/cb"]);
        assert!(!matches(&localhost, "http://localhost:1234/cb", true));
    }

    #[test]
    fn az_10_port_exception_is_for_native_clients_only() {
        // A confidential client: its loopback URI matches exactly, like any other.
        let r = reg(&["http://127.0.0.1/cb", "http://[::1]:8000/cb"]);
        assert!(matches(&r, "http://127.0.0.1/cb", false));
        assert!(matches(&r, "http://[::1]:8000/cb", false));
        for other_port in
            ["http://127.0.0.1:53124/cb", "http://127.0.0.1:80/cb", "http://[::1]:1/cb", "http://[::1]/cb"]
        {
            assert!(!matches(&r, other_port, false), "{other_port}");
            assert!(matches(&r, other_port, true), "{other_port} (native)");
        }
    }

    #[test]
    fn az_13_registration_rules() {
        for ok in [
            "https://rp.example/cb",
            "http://127.0.0.1/cb",
            "http://127.0.0.1:8765/cb",
            "http://127.10.20.30/cb",
            "http://[::1]/cb",
            "http://[::1]:8000/cb?x=1",
            "ru.example.diary:/oauth2redirect",
        ] {
            assert!(validate_registration(ok).is_ok(), "{ok}");
        }
        for bad in [
            "https://rp.example/cb#frag",
            "https://rp.example/cb#",
            "http://127.0.0.1/cb#x",
            "javascript:alert(1)",
            "JAVASCRIPT:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,x",
            "DaTa:text/html,x",
            "file:///etc/passwd",
            "vbscript:x",
            "http://rp.example/cb",
            "https://*.rp.example/cb",
            "https://rp.example/*",
            "http://127.0.0.1/*",
            "/relative",
            "//rp.example/cb",
            "myapp:/cb",
            // Loopback means an IP literal, never a name that looks like one.
            "http://127.attacker.example/cb",
            "http://127.0.0.1.attacker.example/cb",
            "http://127.0.0.1.nip.io/cb",
            "http://localhost/cb",
            "http://localhost:8080/cb",
            "http://LOCALHOST/cb",
            "http://localhost./cb",
            "http://[::ffff:127.0.0.1]/cb",
            "http://[::2]/cb",
            "http://0.0.0.0/cb",
            "http://10.0.0.1/cb",
            // Spelled so that only a URL parser sees a loopback address.
            "http://127.1/cb",
            "http://0x7f.0.0.1/cb",
            "http://2130706433/cb",
            "http://0177.0.0.1/cb",
            "http://user@127.0.0.1/cb",
            "http://127.0.0.1@attacker.example/cb",
            "https://user:pass@rp.example/cb",
        ] {
            assert!(validate_registration(bad).is_err(), "{bad}");
        }
    }
}
