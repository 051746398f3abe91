//! `login_hint` (OIDC Core §3.1.2.1), pure: the value the login page's «Логин» field
//! is pre-filled with, and the account it picks among a signed-in ESIA person's own
//! accounts. A hint is never trusted and never an error (AZ-11): it names a school
//! login as typed on the page (`ivanova.mp`), pre-fills the field (escaped by the
//! template), and otherwise only chooses between accounts the person may already
//! enter (it never widens what they reach); an over-long or odd hint is ignored.

/// The longest hint that pre-fills the field, in characters.
pub const MAX_HINT_CHARS: usize = 64;

/// The login to pre-fill, or empty: the trimmed hint when it is 1..=64 characters
/// with no whitespace, control or invisible formatting characters inside.
pub fn prefill(hint: Option<&str>) -> String {
    let Some(hint) = hint.map(str::trim) else { return String::new() };
    let odd = hint.is_empty()
        || hint.chars().count() > MAX_HINT_CHARS
        || hint.chars().any(|c| c.is_whitespace() || c.is_control() || invisible(c));
    if odd { String::new() } else { hint.to_owned() }
}

/// The one account among `accounts` (id, login), the accounts an ESIA person may
/// enter, whose login the hint names: it saves them the chooser. None when the hint
/// is odd, names no such login, or names several (one login in two organisations).
pub fn pick<'a>(hint: Option<&str>, accounts: &[(&'a str, &str)]) -> Option<&'a str> {
    let hint = prefill(hint);
    let mut named = accounts.iter().filter(|(_, login)| !hint.is_empty() && *login == hint);
    match (named.next(), named.next()) {
        (Some((id, _)), None) => Some(id),
        _ => None,
    }
}

/// Zero-width and bidirectional formatting characters: a hint that hides or reorders text.
fn invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_login_pre_fills_and_odd_hints_are_ignored() {
        assert_eq!(prefill(Some("ivanova.mp")), "ivanova.mp");
        assert_eq!(prefill(Some("  ivanova.mp ")), "ivanova.mp");
        // Markup is kept as text: the template escapes it.
        assert_eq!(prefill(Some("\"><script>x</script>")), "\"><script>x</script>");
        for odd in ["", "   ", "a b", "a\u{0}b", "a\nb", "a\u{202e}b", "a\u{200b}b"] {
            assert_eq!(prefill(Some(odd)), "", "{odd:?}");
        }
        assert_eq!(prefill(Some(&"x".repeat(MAX_HINT_CHARS))), "x".repeat(MAX_HINT_CHARS));
        assert_eq!(prefill(Some(&"x".repeat(MAX_HINT_CHARS + 1))), "");
        assert_eq!(prefill(None), "");
    }

    #[test]
    fn a_hint_picks_only_one_of_the_persons_own_accounts() {
        let own = [("a1", "petrov.pp"), ("a2", "petrov.pp2")];
        assert_eq!(pick(Some("petrov.pp2"), &own), Some("a2"));
        assert_eq!(pick(Some(" petrov.pp "), &own), Some("a1"));
        assert_eq!(pick(Some("ivanova.mp"), &own), None, "another person's login picks nothing");
        assert_eq!(pick(Some("PETROV.PP"), &own), None, "logins are compared as stored");
        assert_eq!(pick(Some(""), &own), None);
        assert_eq!(pick(None, &own), None);
        assert_eq!(pick(Some("same"), &[("a1", "same"), ("a2", "same")]), None, "ambiguous: the chooser");
    }
}
