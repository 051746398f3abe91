//! Claims by scope (pure): the `sub` a client sees and the user claims each granted
//! scope releases. Nothing beyond this table is ever released (IT-05: no SNILS, no
//! documents, no ESIA attributes).

use super::scope::Scopes;
use crate::crypto::{b64, hmac_sha256};
use crate::store::{Account, Class, Client, Organisation};
use serde_json::{Map, Value, json};

/// The `sub` for `client` of the account whose local subject is `local`
/// ([`Account::subject`]; docs/subjects.md): `local` itself for subject type
/// `public`; for `pairwise`, base64url(HMAC-SHA256(key, sector ‖ "|" ‖ local)) with
/// the client's [`sector`]. Any subject type other than `pairwise` is `public`.
/// Accounts older than migration 0010 have their id as local subject, so their
/// pairwise subjects are the ones they always had.
pub fn subject(local: &str, client: &Client, pairwise_key: &[u8; 32]) -> String {
    if client.subject_type != "pairwise" {
        return local.to_owned();
    }
    let material = format!("{}|{local}", sector(client));
    b64(&hmac_sha256(pairwise_key, material.as_bytes()))
}

/// The sector of a client (OIDC Core §8.1): the host of its `sector_identifier_uri`,
/// else the host of its (first) redirect URI — registration refuses a pairwise client
/// whose redirect URIs span several hosts without a sector identifier — else its id.
pub fn sector(client: &Client) -> String {
    let host = |u: &String| url::Url::parse(u).ok().and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    client
        .sector_identifier_uri
        .as_ref()
        .and_then(host)
        .or_else(|| client.redirect_uris.first().and_then(host))
        .unwrap_or_else(|| client.id.clone())
}

/// The claims of `scope`, for discovery and consent pages.
pub fn scope_claims(scope: &str) -> &'static [&'static str] {
    match scope {
        "profile" => &["family_name", "given_name", "middle_name", "name", "birthdate"],
        "email" => &["email", "email_verified"],
        "phone" => &["phone_number", "phone_number_verified"],
        "school" => &["school"],
        _ => &[],
    }
}

/// Every claim propusk may put in an ID token or UserInfo (`claims_supported`).
pub fn supported_claims() -> &'static [&'static str] {
    &[
        "sub",
        "iss",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "acr",
        "amr",
        "at_hash",
        "sid",
        "family_name",
        "given_name",
        "middle_name",
        "name",
        "birthdate",
        "email",
        "email_verified",
        "phone_number",
        "phone_number_verified",
        "school",
        "children",
    ]
}

/// The user claims released by `scopes` (for the ID token's extra claims and UserInfo).
pub fn user_claims(
    scopes: &Scopes,
    account: &Account,
    org: Option<&Organisation>,
    class: Option<&Class>,
) -> Map<String, Value> {
    let mut out = Map::new();
    if scopes.contains("profile") {
        out.insert("family_name".into(), json!(account.surname));
        out.insert("given_name".into(), json!(account.given_name));
        let middle = account.patronymic.as_deref().map(str::trim).filter(|p| !p.is_empty());
        if let Some(middle) = middle {
            out.insert("middle_name".into(), json!(middle));
        }
        let name: Vec<&str> = [Some(account.surname.as_str()), Some(account.given_name.as_str()), middle]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        out.insert("name".into(), json!(name.join(" ")));
        out.insert("birthdate".into(), json!(account.birth_date));
    }
    if scopes.contains("email")
        && let Some(email) = account.email.as_deref().filter(|e| !e.is_empty())
    {
        out.insert("email".into(), json!(email));
        out.insert("email_verified".into(), json!(false));
    }
    if scopes.contains("phone")
        && let Some(phone) = account.phone.as_deref().filter(|p| !p.is_empty())
    {
        out.insert("phone_number".into(), json!(phone));
        out.insert("phone_number_verified".into(), json!(false));
    }
    if scopes.contains("school") {
        let mut school = Map::new();
        school.insert("organisation_id".into(), json!(account.organisation_id));
        if let Some(org) = org.filter(|o| o.id == account.organisation_id) {
            school.insert("organisation_name".into(), json!(org.name));
        }
        school.insert("role".into(), json!(account.role.as_str()));
        if let Some(class) = class.filter(|c| Some(&c.id) == account.class_id.as_ref()) {
            school.insert("class".into(), json!(class.name));
        }
        out.insert("school".into(), Value::Object(school));
    }
    out
}

#[cfg(test)]
#[path = "claims_tests.rs"]
mod tests;
