//! ESIA REST models (`/rs/prns/{oid}`, contacts, documents, kids), tolerant of
//! unknown fields, numeric or string ids and link-list or embedded collections,
//! and their mapping to the connector's plain types.

use super::protocol::iso_date;
use crate::connector::{Child, Contact, ContactKind, Document, Gender};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub middle_name: Option<String>,
    pub birth_date: Option<String>,
    pub gender: Option<String>,
    pub trusted: Option<bool>,
    pub snils: Option<String>,
    pub kid_acc_created_by_parent: Option<bool>,
    pub status: Option<String>,
}

/// A collection: `elements` are either embedded objects or absolute links.
#[derive(Debug, Default, Deserialize)]
pub struct Collection {
    #[serde(default)]
    pub elements: Vec<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawContact {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub vrf_stu: Option<String>,
    pub value: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawDocument {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub vrf_stu: Option<String>,
    pub series: Option<String>,
    pub number: Option<String>,
    pub issue_date: Option<String>,
    pub issued_by: Option<String>,
    pub issue_id: Option<String>,
    pub act_no: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawKid {
    pub id: Option<Value>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub middle_name: Option<String>,
    pub birth_date: Option<String>,
    pub gender: Option<String>,
    pub snils: Option<String>,
    pub documents: Option<Collection>,
}

pub fn gender(g: Option<&str>) -> Option<Gender> {
    match g? {
        "M" => Some(Gender::Male),
        "F" => Some(Gender::Female),
        _ => None,
    }
}

pub fn contact(c: RawContact) -> Option<Contact> {
    let kind = match c.kind.as_deref()? {
        "EML" => ContactKind::Email,
        "MBT" => ContactKind::Mobile,
        "PHN" => ContactKind::Phone,
        "CEM" => ContactKind::WorkEmail,
        _ => ContactKind::Other,
    };
    Some(Contact { kind, value: c.value?, verified: c.vrf_stu.as_deref() == Some("VERIFIED") })
}

pub fn document(d: RawDocument) -> Option<Document> {
    Some(Document {
        kind: d.kind?,
        series: d.series,
        number: d.number,
        issue_date: d.issue_date.as_deref().and_then(iso_date),
        issued_by: d.issued_by,
        issuer_code: d.issue_id,
        act_no: d.act_no,
        verified: d.vrf_stu.as_deref() == Some("VERIFIED"),
    })
}

/// Embedded elements of a collection parsed as `T` (links are resolved by the caller).
pub fn embedded<T: serde::de::DeserializeOwned>(c: &Collection) -> Vec<T> {
    c.elements.iter().filter(|v| v.is_object()).filter_map(|v| serde_json::from_value(v.clone()).ok()).collect()
}

/// Link elements of a collection.
pub fn links(c: &Collection) -> Vec<String> {
    c.elements.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()
}

pub fn child(k: RawKid, documents: Vec<Document>) -> Child {
    let id = match &k.id {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    Child {
        id,
        surname: k.last_name,
        given_name: k.first_name,
        patronymic: k.middle_name,
        birth_date: k.birth_date.as_deref().and_then(iso_date),
        gender: gender(k.gender.as_deref()),
        snils: k.snils,
        documents,
    }
}
