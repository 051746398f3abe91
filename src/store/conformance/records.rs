//! Conformance checks, part 1: every record round-trips, imports are
//! all-or-nothing, expiry hides records, unique violations are conflicts, and
//! the revoking side effects of consent, logout and client removal.

use super::fixtures::*;
use super::harness::{T0, TestDb};
use crate::audit::AuditEvent;
use crate::store::*;

pub async fn open_picks_backend_from_url(db: &mut TestDb) {
    let opened = crate::store::open(&db.url, 2, db.clock.clone()).await.unwrap();
    assert_eq!(opened.backend(), db.store().backend());
    opened.ping().await.unwrap();
    let bad = crate::store::open("mysql://localhost/x", 2, db.clock.clone()).await;
    assert!(matches!(bad, Err(StoreError::Backend(_))));
}

fn sample_batch() -> DirectoryBatch {
    let mut pupil = account("acc-pupil", "org-1", "pupil1", Role::Pupil);
    pupil.class_id = Some("cls-1".into());
    pupil.patronymic = None;
    pupil.snils_hash = None;
    DirectoryBatch {
        organisations: vec![organisation("org-1"), organisation("org-2")],
        classes: vec![class("cls-1", "org-1")],
        accounts: vec![
            account("acc-1", "org-1", "parent1", Role::Parent),
            pupil,
            account("acc-staff", "org-2", "t", Role::Staff),
        ],
        relations: vec![Relation { parent_id: "acc-1".into(), child_id: "acc-pupil".into(), confirmed_via_esia: true }],
    }
}

pub async fn directory_round_trip(db: &mut TestDb) {
    let s = db.store();
    let batch = sample_batch();
    s.import_directory(&batch, &event()).await.unwrap();

    assert_eq!(s.organisations().await.unwrap(), batch.organisations);
    assert_eq!(s.organisation("org-2").await.unwrap(), Some(batch.organisations[1].clone()));
    assert_eq!(s.organisation("nope").await.unwrap(), None);
    assert_eq!(s.classes("org-1").await.unwrap(), batch.classes);
    assert_eq!(s.all_classes().await.unwrap(), batch.classes);
    assert_eq!(s.class("cls-1").await.unwrap(), Some(batch.classes[0].clone()));
    for a in &batch.accounts {
        assert_eq!(s.account(&a.id).await.unwrap().as_ref(), Some(a));
        assert_eq!(s.account_by_login(&a.organisation_id, &a.login).await.unwrap().as_ref(), Some(a));
    }
    assert_eq!(s.account_by_login("org-2", "parent1").await.unwrap(), None);
    let parents = s.accounts_by_match_key("mk-ivanova", Role::Parent).await.unwrap();
    assert_eq!(parents, vec![batch.accounts[0].clone()]);
    assert!(s.accounts_by_match_key("other", Role::Parent).await.unwrap().is_empty());
    assert_eq!(s.children("acc-1").await.unwrap(), batch.relations);

    // Re-import upserts by id and ignores known relations.
    let mut again = sample_batch();
    again.organisations[0].name = "Гимназия №1".into();
    again.accounts[0].login = "parent-renamed".into();
    again.relations[0].confirmed_via_esia = false;
    s.import_directory(&again, &event()).await.unwrap();
    assert_eq!(s.organisation("org-1").await.unwrap().unwrap().name, "Гимназия №1");
    assert!(s.account_by_login("org-1", "parent-renamed").await.unwrap().is_some());
    assert!(s.children("acc-1").await.unwrap()[0].confirmed_via_esia);

    s.set_password_hash("acc-1", "$argon2id$new", &AuditEvent::PasswordRehashed { account_id: "acc-1".into() })
        .await
        .unwrap();
    assert_eq!(s.account("acc-1").await.unwrap().unwrap().password_hash, "$argon2id$new");
    assert!(matches!(s.set_password_hash("nope", "x", &event()).await, Err(StoreError::NotFound)));
    assert_eq!(audit_kinds(s).await, ["demo_seeded", "demo_seeded", "password_rehashed"]);
}

