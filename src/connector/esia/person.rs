//! Reading the person after login: `/rs/prns/{oid}`, then contacts, documents and
//! kids (with `embed`) according to the granted scopes; link-list elements are
//! fetched one by one, but only from ESIA's own origin.

use super::EsiaConnector;
use super::api::{self, Collection, Person, RawContact, RawDocument, RawKid};
use super::protocol::PRNS;
use super::token::Verified;
use crate::connector::{AccountLevel, ConnectorError, Document, Pending, UpstreamIdentity};
use serde::de::DeserializeOwned;

/// At most this many link elements are followed per collection.
const MAX_LINKS: usize = 50;

const DOC_SCOPES: &[&str] = &[
    "id_doc",
    "birth_cert_doc",
    "medical_doc",
    "military_doc",
    "foreign_passport_doc",
    "drivers_licence_doc",
    "residence_doc",
    "temporary_residence_doc",
];

impl EsiaConnector {
    async fn get_json<T: DeserializeOwned>(&self, url: url::Url, bearer: &str) -> Result<T, ConnectorError> {
        if url.origin() != self.base.origin() {
            return Err(ConnectorError::Protocol { code: None, message: "ESIA linked outside its origin".into() });
        }
        let answer = self.http.send(self.http.inner().get(url).bearer_auth(bearer)).await?;
        match answer.status {
            200 => serde_json::from_slice(&answer.body)
                .map_err(|_| ConnectorError::Protocol { code: None, message: "malformed REST answer".into() }),
            401 | 403 => Err(ConnectorError::InvalidToken(format!("REST answered HTTP {}", answer.status))),
            s if s >= 500 => Err(ConnectorError::Unavailable(format!("REST answered HTTP {s}"))),
            s => Err(ConnectorError::Protocol { code: None, message: format!("REST answered HTTP {s}") }),
        }
    }

    async fn collection<T: DeserializeOwned>(&self, url: url::Url, bearer: &str) -> Result<Vec<T>, ConnectorError> {
        let c: Collection = self.get_json(url, bearer).await?;
        self.elements(&c, bearer).await
    }

    async fn elements<T: DeserializeOwned>(&self, c: &Collection, bearer: &str) -> Result<Vec<T>, ConnectorError> {
        let mut out: Vec<T> = api::embedded(c);
        for link in api::links(c).into_iter().take(MAX_LINKS) {
            let url = url::Url::parse(&link)
                .map_err(|_| ConnectorError::Protocol { code: None, message: "bad element link".into() })?;
            out.push(self.get_json(url, bearer).await?);
        }
        Ok(out)
    }

    fn prns(&self, oid: &str, tail: &str, embed: bool) -> url::Url {
        let mut u = self.endpoint(&format!("{PRNS}/{oid}{tail}"));
        if embed {
            u.set_query(Some("embed=(elements)"));
        }
        u
    }

    pub(super) async fn read_person(
        &self,
        _pending: &Pending,
        v: Verified,
    ) -> Result<UpstreamIdentity, ConnectorError> {
        let has = |s: &str| v.granted.iter().any(|g| g == s);
        let bearer = v.access_token.as_str();
        let person: Person = self.get_json(self.prns(&v.oid, "", false), bearer).await?;
        let mut contacts = Vec::new();
        if has("email") || has("mobile") || has("contacts") {
            let raw: Vec<RawContact> = self.collection(self.prns(&v.oid, "/ctts", true), bearer).await?;
            contacts = raw.into_iter().filter_map(api::contact).collect();
        }
        let mut documents = Vec::new();
        if DOC_SCOPES.iter().any(|s| has(s)) {
            let raw: Vec<RawDocument> = self.collection(self.prns(&v.oid, "/docs", true), bearer).await?;
            documents = raw.into_iter().filter_map(api::document).collect();
        }
        let mut children = Vec::new();
        if v.granted.iter().any(|g| g.starts_with("kid_")) {
            let kids: Vec<RawKid> = self.collection(self.prns(&v.oid, "/kids", true), bearer).await?;
            for mut kid in kids {
                let docs: Vec<Document> = match kid.documents.take() {
                    Some(c) => {
                        self.elements::<RawDocument>(&c, bearer).await?.into_iter().filter_map(api::document).collect()
                    }
                    None => Vec::new(),
                };
                children.push(api::child(kid, docs));
            }
        }
        let trusted = person.trusted.unwrap_or(false);
        let account_level = if v.level.as_deref() == Some("KD") || person.kid_acc_created_by_parent == Some(true) {
            AccountLevel::Child
        } else if trusted {
            AccountLevel::Confirmed
        } else if person.snils.is_some() || v.level.as_deref() == Some("P") && documents.iter().any(|d| d.verified) {
            AccountLevel::Standard
        } else {
            AccountLevel::Simplified
        };
        Ok(UpstreamIdentity {
            issuer: v.issuer,
            subject: v.oid,
            trusted,
            account_level,
            surname: person.last_name,
            given_name: person.first_name,
            patronymic: person.middle_name,
            birth_date: person.birth_date.as_deref().and_then(super::protocol::iso_date),
            gender: api::gender(person.gender.as_deref()),
            snils: person.snils,
            contacts,
            documents,
            children,
            granted_scopes: v.granted,
        })
    }
}
