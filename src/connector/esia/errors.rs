//! ESIA's error codes — the `ESIA-007xxx` of an `error_description` and the OAuth
//! `error` values ESIA returns — with what each means, its class (who must act) and
//! the Russian text people see. Pure; docs/esia-production.md lists the same table.

/// Who must act on an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The person refused access (nothing is wrong; they may try again).
    Denied,
    /// The person's ESIA account cannot be used here (unconfirmed, no second factor, role).
    Account,
    /// Our request signature or certificate was refused: the operator must act.
    Signature,
    /// Our registration at ESIA (client, redirect URI, scopes): the operator must act.
    Registration,
    /// A request of ours ESIA could not accept (a bug or a protocol change).
    Request,
    /// Our clock differs from ESIA's (ESIA-007015).
    Time,
    /// The code, state or session expired or was used: start again.
    Expired,
    /// ESIA is down or overloaded: try later.
    Unavailable,
    /// ESIA's answer failed our checks (token signature, issuer, format).
    Verification,
    /// Our side failed (signer, configuration).
    Internal,
    /// A code this table does not know.
    Unknown,
}

impl ErrorClass {
    /// The name in logs, audit events and docs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Denied => "denied",
            Self::Account => "account",
            Self::Signature => "signature",
            Self::Registration => "registration",
            Self::Request => "request",
            Self::Time => "time",
            Self::Expired => "expired",
            Self::Unavailable => "unavailable",
            Self::Verification => "verification",
            Self::Internal => "internal",
            Self::Unknown => "unknown",
        }
    }

    /// The text for a code of this class that has none of its own.
    pub fn text(self) -> &'static str {
        match self {
            Self::Denied => "Вы отказались предоставить доступ к данным на портале Госуслуг. Вход не выполнен.",
            Self::Account => {
                "Вашу учётную запись на Госуслугах нельзя использовать для этого входа. Войдите по логину и паролю."
            }
            Self::Signature => "Портал Госуслуг не принял запрос системы (ошибка подписи). Сообщите администратору.",
            Self::Registration => {
                "Система не зарегистрирована на портале Госуслуг для такого входа. Сообщите администратору."
            }
            Self::Request => "Портал Госуслуг не принял запрос системы. Сообщите администратору.",
            Self::Time => "Портал Госуслуг отклонил запрос из-за расхождения времени. Попробуйте ещё раз позже.",
            Self::Expired => "Сеанс входа устарел или был прерван. Начните вход через Госуслуги заново.",
            Self::Unavailable => {
                "Портал Госуслуг сейчас недоступен. Попробуйте войти позже или воспользуйтесь логином и паролем."
            }
            Self::Verification => {
                "Не удалось проверить ответ портала Госуслуг. Попробуйте ещё раз или сообщите администратору."
            }
            Self::Internal => "Вход через Госуслуги временно невозможен. Сообщите администратору.",
            Self::Unknown => "Портал Госуслуг вернул ошибку. Попробуйте ещё раз или воспользуйтесь логином и паролем.",
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EsiaCode {
    /// `ESIA-007004`, or an OAuth `error` value such as `access_denied`.
    pub code: &'static str,
    pub class: ErrorClass,
    /// What ESIA means by it (English, for logs and docs).
    pub meaning: &'static str,
    /// What people see; `None`: the class's text.
    pub text: Option<&'static str>,
}

const fn row(code: &'static str, class: ErrorClass, meaning: &'static str) -> EsiaCode {
    EsiaCode { code, class, meaning, text: None }
}

const fn own(code: &'static str, class: ErrorClass, meaning: &'static str, text: &'static str) -> EsiaCode {
    EsiaCode { code, class, meaning, text: Some(text) }
}

use ErrorClass::*;

/// ESIA's codes (esia-protocol.md §10) and the OAuth `error` values it sends.
pub const CODES: &[EsiaCode] = &[
    row("ESIA-007002", Signature, "the certificate does not match the IS mnemonic, or none is registered"),
    row("ESIA-007003", Request, "a mandatory parameter is missing, invalid or repeated"),
    row("ESIA-007004", Denied, "the person (or ESIA) denied the request"),
    row("ESIA-007005", Registration, "the client may not obtain a token by this method"),
    row("ESIA-007006", Registration, "a scope is invalid, unknown or malformed"),
    row("ESIA-007007", Unavailable, "unexpected internal error at ESIA"),
    row("ESIA-007008", Unavailable, "ESIA is temporarily unavailable (load, maintenance)"),
    row("ESIA-007009", Request, "the grant method is not supported"),
    own(
        "ESIA-007011",
        Expired,
        "the code or refresh token is invalid, expired, used, or bound to another client",
        "Срок входа через Госуслуги истёк или код уже использован. Начните вход заново.",
    ),
    row("ESIA-007012", Request, "the grant or code type is not supported"),
    row("ESIA-007013", Request, "no scope in the request"),
    row("ESIA-007014", Request, "a mandatory parameter is absent (e.g. client_certificate_hash)"),
    row("ESIA-007015", Time, "the request's timestamp is outside ESIA's window"),
    own(
        "ESIA-007019",
        Registration,
        "the IS has no permission for a requested scope (noGrants)",
        "Системе не разрешён доступ к запрошенным данным на портале Госуслуг. Сообщите администратору.",
    ),
    row("ESIA-007023", Registration, "redirect_uri is not among the IS's allowed values"),
    row("ESIA-007038", Request, "ESIA cannot read the request's parameters"),
    row("ESIA-007039", Request, "PKCE data in the token request without a code_challenge"),
    row("ESIA-007040", Request, "the PKCE verifier does not match the challenge"),
    own(
        "ESIA-007046",
        Account,
        "the scope demands a second factor that is impossible for this person",
        "Для входа нужно подтверждение входа (второй фактор) на Госуслугах. Настройте его в профиле Госуслуг или войдите по логину и паролю.",
    ),
    row("ESIA-007053", Signature, "client_secret wrong, certificate mismatch or inactive (clientSecretWrong)"),
    own(
        "ESIA-007055",
        Account,
        "login with an unconfirmed account",
        "Ваша учётная запись на Госуслугах не подтверждена. Подтвердите её (например, в центре обслуживания) или войдите по логину и паролю.",
    ),
    row("ESIA-007060", Request, "the roles parameter is wrong"),
    row("ESIA-007061", Request, "the obj_type parameter is wrong"),
    row("ESIA-007062", Account, "the person's type or role is wrong for this login"),
    row("ESIA-007194", Account, "an organisation scope for an organisation the person does not belong to"),
    row("ESIA-008010", Signature, "the client system's authentication failed"),
    row("access_denied", Denied, "OAuth: the request was denied"),
    row("invalid_request", Request, "OAuth: the request is malformed"),
    row("invalid_client", Signature, "OAuth: the client's authentication failed"),
    row("unauthorized_client", Registration, "OAuth: the client may not use this method"),
    row("invalid_grant", Expired, "OAuth: the code is invalid, expired or used"),
    row("unsupported_grant_type", Request, "OAuth: the grant type is not supported"),
    row("unsupported_response_type", Request, "OAuth: the response type is not supported"),
    row("invalid_scope", Registration, "OAuth: a scope is invalid or not allowed"),
    row("server_error", Unavailable, "OAuth: ESIA failed"),
    row("temporarily_unavailable", Unavailable, "OAuth: ESIA is overloaded or in maintenance"),
];

/// The row of `code` (`ESIA-007053` or an OAuth `error`), if the table knows it.
pub fn lookup(code: &str) -> Option<&'static EsiaCode> {
    CODES.iter().find(|c| c.code == code)
}

