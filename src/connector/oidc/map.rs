//! OIDC claims (ID token, then UserInfo; names from `oidc.claims`) → [`UpstreamIdentity`].

use super::OidcConfig;
use crate::connector::{AccountLevel, ConnectorError, Contact, ContactKind, Gender, UpstreamIdentity};
use serde_json::{Map, Value};

type Claims = Map<String, Value>;

/// Builds the identity from verified ID-token claims; UserInfo fills what the ID
/// token lacks (the ID token wins where both have a claim). `iss` and `sub` come
/// only from the ID token.
pub(super) fn identity(
    cfg: &OidcConfig,
    id: &Claims,
    userinfo: Option<&Claims>,
    granted_scopes: Vec<String>,
) -> Result<UpstreamIdentity, ConnectorError> {
    let get = |name: &str| id.get(name).or_else(|| userinfo.and_then(|u| u.get(name)));
    let text =
        |name: &str| get(name).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(String::from);
    let flag = |name: &str| get(name).and_then(Value::as_bool).unwrap_or(false);
    let issuer = id.get("iss").and_then(Value::as_str).unwrap_or_default().to_string();
    let subject = id.get("sub").and_then(Value::as_str).unwrap_or_default().to_string();
    if issuer.is_empty() || subject.is_empty() {
        return Err(ConnectorError::InvalidToken("ID token without iss or sub".into()));
    }
    let trusted = !cfg.trusted_claim.is_empty() && flag(&cfg.trusted_claim);
    let mut contacts = Vec::new();
    if let Some(email) = text(&cfg.claims.email) {
        contacts.push(Contact { kind: ContactKind::Email, value: email, verified: flag("email_verified") });
    }
    if let Some(phone) = text(&cfg.claims.phone_number) {
        contacts.push(Contact { kind: ContactKind::Mobile, value: phone, verified: flag("phone_number_verified") });
    }
    let gender = match text("gender").as_deref() {
        Some("male") => Some(Gender::Male),
        Some("female") => Some(Gender::Female),
        _ => None,
    };
    let snils = if cfg.snils_claim.is_empty() { None } else { text(&cfg.snils_claim) };
    Ok(UpstreamIdentity {
        issuer,
        subject,
        trusted,
        account_level: if trusted { AccountLevel::Confirmed } else { AccountLevel::Simplified },
        surname: text(&cfg.claims.family_name),
        given_name: text(&cfg.claims.given_name),
        patronymic: text(&cfg.claims.middle_name),
        birth_date: text(&cfg.claims.birthdate).filter(|d| is_iso_date(d)),
        gender,
        snils,
        contacts,
        documents: Vec::new(),
        children: Vec::new(),
        granted_scopes,
    })
}

/// `YYYY-MM-DD` with a real calendar date (OIDC also allows `YYYY` or `0000-MM-DD`:
/// those are not a usable birth date and are dropped).
fn is_iso_date(s: &str) -> bool {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    s.len() == 10 && time::Date::parse(s, &format).is_ok_and(|d| d.year() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Claims {
        match v {
            Value::Object(m) => m,
            _ => Claims::new(),
        }
    }

    #[test]
    fn maps_standard_claims_and_prefers_the_id_token() {
        let cfg = OidcConfig { trusted_claim: "trusted".into(), ..OidcConfig::default() };
        let id = obj(json!({"iss": "https://op", "sub": "s1", "family_name": "Иванова", "birthdate": "1985-08-11",
            "email": "a@b.ru", "email_verified": true}));
        let ui = obj(json!({"sub": "s1", "family_name": "Other", "given_name": "Мария", "middle_name": "Петровна",
            "phone_number": "+79990000000", "trusted": true, "gender": "female"}));
        let p = identity(&cfg, &id, Some(&ui), vec!["openid".into()]).unwrap();
        assert_eq!(p.surname.as_deref(), Some("Иванова"));
        assert_eq!(p.given_name.as_deref(), Some("Мария"));
        assert_eq!(p.patronymic.as_deref(), Some("Петровна"));
        assert_eq!(p.birth_date.as_deref(), Some("1985-08-11"));
        assert_eq!(p.gender, Some(Gender::Female));
        assert!(p.trusted);
        assert_eq!(p.account_level, AccountLevel::Confirmed);
        assert_eq!(p.contacts.len(), 2);
        assert!(p.contacts[0].verified && !p.contacts[1].verified);
    }

    #[test]
    fn br_02_untrusted_by_default_and_needs_iss_sub() {
        let id = obj(json!({"iss": "https://op", "sub": "s1", "trusted": true, "birthdate": "0000-08-11"}));
        let p = identity(&OidcConfig::default(), &id, None, vec![]).unwrap();
        assert!(!p.trusted, "no trusted_claim configured");
        assert_eq!(p.account_level, AccountLevel::Simplified);
        assert_eq!(p.birth_date, None);
        let cfg = OidcConfig { trusted_claim: "trusted".into(), ..OidcConfig::default() };
        let s = obj(json!({"iss": "https://op", "sub": "s1", "trusted": "true"}));
        assert!(!identity(&cfg, &s, None, vec![]).unwrap().trusted, "only a JSON boolean counts");
        assert!(identity(&cfg, &obj(json!({"sub": "s1"})), None, vec![]).is_err());
    }
}
