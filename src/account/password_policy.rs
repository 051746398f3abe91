//! The rules a new password must meet («Сменить пароль», «Забыли пароль?»): at
//! least [`MIN_LEN`] characters (and at most [`MAX_LEN`]), not the login, not the
//! old password, typed the same twice. Pure; the messages are the ones people see.

/// The shortest password accepted (characters, not bytes).
pub const MIN_LEN: usize = 8;
/// The longest password accepted (bounds the hashing work).
pub const MAX_LEN: usize = 128;

/// Why a new password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyError {
    TooShort,
    TooLong,
    SameAsLogin,
    SameAsOld,
    Mismatch,
}

impl PolicyError {
    /// The sentence shown above the form.
    pub fn message(self) -> &'static str {
        match self {
            Self::TooShort => "Новый пароль должен быть не короче 8 символов.",
            Self::TooLong => "Новый пароль должен быть не длиннее 128 символов.",
            Self::SameAsLogin => "Новый пароль не должен совпадать с логином.",
            Self::SameAsOld => "Новый пароль должен отличаться от прежнего.",
            Self::Mismatch => "Новый пароль и его повтор не совпадают. Введите их ещё раз.",
        }
    }
}

/// Checks `new` (and its `repeat`) for the account with `login`; `old` is the
/// current password when the person typed it («Сменить пароль»).
pub fn check(new: &str, repeat: &str, login: &str, old: Option<&str>) -> Result<(), PolicyError> {
    let len = new.chars().count();
    if len < MIN_LEN {
        return Err(PolicyError::TooShort);
    }
    if len > MAX_LEN {
        return Err(PolicyError::TooLong);
    }
    if new.trim().to_lowercase() == login.trim().to_lowercase() {
        return Err(PolicyError::SameAsLogin);
    }
    if old == Some(new) {
        return Err(PolicyError::SameAsOld);
    }
    if new != repeat {
        return Err(PolicyError::Mismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (new, repeat, old, outcome).
    type Case<'a> = (&'a str, &'a str, Option<&'a str>, Result<(), PolicyError>);

    #[test]
    fn policy_table() {
        let login = "ivanova.mp";
        let cases: &[Case] = &[
            ("Sunny-Day-42", "Sunny-Day-42", Some("Demo-2026!"), Ok(())),
            ("Sunny-Day-42", "Sunny-Day-42", None, Ok(())),
            // Eight characters, counted as characters: Cyrillic letters are two bytes each.
            ("пароль12", "пароль12", None, Ok(())),
            ("пароль1", "пароль1", None, Err(PolicyError::TooShort)),
            ("", "", None, Err(PolicyError::TooShort)),
            ("Ivanova.MP", "Ivanova.MP", None, Err(PolicyError::SameAsLogin)),
            (" ivanova.mp ", " ivanova.mp ", None, Err(PolicyError::SameAsLogin)),
            ("Demo-2026!", "Demo-2026!", Some("Demo-2026!"), Err(PolicyError::SameAsOld)),
            ("Sunny-Day-42", "Sunny-Day-43", None, Err(PolicyError::Mismatch)),
        ];
        for (new, repeat, old, want) in cases {
            assert_eq!(check(new, repeat, login, *old), *want, "{new:?}/{repeat:?}");
        }
        let long = "я".repeat(MAX_LEN + 1);
        assert_eq!(check(&long, &long, login, None), Err(PolicyError::TooLong));
        let longest = "я".repeat(MAX_LEN);
        assert_eq!(check(&longest, &longest, login, None), Ok(()));
    }

    #[test]
    fn messages_are_russian_sentences() {
        for e in [
            PolicyError::TooShort,
            PolicyError::TooLong,
            PolicyError::SameAsLogin,
            PolicyError::SameAsOld,
            PolicyError::Mismatch,
        ] {
            assert!(e.message().ends_with('.') && e.message().contains("пароль"), "{e:?}");
        }
    }
}
