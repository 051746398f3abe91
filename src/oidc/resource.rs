//! RFC 8707 resource indicators (pure): what a client may register, which `resource`
//! values a request may carry, and the audience (`aud`) of the access token. The
//! issuer is always a permitted resource (UserInfo is served there, AT-02) and the
//! audience when none is asked for; docs/subjects.md tells the rules.

use crate::store::Client;

/// Why a `resource` was refused: every case is `invalid_target` to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("resource must be an absolute URI without a fragment")]
    Malformed,
    #[error("resource is not registered for this client")]
    NotPermitted,
    #[error("resource was not granted")]
    NotGranted,
}

/// At most this many resources in one request or one registration.
pub const MAX_RESOURCES: usize = 10;

/// RFC 8707 §2: an absolute URI, no fragment; here also `https` (plain `http` only
/// on a loopback IP literal, for development), no wildcard, no user name.
pub fn well_formed(uri: &str) -> bool {
    let Ok(url) = url::Url::parse(uri) else { return false };
    let scheme_ok = match url.scheme() {
        "https" => url.host_str().is_some(),
        "http" => match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            _ => false,
        },
        _ => false,
    };
    scheme_ok
        && url.fragment().is_none()
        && !uri.contains(['#', '*'])
        && url.username().is_empty()
        && url.password().is_none()
        && uri.len() <= 512
        && uri.bytes().all(|b| b.is_ascii_graphic())
}

/// Whether `client` may have tokens for `resource`: one it registered, or the issuer.
pub fn permitted(client: &Client, issuer: &str, resource: &str) -> bool {
    resource == issuer || client.resources.iter().any(|r| r == resource)
}

fn unique(asked: &[&str], issuer: &str) -> Result<Vec<String>, TargetError> {
    let mut out: Vec<String> = Vec::new();
    for a in asked {
        if *a != issuer && !well_formed(a) {
            return Err(TargetError::Malformed);
        }
        if !out.iter().any(|o| o == a) {
            out.push((*a).to_owned());
        }
    }
    if out.len() > MAX_RESOURCES {
        return Err(TargetError::Malformed);
    }
    Ok(out)
}

/// `/authorize`: the resources asked for (possibly none), each permitted.
pub fn at_authorize(asked: &[&str], client: &Client, issuer: &str) -> Result<Vec<String>, TargetError> {
    let asked = unique(asked, issuer)?;
    if asked.iter().any(|a| !permitted(client, issuer, a)) {
        return Err(TargetError::NotPermitted);
    }
    Ok(asked)
}

/// The audience of one access token and the resources its grant keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub audience: Vec<String>,
    pub granted: Vec<String>,
}

/// `/token` with a code whose request asked for `at_code`. When it asked for some,
/// the token may be narrowed to some of them (`asked`) and the grant keeps them all;
/// when it asked for none, `asked` (each permitted) are what the grant gets. No
/// resource at all: the issuer.
pub fn at_code_exchange(
    asked: &[&str],
    at_code: &[String],
    client: &Client,
    issuer: &str,
) -> Result<Target, TargetError> {
    if at_code.is_empty() {
        let granted = at_authorize(asked, client, issuer)?;
        let audience = if granted.is_empty() { vec![issuer.to_owned()] } else { granted.clone() };
        return Ok(Target { audience, granted });
    }
    narrowed(asked, at_code, issuer)
}

/// `/token` with a refresh token: the grant's resources (the issuer if it has none)
/// or some of them; never one more.
pub fn at_refresh(asked: &[&str], granted: &[String], issuer: &str) -> Result<Target, TargetError> {
    if granted.is_empty() {
        let only_issuer = [issuer.to_owned()];
        let t = narrowed(asked, &only_issuer, issuer)?;
        return Ok(Target { audience: t.audience, granted: Vec::new() });
    }
    narrowed(asked, granted, issuer)
}

/// `client_credentials`: the resources asked for, each permitted, or the issuer.
pub fn at_client_credentials(asked: &[&str], client: &Client, issuer: &str) -> Result<Vec<String>, TargetError> {
    let asked = at_authorize(asked, client, issuer)?;
    Ok(if asked.is_empty() { vec![issuer.to_owned()] } else { asked })
}

fn narrowed(asked: &[&str], granted: &[String], issuer: &str) -> Result<Target, TargetError> {
    let asked = unique(asked, issuer)?;
    if asked.iter().any(|a| !granted.contains(a)) {
        return Err(TargetError::NotGranted);
    }
    let audience = if asked.is_empty() { granted.to_vec() } else { asked };
    Ok(Target { audience, granted: granted.to_vec() })
}

/// Registration: each resource well formed, at most [`MAX_RESOURCES`], no repeats.
pub fn validate_registration(resources: &[String]) -> Result<(), String> {
    if resources.len() > MAX_RESOURCES {
        return Err(format!("at most {MAX_RESOURCES} resources"));
    }
    for (i, r) in resources.iter().enumerate() {
        if !well_formed(r) {
            return Err(format!("`{r}` is not an absolute https URI without a fragment"));
        }
        if resources[..i].contains(r) {
            return Err(format!("`{r}` is repeated"));
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "resource_tests.rs"]
mod tests;
