//! [`Scopes`]: an OAuth scope string (RFC 6749 §3.3) as an ordered set of scope tokens.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// A scope string that is not a space-separated list of RFC 6749 scope tokens.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid scope")]
pub struct InvalidScope;

/// An ordered set of scope tokens. `Display` joins them, sorted, with single spaces.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Scopes(BTreeSet<String>);

/// `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`
fn is_scope_char(c: char) -> bool {
    matches!(c, '\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')
}

impl Scopes {
    /// Parses `scope-token *( SP scope-token )`: one space between tokens, no empty
    /// tokens (so no leading, trailing or double spaces), only the allowed characters.
    /// Duplicates collapse. The empty string is the empty set (a token granted no scope).
    pub fn parse(s: &str) -> Result<Self, InvalidScope> {
        let mut set = BTreeSet::new();
        if s.is_empty() {
            return Ok(Self(set));
        }
        for token in s.split(' ') {
            if token.is_empty() || !token.chars().all(is_scope_char) {
                return Err(InvalidScope);
            }
            set.insert(token.to_owned());
        }
        Ok(Self(set))
    }

    pub fn empty() -> Self {
        Self::default()
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.contains(scope)
    }

    pub fn is_subset_of(&self, other: &Scopes) -> bool {
        self.0.is_subset(&other.0)
    }

    pub fn intersect(&self, other: &Scopes) -> Scopes {
        Scopes(self.0.intersection(&other.0).cloned().collect())
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromStr for Scopes {
    type Err = InvalidScope;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(s)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        let cases: &[(&str, Option<&str>)] = &[
            ("openid", Some("openid")),
            ("profile openid email", Some("email openid profile")),
            ("openid openid", Some("openid")),
            ("urn:x:read a!b#c~", Some("a!b#c~ urn:x:read")),
            ("", Some("")),
            (" openid", None),
            ("openid ", None),
            ("openid  profile", None),
            ("openid\tprofile", None),
            ("open\"id", None),
            ("open\\id", None),
            ("профиль", None),
            ("openid\nprofile", None),
        ];
        for (input, want) in cases {
            let got = Scopes::parse(input).ok().map(|s| s.to_string());
            assert_eq!(got.as_deref(), *want, "input {input:?}");
        }
    }

    #[test]
    fn set_operations() {
        let all: Scopes = "openid profile email phone".parse().unwrap();
        let some: Scopes = "email openid".parse().unwrap();
        let other: Scopes = "openid school".parse().unwrap();
        assert!(some.is_subset_of(&all));
        assert!(!all.is_subset_of(&some));
        assert!(!other.is_subset_of(&all));
        assert!(Scopes::empty().is_subset_of(&some));
        assert_eq!(all.intersect(&other).to_string(), "openid");
        assert!(all.contains("phone"));
        assert!(!all.contains("school"));
        assert_eq!(all.len(), 4);
        assert_eq!(all.iter().next(), Some("email"));
        assert_eq!(Scopes::empty().to_string(), "");
    }
}
