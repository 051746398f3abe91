//! A minimal browser for the login-flow scenarios (S6–S8): a cookie jar, one
//! keep-alive connection per origin, `GET`/`POST` of forms with the jar's cookies,
//! `Location` split into origin and path, and the hidden fields of a form.
//! Cookies are kept by name only (everything runs on 127.0.0.1 over plain HTTP,
//! and browsers do not separate cookies by port either).

use super::http::{Conn, Response};
use std::net::SocketAddr;
use std::time::Duration;

/// Cookies by name; `Max-Age=0` or an empty value removes one (RFC 6265 §5.3).
#[derive(Default)]
pub struct Jar {
    cookies: Vec<(String, String)>,
}

impl Jar {
    pub fn store(&mut self, set_cookies: &[String]) {
        for sc in set_cookies {
            let first = sc.split(';').next().unwrap_or_default();
            let Some((name, value)) = first.split_once('=') else { continue };
            let (name, value) = (name.trim(), value.trim());
            let expired = sc.split(';').skip(1).any(|a| a.trim().eq_ignore_ascii_case("max-age=0"));
            self.cookies.retain(|(n, _)| n != name);
            if !expired && !value.is_empty() {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    /// The `Cookie` header value, if there is any cookie.
    pub fn header(&self) -> Option<String> {
        (!self.cookies.is_empty())
            .then(|| self.cookies.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("; "))
    }

    pub fn clear(&mut self) {
        self.cookies.clear();
    }
}

/// One request's bytes: `GET` when `form` is `None`, else a form `POST`.
pub fn request(
    host: &str,
    path: &str,
    cookie: Option<&str>,
    authorization: Option<&str>,
    form: Option<&str>,
) -> Vec<u8> {
    let mut head = match form {
        Some(_) => format!("POST {path} HTTP/1.1\r\nHost: {host}\r\n"),
        None => format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n"),
    };
    if let Some(c) = cookie {
        head.push_str(&format!("Cookie: {c}\r\n"));
    }
    if let Some(a) = authorization {
        head.push_str(&format!("Authorization: {a}\r\n"));
    }
    match form {
        Some(body) => {
            head.push_str(&format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ));
        }
        None => head.push_str("\r\n"),
    }
    head.into_bytes()
}

/// A `Location` value split into its origin (`None`: same origin) and path with query.
pub fn split_location(location: &str) -> Option<(Option<SocketAddr>, String)> {
    if location.starts_with('/') {
        return Some((None, location.to_owned()));
    }
    let url = url::Url::parse(location).ok()?;
    let addr = match (url.host_str(), url.port_or_known_default()) {
        (Some(h), Some(p)) => format!("{h}:{p}").parse().ok(),
        _ => None,
    };
    let mut path = url.path().to_owned();
    if let Some(q) = url.query() {
        path.push('?');
        path.push_str(q);
    }
    Some((addr, path))
}

/// The value of a hidden input in an HTML page (with the escapes askama writes).
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].replace("&#x2B;", "+").replace("&#43;", "+").replace("&#x3D;", "=").replace("&amp;", "&"))
}

/// One query parameter of a URL or of a path with a query.
pub fn query_param(location: &str, name: &str) -> Option<String> {
    let query = location.split_once('?')?.1;
    url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// One simulated browser: a jar and a keep-alive connection per origin.
pub struct Browser {
    conns: Vec<(SocketAddr, Conn)>,
    pub jar: Jar,
    timeout: Duration,
}

impl Browser {
    pub fn new(timeout: Duration) -> Self {
        Self { conns: Vec::with_capacity(2), jar: Jar::default(), timeout }
    }

    /// Sends one request to `addr` with the jar's cookies, stores the answer's cookies.
    pub async fn send(
        &mut self,
        addr: SocketAddr,
        path: &str,
        authorization: Option<&str>,
        form: Option<&str>,
    ) -> Result<Response, String> {
        let cookie = self.jar.header();
        let bytes = request(&addr.to_string(), path, cookie.as_deref(), authorization, form);
        let idx = match self.conns.iter().position(|(a, _)| *a == addr) {
            Some(i) => i,
            None => {
                let conn = tokio::time::timeout(self.timeout, Conn::connect(addr))
                    .await
                    .map_err(|_| "connect: timed out".to_owned())?
                    .map_err(|e| format!("connect: {e}"))?;
                self.conns.push((addr, conn));
                self.conns.len() - 1
            }
        };
        let res = tokio::time::timeout(self.timeout, self.conns[idx].1.send(&bytes)).await;
        let res = match res {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                self.conns.swap_remove(idx);
                return Err(format!("i/o {path}: {e}"));
            }
            Err(_) => {
                self.conns.swap_remove(idx);
                return Err(format!("{path}: timed out"));
            }
        };
        if res.close {
            self.conns.swap_remove(idx);
        }
        self.jar.store(&res.set_cookies);
        Ok(res)
    }

    /// Sends and expects a redirect; returns its target (origin defaulting to `addr`) and path.
    pub async fn redirected(
        &mut self,
        addr: SocketAddr,
        path: &str,
        form: Option<&str>,
    ) -> Result<(SocketAddr, String), String> {
        let res = self.send(addr, path, None, form).await?;
        if !matches!(res.status, 302 | 303 | 307) {
            return Err(describe(path, &res));
        }
        let loc = res.location.as_deref().ok_or_else(|| format!("{path}: redirect without Location"))?;
        let (to, p) = split_location(loc).ok_or_else(|| format!("{path}: bad Location {loc}"))?;
        Ok((to.unwrap_or(addr), p))
    }

    /// Sends and expects a 200 page; returns its text.
    pub async fn page(&mut self, addr: SocketAddr, path: &str, form: Option<&str>) -> Result<String, String> {
        let res = self.send(addr, path, None, form).await?;
        if res.status != 200 {
            return Err(describe(path, &res));
        }
        Ok(String::from_utf8_lossy(&res.body).into_owned())
    }
}

/// A short description of an unexpected answer.
pub fn describe(path: &str, res: &Response) -> String {
    let path = path.split('?').next().unwrap_or(path);
    let text = String::from_utf8_lossy(&res.body[..res.body.len().min(160)]).into_owned();
    format!("{path}: HTTP {} {}", res.status, text.replace('\n', " "))
}
