//! Why an upstream login failed, with the Russian text for people and the raw code
//! for logs and the `UpstreamRejected` audit event.

use super::esia::errors::{self, ErrorClass};

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
    /// Text to show to the person (Russian), from the table of ESIA's codes.
    pub fn user_message(&self) -> &'static str {
        match self.esia_answer() {
            Some(code) => errors::describe(&code).1,
            None => self.class().text(),
        }
    }

    /// Who must act (the class of ESIA's code, or of our own failure).
    pub fn class(&self) -> ErrorClass {
        if let Some(code) = self.esia_answer() {
            return errors::describe(&code).0;
        }
        match self {
            Self::StateMismatch => ErrorClass::Expired,
            Self::Unavailable(_) => ErrorClass::Unavailable,
            Self::InvalidToken(_) | Self::Protocol { .. } => ErrorClass::Verification,
            Self::Internal(_) => ErrorClass::Internal,
            Self::Denied { .. } => ErrorClass::Denied,
            Self::SignatureRejected { .. } => ErrorClass::Signature,
        }
    }

    /// The code ESIA answered with (`ESIA-007053`, or its OAuth `error` when it sent
    /// no ESIA code); `None` when ESIA sent no error (our checks, transport, our side).
    pub fn esia_answer(&self) -> Option<String> {
        match self {
            Self::Denied { code } | Self::SignatureRejected { code } | Self::Protocol { code: Some(code), .. } => {
                Some(code.clone())
            }
            Self::Unavailable(m) => esia_code(m)
                .or_else(|| ["temporarily_unavailable", "server_error"].contains(&m.as_str()).then(|| m.clone())),
            _ => None,
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
        assert_eq!(p.class(), ErrorClass::Time);
        let u = ConnectorError::from_esia("server_error", Some("ESIA-007008: maintenance"));
        assert_eq!((u.esia_answer().as_deref(), u.class()), (Some("ESIA-007008"), ErrorClass::Unavailable));
        let a = ConnectorError::from_esia("access_denied", Some("ESIA-007055: unconfirmed"));
        assert_eq!((a.code(), a.class()), ("ESIA-007055".to_string(), ErrorClass::Account));
        assert!(a.user_message().contains("не подтверждена"));
        assert_eq!(ConnectorError::StateMismatch.esia_answer(), None);
        assert_eq!(ConnectorError::InvalidToken("x".into()).class(), ErrorClass::Verification);
        assert_eq!(esia_code("x ESIA-12"), None);
    }
}
