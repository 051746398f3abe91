//! Plain data crossing the connector boundary: start/finish inputs and the
//! identity an upstream provider vouches for.

use serde::{Deserialize, Serialize};

/// What the login journey asks the upstream for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartRequest {
    /// ESIA scope names, e.g. `openid fullname birthdate snils`.
    pub scopes: Vec<String>,
    /// Our callback URL (must be registered at ESIA). Empty: the configured one.
    pub redirect_uri: String,
}

/// The server-side half of a started login. Serializable so the flow can store it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// Which connector issued it (`esia`).
    pub connector: String,
    /// The `state` UUID sent to the upstream; the callback must echo it.
    pub state: String,
    pub scopes: Vec<String>,
    pub redirect_uri: String,
    /// Unix seconds; a callback later than `created_at + state_ttl_secs` is refused.
    pub created_at: i64,
}

/// The query parameters of the upstream's redirect back to us.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Callback {
    pub state: Option<String>,
    pub code: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// How far ESIA vouches for the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountLevel {
    /// Подтверждённая: identity confirmed (`trusted`).
    Confirmed,
    /// Стандартная: SNILS and passport checked against registries.
    Standard,
    /// Упрощённая: name and a contact only.
    Simplified,
    /// Детская учётная запись (under 14), created by a parent.
    Child,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Male,
    Female,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    /// `EML`
    Email,
    /// `MBT`
    Mobile,
    /// `PHN`
    Phone,
    /// `CEM`
    WorkEmail,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub kind: ContactKind,
    pub value: String,
    /// ESIA `vrfStu == VERIFIED`.
    pub verified: bool,
}

/// An identity or birth document as ESIA reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// ESIA type: `RF_PASSPORT`, `RF_BRTH_CERT`, ...
    pub kind: String,
    pub series: Option<String>,
    pub number: Option<String>,
    /// ISO `YYYY-MM-DD`.
    pub issue_date: Option<String>,
    pub issued_by: Option<String>,
    /// Division code (`issueId`).
    pub issuer_code: Option<String>,
    /// Birth certificates: the civil registry act number.
    pub act_no: Option<String>,
    pub verified: bool,
}

/// A child listed in the person's ESIA profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Child {
    /// ESIA's id of the kid element (not necessarily the child's own oid).
    pub id: String,
    pub surname: Option<String>,
    pub given_name: Option<String>,
    pub patronymic: Option<String>,
    /// ISO `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    pub gender: Option<Gender>,
    /// As ESIA formats it: `XXX-XXX-XXX YY`.
    pub snils: Option<String>,
    pub documents: Vec<Document>,
}

/// The person the upstream vouches for. Fields outside the granted scopes are empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamIdentity {
    /// The upstream's `iss` (with the subject, the stable link key).
    pub issuer: String,
    /// ESIA oid.
    pub subject: String,
    /// ESIA `trusted`: the account is confirmed.
    pub trusted: bool,
    pub account_level: AccountLevel,
    pub surname: Option<String>,
    pub given_name: Option<String>,
    pub patronymic: Option<String>,
    /// ISO `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    pub gender: Option<Gender>,
    /// As ESIA formats it: `XXX-XXX-XXX YY`.
    pub snils: Option<String>,
    pub contacts: Vec<Contact>,
    pub documents: Vec<Document>,
    pub children: Vec<Child>,
    /// Scope names ESIA granted (without the `?oid=` suffix).
    pub granted_scopes: Vec<String>,
}
