//! Conformance checks of a client's `logo_uri` (migration 0024): stored with the
//! client, changed and removed by a change, on both backends.

use super::fixtures::*;
use super::harness::TestDb;
use crate::audit::AuditEvent;
use crate::store::*;

pub async fn client_logo_uri_stored_changed_and_removed(db: &mut TestDb) {
    let s = db.store();
    let logo = "https://cdn.example:8443/logos/diary.png?v=2";
    let c = Client { logo_uri: Some(logo.into()), ..client("rp") };
    s.insert_client(&c, &AuditEvent::ClientAdded { client_id: "rp".into(), by: "cli".into() }).await.unwrap();
    assert_eq!(s.client("rp").await.unwrap().and_then(|c| c.logo_uri).as_deref(), Some(logo));
    assert_eq!(s.client("rp").await.unwrap(), Some(c.clone()), "the rest unchanged");

    let changed = AuditEvent::ClientChanged { client_id: "rp".into(), by: "cli".into() };
    let other = "https://school.example/logo.svg";
    let to_other = |c: &Client| Some(Client { logo_uri: Some(other.into()), ..c.clone() });
    let out = s.change_client("rp", &to_other, &changed).await.unwrap();
    assert_eq!(out.and_then(|c| c.logo_uri).as_deref(), Some(other));
    assert_eq!(s.client("rp").await.unwrap().and_then(|c| c.logo_uri).as_deref(), Some(other));
    s.change_client("rp", &|c| Some(Client { logo_uri: None, ..c.clone() }), &changed).await.unwrap();
    assert_eq!(s.client("rp").await.unwrap().map(|c| c.logo_uri), Some(None), "removed");
    let plain = client("plain");
    s.insert_client(&plain, &event()).await.unwrap();
    assert_eq!(s.client("plain").await.unwrap().map(|c| c.logo_uri), Some(None), "none unless given");
}
