//! Why an upstream login failed, with the Russian text for people and the raw code
//! for logs and the `UpstreamRejected` audit event.

/// A failed upstream login. Never carries personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectorError {
    /// The person refused access at ESIA (ESIA-007004).
    #[error("the person or ESIA denied the request ({code})")]
    Denied { code: String },
    /// The callback's `state` does not belong to this login (or arrived too late).
    #[error("state mismatch")]
    StateMismatch,
    /// Timeout, connection failure or a 5xx answer.
    #[error("ESIA unavailable: {0}")]
    Unavailable(String),
    /// ESIA refused our request signature or certificate (ESIA-007053).
    #[error("ESIA rejected the client signature ({code})")]
    SignatureRejected { code: String },
    /// A token from ESIA failed our verification.
    #[error("invalid token from ESIA: {0}")]
    InvalidToken(String),
    /// Any other protocol error; `code` is `ESIA-xxxxxx` when ESIA sent one.
    #[error("ESIA protocol error {code:?}: {message}")]
    Protocol { code: Option<String>, message: String },
    /// Our own side failed (signer, configuration).
    #[error("connector failure: {0}")]
    Internal(String),
}

impl ConnectorError {
    /// Text to show to the person (Russian).
    pub fn user_message(&self) -> &'static str {
        match self {
            Self::Denied { .. } => "Вы отказались предоставить доступ к данным на портале Госуслуг. Вход не выполнен.",
            Self::StateMismatch => "Сеанс входа устарел или был прерван. Начните вход через Госуслуги заново.",
            Self::Unavailable(_) => {
                "Портал Госуслуг сейчас недоступен. Попробуйте войти позже или воспользуйтесь логином и паролем."
            }
            Self::SignatureRejected { .. } => {
                "Портал Госуслуг не принял запрос системы (ошибка подписи). Сообщите администратору."
            }
            Self::InvalidToken(_) => {
                "Не удалось проверить ответ портала Госуслуг. Попробуйте ещё раз или сообщите администратору."
            }
            Self::Protocol { code: Some(c), .. } if c == "ESIA-007015" => {
                "Портал Госуслуг отклонил запрос из-за расхождения времени. Попробуйте ещё раз позже."
            }
            Self::Protocol { .. } => {
                "Портал Госуслуг вернул ошибку. Попробуйте ещё раз или воспользуйтесь логином и паролем."
            }
            Self::Internal(_) => "Вход через Госуслуги временно невозможен. Сообщите администратору.",
        }
    }

    /// Raw code for logs and audit: `ESIA-007004`, `state_mismatch`, `unavailable`, ...
    pub fn code(&self) -> String {
        match self {
            Self::Denied { code } | Self::SignatureRejected { code } => code.clone(),
            Self::StateMismatch => "state_mismatch".into(),
            Self::Unavailable(_) => "unavailable".into(),
            Self::InvalidToken(_) => "bad_token".into(),
            Self::Protocol { code: Some(c), .. } => c.clone(),
            Self::Protocol { code: None, .. } => "protocol".into(),
            Self::Internal(_) => "internal".into(),
        }
    }

    /// Maps an OAuth `error` + ESIA `error_description` (callback or token endpoint).
    pub fn from_esia(error: &str, description: Option<&str>) -> Self {
        let code = description.and_then(esia_code);
        match code.as_deref() {
            Some("ESIA-007004") => Self::Denied { code: "ESIA-007004".into() },
            Some("ESIA-007053") => Self::SignatureRejected { code: "ESIA-007053".into() },
            Some("ESIA-007007" | "ESIA-007008") => {
                Self::Unavailable(format!("{error} {}", code.as_deref().unwrap_or_default()))
            }
            None if error == "access_denied" => Self::Denied { code: "access_denied".into() },
            None if error == "temporarily_unavailable" || error == "server_error" => {
                Self::Unavailable(error.to_string())
            }
            _ => Self::Protocol { code: code.clone().or_else(|| Some(error.to_string())), message: error.to_string() },
        }
    }
}

/// The `ESIA-dddddd` prefix of an `error_description`, if any.
pub fn esia_code(description: &str) -> Option<String> {
    let start = description.find("ESIA-")?;
    let digits: String = description[start + 5..].chars().take_while(|c| c.is_ascii_digit()).collect();
    (digits.len() == 6).then(|| format!("ESIA-{digits}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_esia_codes() {
        let d = ConnectorError::from_esia(
            "access_denied",
            Some("ESIA-007004: The resource owner or authorization server denied the request."),
        );
        assert_eq!(d, ConnectorError::Denied { code: "ESIA-007004".into() });
        let s = ConnectorError::from_esia("access_denied", Some("ESIA-007053: OAuthErrorEnum.clientSecretWrong"));
        assert!(matches!(s, ConnectorError::SignatureRejected { .. }));
        assert_eq!(s.code(), "ESIA-007053");
        let p = ConnectorError::from_esia("invalid_request", Some("ESIA-007015: wrong time"));
        assert_eq!(p.code(), "ESIA-007015");
        assert!(p.user_message().contains("времени"));
        assert_eq!(esia_code("x ESIA-12"), None);
    }
}