pub async fn directory_import_all_or_nothing(db: &mut TestDb) {
    let s = db.store();
    let mut batch = sample_batch();
    // Same (organisation, login) as acc-1 under another id: the last row fails.
    batch.accounts.push(account("acc-clash", "org-1", "parent1", Role::Parent));
    let err = s.import_directory(&batch, &event()).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert!(s.organisations().await.unwrap().is_empty());
    assert_eq!(s.account("acc-1").await.unwrap(), None);
    assert!(s.audit_records(0, 10).await.unwrap().is_empty());

    // A dangling reference (class of an unknown organisation) aborts too.
    let mut dangling = sample_batch();
    dangling.classes.push(class("cls-x", "org-missing"));
    assert!(s.import_directory(&dangling, &event()).await.is_err());
    assert!(s.organisations().await.unwrap().is_empty());
}

pub async fn settings_round_trip(db: &mut TestDb) {
    let s = db.store();
    assert_eq!(s.setting("demo_seeded").await.unwrap(), None);
    s.put_setting("demo_seeded", "1", None).await.unwrap();
    s.put_setting("demo_seeded", "2", Some(&event())).await.unwrap();
    assert_eq!(s.setting("demo_seeded").await.unwrap().as_deref(), Some("2"));
    assert_eq!(audit_kinds(s).await, ["demo_seeded"]);
}

pub async fn clients_round_trip(db: &mut TestDb) {
    let s = db.store();
    let mut c = client("rp");
    s.insert_client(&c, &AuditEvent::ClientAdded { client_id: "rp".into(), by: "cli".into() }).await.unwrap();
    let mut public = client("app");
    public.secret_hash = None;
    public.auth_method = AuthMethod::None;
    public.consent = ConsentMode::Implicit;
    s.insert_client(&public, &event()).await.unwrap();
    assert_eq!(s.client("rp").await.unwrap(), Some(c.clone()));
    assert_eq!(s.clients().await.unwrap(), vec![public.clone(), c.clone()]);
    assert_eq!(s.client("nope").await.unwrap(), None);

    c.redirect_uris.push("https://rp.example/cb2".into());
    c.updated_at = T0 + 5;
    c.display_name = Some("Дневник".into());
    c.previous_secret_hash = Some("sha256$old$hash".into());
    c.previous_secret_until = Some(T0 + 60);
    let changed = AuditEvent::ClientChanged { client_id: "rp".into(), by: "cli".into() };
    let want = c.clone();
    assert_eq!(s.change_client("rp", &|_| Some(want.clone()), &changed).await.unwrap(), Some(c.clone()));
    assert_eq!(s.client("rp").await.unwrap(), Some(c));
    assert_eq!(s.change_client("rp", &|_| None, &changed).await.unwrap(), None, "refused: nothing stored");
    assert!(matches!(s.change_client("nope", &|c| Some(c.clone()), &event()).await, Err(StoreError::NotFound)));
    assert_eq!(audit_kinds(s).await, ["client_added", "demo_seeded", "client_changed"]);
}

pub async fn client_changes_at_once_apply_one_after_the_other(db: &mut TestDb) {
    let s = db.shared();
    s.insert_client(&client("rp"), &event()).await.unwrap();
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                let add = move |c: &Client| {
                    let mut c = c.clone();
                    c.redirect_uris.push(format!("https://rp.example/cb{i}"));
                    Some(c)
                };
                s.change_client("rp", &add, &AuditEvent::ClientChanged { client_id: "rp".into(), by: "cli".into() })
                    .await
                    .unwrap()
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let uris = s.client("rp").await.unwrap().unwrap().redirect_uris;
    assert_eq!(uris.len(), 2 + 10, "no change lost: {uris:?}");
}

