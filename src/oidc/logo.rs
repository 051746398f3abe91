//! A client's logo (pure): the rule of `logo_uri` (OIDC Dynamic Client Registration
//! 1.0 §2) and the one origin the consent page's content security policy lets that
//! image come from ([`crate::web::headers::ImageOrigin`]).

use url::{Host, Url};

/// The longest `logo_uri` accepted, in bytes.
pub const MAX_LEN: usize = 2000;

/// Whether `c` may appear in a registered logo URL: RFC 3986's unreserved and
/// reserved characters and `%`, except the quote `'`, `[` `]` (no IP-literal hosts)
/// and `#` (no fragment) — nothing that could end an HTML attribute or a CSP
/// source list.
fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:/?@!$&()*+,;=%".contains(c)
}

/// Registration §2 `logo_uri` refined for a page a person reads: an absolute
/// `https` URL (no other scheme: a logo is fetched over TLS, and `javascript:` or
/// `data:` is no image source) with a host name or an IPv4 address, without user
/// name or password (RFC 3986 §3.2.1 deprecates them; they would also reach the
/// image's server), without fragment, at most [`MAX_LEN`] bytes. The reason, else.
pub fn validate(uri: &str) -> Result<(), &'static str> {
    if uri.len() > MAX_LEN {
        return Err("at most 2000 characters");
    }
    let Some(rest) = uri.strip_prefix("https://") else {
        return Err("must be an https URL");
    };
    // `https:///x` would parse (WHATWG) with `x` as the host: the host comes first.
    if rest.starts_with('/') {
        return Err("needs a host name");
    }
    if !uri.chars().all(allowed) {
        return Err("has a character not allowed in a logo URL (quotes, spaces, brackets, fragment)");
    }
    let url = Url::parse(uri).map_err(|_| "not an absolute URL")?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry a user name or password");
    }
    if url.fragment().is_some() {
        return Err("must not have a fragment");
    }
    match url.host() {
        Some(Host::Domain(d)) if is_host_name(d) => Ok(()),
        Some(Host::Ipv4(_)) => Ok(()),
        _ => Err("needs a host name"),
    }
}

/// Letters, digits, `-` and `.`: a host a CSP host-source (CSP 3 §2.3.1) can name.
fn is_host_name(host: &str) -> bool {
    !host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// The origin of a valid logo URL as a CSP source (`https://host` or
/// `https://host:port`), or `None` when the URL breaks [`validate`].
pub fn origin(uri: &str) -> Option<String> {
    validate(uri).ok()?;
    let url = Url::parse(uri).ok()?;
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("https://{host}:{port}"),
        None => format!("https://{host}"),
    })
}

#[cfg(test)]
mod tests {
    use super::{origin, validate};

    #[test]
    fn only_plain_https_urls_are_logos() {
        for ok in [
            "https://cdn.example/logo.png",
            "https://school.example:8443/img/logo.svg?v=2",
            "https://192.0.2.10/logo.png",
            "https://xn--d1acufc.example/logo.png",
        ] {
            assert_eq!(validate(ok), Ok(()), "{ok}");
        }
        let long = format!("https://cdn.example/{}", "a".repeat(2000));
        for bad in [
            "http://cdn.example/logo.png",
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "HTTPS://cdn.example/logo.png",
            "https://user:pw@cdn.example/logo.png",
            "https://user@cdn.example/logo.png",
            "https://cdn.example/logo.png#x",
            "https://cdn.example/\"onerror=\"alert(1)",
            "https://cdn.example/'x",
            "https://cdn.example/a b.png",
            "https://cdn.example/<script>",
            "https://[::1]/logo.png",
            "https://cdn;example/logo.png",
            "https://дневник.example/logo.png",
            "https:///logo.png",
            long.as_str(),
        ] {
            assert!(validate(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_origin_is_scheme_host_and_port_only() {
        assert_eq!(origin("https://CDN.example/a/b.png?x=1").as_deref(), Some("https://cdn.example"));
        assert_eq!(origin("https://cdn.example:443/a.png").as_deref(), Some("https://cdn.example"));
        assert_eq!(origin("https://cdn.example:8443/a.png").as_deref(), Some("https://cdn.example:8443"));
        assert_eq!(origin("javascript:alert(1)"), None);
    }
}
