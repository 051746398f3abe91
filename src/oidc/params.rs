//! Request parameters as RFC 6749 §3.1/§3.2 wants them: from the query string or a
//! form body, each name at most once (AZ-07: a repeated parameter is an error, never
//! "the first" here and "the last" there), unknown names ignored (AZ-06). The one
//! exception is RFC 8707 `resource`, which may be given several times
//! ([`Params::all`]).

use std::collections::HashMap;

/// Names that may appear more than once (RFC 8707 §2).
const MULTI: [&str; 1] = ["resource"];

#[derive(Debug, Clone, Default)]
pub struct Params {
    values: HashMap<String, String>,
    /// Names that appeared more than once.
    repeated: Vec<String>,
    /// Every non-empty value of the names in [`MULTI`], in order.
    multi: Vec<(String, String)>,
}

impl Params {
    /// Parses `application/x-www-form-urlencoded` text (a query string or a body).
    pub fn parse(encoded: &[u8]) -> Self {
        let mut values = HashMap::new();
        let mut repeated = Vec::new();
        let mut multi = Vec::new();
        for (k, v) in url::form_urlencoded::parse(encoded) {
            if MULTI.contains(&k.as_ref()) {
                if !v.is_empty() {
                    multi.push((k.into_owned(), v.into_owned()));
                }
                continue;
            }
            match values.entry(k.into_owned()) {
                std::collections::hash_map::Entry::Occupied(e) => {
                    if !repeated.contains(e.key()) {
                        repeated.push(e.key().clone());
                    }
                }
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(v.into_owned());
                }
            }
        }
        Self { values, repeated, multi }
    }

    /// Every value of a name that may be repeated (`resource`); empty values dropped.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.multi.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }

    /// The value of a parameter; an empty value counts as absent (RFC 6749 §3.1).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    pub fn is_repeated(&self, name: &str) -> bool {
        self.repeated.iter().any(|r| r == name)
    }

    /// The first repeated name, if any.
    pub fn first_repeated(&self) -> Option<&str> {
        self.repeated.first().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn az_07_repeated_parameters_are_seen() {
        let p = Params::parse(b"client_id=a&state=1&client_id=b");
        assert!(p.is_repeated("client_id"));
        assert!(!p.is_repeated("state"));
        assert_eq!(p.first_repeated(), Some("client_id"));
    }

    #[test]
    fn tk_06_resource_may_repeat() {
        let p = Params::parse(b"resource=https%3A%2F%2Fa.example&scope=x&resource=https://b.example&resource=");
        assert_eq!(p.all("resource"), ["https://a.example", "https://b.example"]);
        assert_eq!(p.first_repeated(), None);
        assert_eq!(p.get("resource"), None, "read with all() only");
        assert!(p.all("scope").is_empty());
    }

    #[test]
    fn decoding_and_empty_values() {
        let p = Params::parse(b"scope=openid+profile&nonce=&x=%D0%B0");
        assert_eq!(p.get("scope"), Some("openid profile"));
        assert_eq!(p.get("nonce"), None);
        assert_eq!(p.get("x"), Some("а"));
    }
}