/// The class and text of `code`: its row, else — for an `ESIA-0367xx` consent code or
/// any other — [`ErrorClass::Unknown`].
pub fn describe(code: &str) -> (ErrorClass, &'static str) {
    match lookup(code) {
        Some(row) => (row.class, row.text.unwrap_or(row.class.text())),
        None if code.starts_with("ESIA-0367") => (Registration, Registration.text()),
        None => (Unknown, Unknown.text()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed_once_and_has_a_russian_text() {
        for (i, row) in CODES.iter().enumerate() {
            assert!(CODES[i + 1..].iter().all(|r| r.code != row.code), "{} twice", row.code);
            let (class, text) = describe(row.code);
            assert_eq!(class, row.class);
            assert!(text.chars().any(|c| ('а'..='я').contains(&c)), "{}: Russian text", row.code);
            assert!(!row.meaning.is_empty());
        }
    }

    #[test]
    fn codes_map_to_their_class() {
        let table = [
            ("ESIA-007004", Denied),
            ("ESIA-007053", Signature),
            ("ESIA-007015", Time),
            ("ESIA-007011", Expired),
            ("ESIA-007008", Unavailable),
            ("ESIA-007055", Account),
            ("ESIA-007023", Registration),
            ("ESIA-036702", Registration),
            ("access_denied", Denied),
            ("invalid_scope", Registration),
            ("ESIA-999999", Unknown),
            ("nonsense", Unknown),
        ];
        for (code, class) in table {
            assert_eq!(describe(code).0, class, "{code}");
        }
        assert!(describe("ESIA-007055").1.contains("не подтверждена"));
        assert!(describe("ESIA-007015").1.contains("времени"));
        assert_eq!(Signature.as_str(), "signature");
    }
}