pub async fn signing_keys_round_trip(db: &mut TestDb) {
    let s = db.store();
    let key = |kid: &str, at: i64| StoredKey {
        kid: kid.into(),
        alg: "RS256".into(),
        private_jwk_enc: vec![0, 1, 2, 255, 254],
        public_jwk: format!(r#"{{"kid":"{kid}"}}"#),
        created_at: at,
        activates_at: at + 60,
        retire_at: None,
    };
    let (k1, k2) = (key("k1", T0), key("k2", T0 + 10));
    s.add_signing_key(&k2, &event()).await.unwrap();
    s.add_signing_key(&k1, &event()).await.unwrap();
    assert_eq!(s.signing_keys().await.unwrap(), vec![k1, k2]);
}

/// `keys retire`: refused for the key that signs and for an unknown kid, stored with
/// its audit event otherwise; a next key may be retired and no longer becomes active.
pub async fn signing_keys_retire(db: &mut TestDb) {
    let s = db.store();
    let key = |kid: &str, created: i64, starts: i64| StoredKey {
        kid: kid.into(),
        alg: "ES256".into(),
        private_jwk_enc: vec![7],
        public_jwk: format!(r#"{{"kid":"{kid}"}}"#),
        created_at: created,
        activates_at: starts,
        retire_at: None,
    };
    for k in [key("old", T0, T0), key("cur", T0 + 1, T0 + 10), key("nxt", T0 + 2, T0 + 1000)] {
        s.add_signing_key(&k, &event()).await.unwrap();
    }
    db.clock.set(T0 + 20);
    let retired = |kid: &str| AuditEvent::KeyRetired { kid: kid.into(), alg: "ES256".into(), retire_at: T0 + 100 };
    let (head, _) = s.audit_head().await.unwrap();
    assert_eq!(s.retire_signing_key("nope", T0 + 100, &retired("nope")).await.unwrap(), RetireOutcome::Unknown);
    assert_eq!(s.retire_signing_key("cur", T0 + 100, &retired("cur")).await.unwrap(), RetireOutcome::Active);
    assert_eq!(s.audit_head().await.unwrap().0, head, "a refused retire writes no audit event");
    assert_eq!(s.retire_signing_key("old", T0 + 100, &retired("old")).await.unwrap(), RetireOutcome::Retired);
    assert_eq!(s.retire_signing_key("nxt", T0 + 100, &retired("nxt")).await.unwrap(), RetireOutcome::Retired);
    let after = s.audit_records(head, 10).await.unwrap();
    let kinds: Vec<&str> = after.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(kinds, ["key_retired", "key_retired"]);
    let stored = s.signing_keys().await.unwrap();
    let at = |kid: &str| stored.iter().find(|k| k.kid == kid).unwrap().retire_at;
    assert_eq!((at("old"), at("cur"), at("nxt")), (Some(T0 + 100), None, Some(T0 + 100)));
    // The retired next key never takes over: `cur` still signs, so it is still refused.
    db.clock.set(T0 + 2000);
    assert_eq!(s.retire_signing_key("cur", T0 + 3000, &retired("cur")).await.unwrap(), RetireOutcome::Active);
    assert_eq!(s.retire_signing_key("old", T0 + 3000, &retired("old")).await.unwrap(), RetireOutcome::AlreadyRetired);
    // Twice at once, the key that signs is refused both times and nothing is written.
    let (head, _) = s.audit_head().await.unwrap();
    let event = retired("cur");
    let (a, b) =
        tokio::join!(s.retire_signing_key("cur", T0 + 3000, &event), s.retire_signing_key("cur", T0 + 3000, &event));
    assert_eq!((a.unwrap(), b.unwrap()), (RetireOutcome::Active, RetireOutcome::Active));
    assert_eq!(s.audit_head().await.unwrap().0, head);
    assert_eq!(s.signing_keys().await.unwrap().iter().find(|k| k.kid == "cur").unwrap().retire_at, None);
}

pub async fn sessions_and_flows_expire(db: &mut TestDb) {
    let s = db.store();
    let sess = session("sid-1", "acc-1", 100);
    s.create_session(&sess, &event()).await.unwrap();
    assert_eq!(s.session("sid-1").await.unwrap(), Some(sess));
    let flow = FlowRecord { id: "flow-1".into(), data: r#"{"step":"login"}"#.into(), expires_at: T0 + 50, version: 0 };
    s.put_flow(&flow).await.unwrap();
    // Of two replaces of one version, one wins.
    let (one, two) = (FlowRecord { data: "1".into(), ..flow.clone() }, FlowRecord { data: "2".into(), ..flow.clone() });
    let (a, b) = tokio::join!(s.replace_flow(&one, 0), s.replace_flow(&two, 0));
    assert!(a.unwrap() ^ b.unwrap(), "exactly one replace of version 0");
    let replaced = FlowRecord { data: r#"{"step":"consent"}"#.into(), ..flow };
    assert!(s.replace_flow(&replaced, 1).await.unwrap());
    assert_eq!(s.flow("flow-1").await.unwrap(), Some(FlowRecord { version: 2, ..replaced.clone() }));
    s.put_flow(&replaced).await.unwrap();
    assert_eq!(s.flow("flow-1").await.unwrap().unwrap().version, 2, "a put keeps the version");
    assert!(!s.replace_flow(&FlowRecord { id: "nope".into(), ..replaced }, 0).await.unwrap());
    s.put_flow(&FlowRecord { id: "flow-2".into(), data: "{}".into(), expires_at: T0 + 500, version: 0 }).await.unwrap();
    s.delete_flow("flow-2").await.unwrap();
    assert_eq!(s.flow("flow-2").await.unwrap(), None);

    db.clock.set(T0 + 50);
    assert_eq!(s.flow("flow-1").await.unwrap(), None);
    assert!(s.session("sid-1").await.unwrap().is_some());
    db.clock.set(T0 + 100);
    assert_eq!(s.session("sid-1").await.unwrap(), None);

    s.insert_code(&code("c-1", "g-1", None)).await.unwrap();
    assert_eq!(s.purge_expired().await.unwrap(), 3, "session, flow and code");
    assert_eq!(s.purge_expired().await.unwrap(), 0);
}

pub async fn codes_grants_tokens_consents_round_trip(db: &mut TestDb) {
    let s = db.store();
    let c = code("c-1", "g-1", Some("sid-1"));
    assert!(matches!(s.insert_code(&c).await, Err(StoreError::NotFound)), "no code without its session");
    s.create_session(&session("sid-1", "acc-1", 3600), &event()).await.unwrap();
    s.insert_code(&c).await.unwrap();
    assert_eq!(s.code("c-1").await.unwrap(), Some(c));
    assert_eq!(s.code("nope").await.unwrap(), None);

    issued_grant(s, "g-2", "rt-1", None).await;
    let (token, grant) = s.refresh_token("rt-1").await.unwrap().unwrap();
    assert_eq!(token, refresh("rt-1", "g-2"));
    assert_eq!(grant, super::fixtures::grant("g-2", "acc-1", "rp", None));
    assert_eq!(s.grant("g-2").await.unwrap(), Some(grant));
    assert_eq!(s.code("code-g-2").await.unwrap().unwrap().consumed_at, Some(T0));
    assert_eq!(s.refresh_token("nope").await.unwrap(), None);

    assert!(!s.token_id_revoked("jti-1").await.unwrap());
    s.revoke_token_id("jti-1", T0 + 300, &event()).await.unwrap();
    s.revoke_token_id("jti-1", T0 + 300, &event()).await.unwrap();
    assert!(s.token_id_revoked("jti-1").await.unwrap());

    let consent =
        Consent { account_id: "acc-1".into(), client_id: "rp".into(), scope: "openid".into(), granted_at: T0 };
    s.put_consent(&consent, &event()).await.unwrap();
    let wider = Consent { scope: "openid profile".into(), ..consent };
    s.put_consent(&wider, &event()).await.unwrap();
    assert_eq!(s.consent("acc-1", "rp").await.unwrap(), Some(wider.clone()));
    assert_eq!(s.consents("acc-1").await.unwrap(), vec![wider]);
    assert_eq!(s.consent("acc-1", "other").await.unwrap(), None);

    s.burn_code("c-1", &AuditEvent::CodeRejected { client_id: "rp".into(), reason: "pkce_mismatch".into() })
        .await
        .unwrap();
    assert!(s.code("c-1").await.unwrap().unwrap().consumed_at.is_some());
}

pub async fn unique_violations_are_conflicts(db: &mut TestDb) {
    let s = db.store();
    s.insert_client(&client("rp"), &event()).await.unwrap();
    let err = s.insert_client(&client("rp"), &event()).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    s.insert_code(&code("c-1", "g-1", None)).await.unwrap();
    assert!(matches!(s.insert_code(&code("c-1", "g-9", None)).await, Err(StoreError::Conflict(_))));
    s.create_session(&session("sid", "acc-1", 60), &event()).await.unwrap();
    assert!(matches!(s.create_session(&session("sid", "acc-2", 60), &event()).await, Err(StoreError::Conflict(_))));
    // Failed writes leave no audit row behind.
    assert_eq!(audit_kinds(s).await.len(), 2);
}

pub async fn consent_revoke_revokes_grants(db: &mut TestDb) {
    let s = db.store();
    let consent =
        Consent { account_id: "acc-1".into(), client_id: "rp".into(), scope: "openid".into(), granted_at: T0 };
    s.put_consent(&consent, &event()).await.unwrap();
    issued_grant(s, "g-1", "rt-1", None).await;
    let ev = AuditEvent::ConsentRevoked { account_id: "acc-1".into(), client_id: "rp".into(), by: None };
    s.revoke_consent("acc-1", "rp", &ev).await.unwrap();
    assert_eq!(s.consent("acc-1", "rp").await.unwrap(), None);
    assert!(is_revoked(s, "g-1").await);
    assert_eq!(rotate(s, "rt-1", "rt-2").await, "invalid");
}

pub async fn consents_of_client_page_by_account(db: &mut TestDb) {
    let s = db.store();
    for (account, client) in [("acc-3", "rp"), ("acc-1", "rp"), ("acc-2", "rp"), ("acc-1", "other")] {
        let c =
            Consent { account_id: account.into(), client_id: client.into(), scope: "openid".into(), granted_at: T0 };
        s.put_consent(&c, &event()).await.unwrap();
    }
    let ids = |v: Vec<Consent>| v.into_iter().map(|c| c.account_id).collect::<Vec<_>>();
    assert_eq!(ids(s.consents_of_client("rp", None, 2).await.unwrap()), ["acc-1", "acc-2"]);
    assert_eq!(ids(s.consents_of_client("rp", Some("acc-2"), 2).await.unwrap()), ["acc-3"]);
    assert!(s.consents_of_client("rp", Some("acc-3"), 2).await.unwrap().is_empty());
    assert!(s.consents_of_client("nobody", None, 2).await.unwrap().is_empty());
    let ev = AuditEvent::ConsentRevoked { account_id: "acc-2".into(), client_id: "rp".into(), by: Some("adm".into()) };
    s.revoke_consent("acc-2", "rp", &ev).await.unwrap();
    assert_eq!(ids(s.consents_of_client("rp", None, 10).await.unwrap()), ["acc-1", "acc-3"]);
    assert_eq!(ids(s.consents_of_client("other", None, 10).await.unwrap()), ["acc-1"]);
}

pub async fn end_session_revokes_grants(db: &mut TestDb) {
    let s = db.store();
    s.create_session(&session("sid-1", "acc-1", 3600), &event()).await.unwrap();
    issued_grant(s, "g-1", "rt-1", Some("sid-1")).await;
    issued_grant(s, "g-2", "rt-2", Some("sid-other")).await;
    let ev = AuditEvent::Logout { account_id: "acc-1".into(), session_id: "sid-1".into() };
    s.end_session("sid-1", &ev).await.unwrap();
    assert_eq!(s.session("sid-1").await.unwrap(), None);
    assert!(is_revoked(s, "g-1").await);
    assert!(!is_revoked(s, "g-2").await);
    assert_eq!(audit_kinds(s).await.last().map(String::as_str), Some("logout"));
}

pub async fn remove_client_revokes_grants(db: &mut TestDb) {
    let s = db.store();
    s.insert_client(&client("rp"), &event()).await.unwrap();
    issued_grant(s, "g-1", "rt-1", None).await;
    s.insert_code(&code("c-pending", "g-2", None)).await.unwrap();
    let ev = AuditEvent::ClientRemoved { client_id: "rp".into(), by: "cli".into() };
    assert!(s.remove_client("rp", &ev).await.unwrap());
    assert!(!s.remove_client("rp", &ev).await.unwrap());
    assert_eq!(s.client("rp").await.unwrap(), None);
    assert!(is_revoked(s, "g-1").await);
    assert_eq!(s.code("c-pending").await.unwrap(), None);
    let kinds = audit_kinds(s).await;
    assert_eq!(kinds.iter().filter(|k| *k == "client_removed").count(), 1);
}
