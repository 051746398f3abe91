//! Sandbox personas (loaded from JSON, e.g. `config/esia-personas.json`) and their
//! REST views shaped like ESIA's, limited to the granted scopes.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PersonaFile {
    pub personas: Vec<Persona>,
}

/// `confirmed`, `standard`, `simplified` or `child`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountType {
    Confirmed,
    Standard,
    Simplified,
    Child,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Persona {
    pub login: String,
    pub password: String,
    pub oid: u64,
    pub account: AccountType,
    pub last_name: String,
    pub first_name: String,
    #[serde(default)]
    pub middle_name: Option<String>,
    /// `dd.MM.yyyy`
    pub birth_date: String,
    /// `M` or `F`
    pub gender: String,
    #[serde(default)]
    pub snils: Option<String>,
    #[serde(default)]
    pub inn: Option<String>,
    #[serde(default)]
    pub contacts: Vec<PersonaContact>,
    #[serde(default)]
    pub documents: Vec<PersonaDocument>,
    #[serde(default)]
    pub kids: Vec<PersonaKid>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonaContact {
    pub id: u64,
    /// `EML`, `MBT`, `PHN`, `CEM`
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
    #[serde(default)]
    pub verified: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonaDocument {
    pub id: u64,
    /// `RF_PASSPORT`, `RF_BRTH_CERT`, ...
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub series: Option<String>,
    #[serde(default)]
    pub number: Option<String>,
    #[serde(default)]
    pub issue_date: Option<String>,
    #[serde(default)]
    pub issued_by: Option<String>,
    #[serde(default)]
    pub issue_id: Option<String>,
    #[serde(default)]
    pub act_no: Option<String>,
    #[serde(default)]
    pub verified: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonaKid {
    pub id: u64,
    pub last_name: String,
    pub first_name: String,
    #[serde(default)]
    pub middle_name: Option<String>,
    pub birth_date: String,
    pub gender: String,
    #[serde(default)]
    pub snils: Option<String>,
    #[serde(default)]
    pub documents: Vec<PersonaDocument>,
}

/// A stable fake `eTag` (40 uppercase hex) for an object.
pub fn etag(seed: &str) -> String {
    hex::encode_upper(&crate::crypto::sha256(seed.as_bytes())[..20])
}

fn put(m: &mut Map<String, Value>, k: &str, v: &Option<String>) {
    if let Some(v) = v {
        m.insert(k.into(), Value::String(v.clone()));
    }
}

impl Persona {
    /// Matches the sandbox login field: login, any contact value or SNILS.
    pub fn answers_to(&self, login: &str) -> bool {
        let l = login.trim();
        self.login.eq_ignore_ascii_case(l)
            || self.snils.as_deref() == Some(l)
            || self.contacts.iter().any(|c| c.value.eq_ignore_ascii_case(l))
    }

    /// `/rs/prns/{oid}` with the fields the scopes allow.
    pub fn person_json(&self, has: &dyn Fn(&str) -> bool) -> Value {
        let mut m = Map::new();
        m.insert("stateFacts".into(), json!(["EntityRoot"]));
        m.insert("eTag".into(), json!(etag(&format!("prn{}", self.oid))));
        if has("fullname") {
            m.insert("firstName".into(), json!(self.first_name));
            m.insert("lastName".into(), json!(self.last_name));
            put(&mut m, "middleName", &self.middle_name);
        }
        if has("birthdate") {
            m.insert("birthDate".into(), json!(self.birth_date));
        }
        if has("gender") {
            m.insert("gender".into(), json!(self.gender));
        }
        if has("snils") {
            put(&mut m, "snils", &self.snils);
        }
        if has("inn") {
            put(&mut m, "inn", &self.inn);
        }
        m.insert("trusted".into(), json!(self.account == AccountType::Confirmed));
        m.insert("citizenship".into(), json!("RUS"));
        m.insert("updatedOn".into(), json!(1_735_689_600));
        m.insert("status".into(), json!("REGISTERED"));
        m.insert("verifying".into(), json!(false));
        m.insert("containsUpCfmCode".into(), json!(false));
        m.insert("kidAccCreatedByParent".into(), json!(self.account == AccountType::Child));
        Value::Object(m)
    }

    /// Contacts visible under the scopes (`email` → EML, `mobile` → MBT, `contacts` → all).
    pub fn contacts_json(&self, has: &dyn Fn(&str) -> bool) -> Vec<(u64, Value)> {
        self.contacts
            .iter()
            .filter(|c| has("contacts") || (has("email") && c.kind == "EML") || (has("mobile") && c.kind == "MBT"))
            .map(|c| {
                let v = json!({
                    "stateFacts": ["Identifiable"], "id": c.id, "type": c.kind,
                    "vrfStu": if c.verified { "VERIFIED" } else { "NOT_VERIFIED" },
                    "value": c.value, "eTag": etag(&format!("ctt{}", c.id)),
                });
                (c.id, v)
            })
            .collect()
    }

    /// Documents visible under the scopes (`id_doc` → passports, `birth_cert_doc` → birth certificates).
    pub fn documents_json(&self, has: &dyn Fn(&str) -> bool) -> Vec<(u64, Value)> {
        self.documents.iter().filter(|d| doc_allowed(&d.kind, has, "")).map(|d| (d.id, document_json(d))).collect()
    }

    /// Kids with the fields the `kid_*` scopes allow.
    pub fn kids_json(&self, has: &dyn Fn(&str) -> bool) -> Vec<(u64, Value)> {
        self.kids
            .iter()
            .map(|k| {
                let mut m = Map::new();
                m.insert("stateFacts".into(), json!(["Identifiable"]));
                m.insert("id".into(), json!(k.id));
                m.insert("eTag".into(), json!(etag(&format!("kid{}", k.id))));
                if has("kid_fullname") {
                    m.insert("firstName".into(), json!(k.first_name));
                    m.insert("lastName".into(), json!(k.last_name));
                    put(&mut m, "middleName", &k.middle_name);
                }
                if has("kid_birthdate") {
                    m.insert("birthDate".into(), json!(k.birth_date));
                }
                if has("kid_gender") {
                    m.insert("gender".into(), json!(k.gender));
                }
                if has("kid_snils") {
                    put(&mut m, "snils", &k.snils);
                }
                let docs: Vec<Value> =
                    k.documents.iter().filter(|d| doc_allowed(&d.kind, has, "kid_")).map(document_json).collect();
                if !docs.is_empty() {
                    m.insert(
                        "documents".into(),
                        json!({"stateFacts": ["hasSize"], "size": docs.len(), "elements": docs}),
                    );
                }
                (k.id, Value::Object(m))
            })
            .collect()
    }
}

fn doc_allowed(kind: &str, has: &dyn Fn(&str) -> bool, prefix: &str) -> bool {
    let scope = match kind {
        "RF_PASSPORT" | "FID_DOC" => "id_doc",
        "RF_BRTH_CERT" | "FID_BRTH_CERT" | "OLD_BRTH_CERT" => "birth_cert_doc",
        "MDCL_PLCY" => "medical_doc",
        "RF_DRIVING_LICENSE" => "drivers_licence_doc",
        "FRGN_PASS" => "foreign_passport_doc",
        "MLTR_ID" => "military_doc",
        _ => return false,
    };
    has(&format!("{prefix}{scope}"))
}

fn document_json(d: &PersonaDocument) -> Value {
    let mut m = Map::new();
    m.insert("stateFacts".into(), json!(["Identifiable"]));
    m.insert("id".into(), json!(d.id));
    m.insert("type".into(), json!(d.kind));
    m.insert("vrfStu".into(), json!(if d.verified { "VERIFIED" } else { "NOT_VERIFIED" }));
    put(&mut m, "series", &d.series);
    put(&mut m, "number", &d.number);
    put(&mut m, "issueDate", &d.issue_date);
    put(&mut m, "issuedBy", &d.issued_by);
    put(&mut m, "issueId", &d.issue_id);
    put(&mut m, "actNo", &d.act_no);
    m.insert("eTag".into(), json!(etag(&format!("doc{}", d.id))));
    Value::Object(m)
}
