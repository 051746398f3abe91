//! `login_hint` (OIDC Core §3.1.2.1), pure: the value the login page's «Логин» field
//! is pre-filled with. A hint is never trusted and never an error (AZ-11): it names a
//! school login as typed on the page (`ivanova.mp`), only pre-fills the field (escaped
//! by the template) and selects nothing; an over-long or odd hint is ignored.

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
}
