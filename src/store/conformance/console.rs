//! Conformance checks of [`crate::store::console::AccountConsole`]: search by the
//! folded name or the login within organisations, `name_key` filled after migrating,
//! an account's live sessions and grants, and the administrator's changes with their
//! events.

use super::fixtures::*;
use super::harness::TestDb;
use crate::audit::AuditEvent;
use crate::store::console::{AccountSearch, Disabled, SearchKey};
use crate::store::*;

fn person(id: &str, org: &str, login: &str, names: (&str, &str, Option<&str>)) -> Account {
    let mut a = account(id, org, login, Role::Parent);
    a.surname = names.0.into();
    a.given_name = names.1.into();
    a.patronymic = names.2.map(Into::into);
    a
}

async fn with_people(s: &dyn Store) {
    let batch = DirectoryBatch {
        organisations: vec![organisation("org-1"), organisation("org-2")],
        accounts: vec![
            person("a-elkina", "org-1", "elkina", ("Ёлкина", "Алёна", Some("Петровна"))),
            person("a-ivanova", "org-1", "ivanova.m", ("Иванова", "Мария", None)),
            person("a-rk", "org-1", "rk", ("Римский-Корсаков", "Николай", Some("Андреевич"))),
            person("a-ivanov", "org-2", "ivanov", ("ИВАНОВ", "Пётр", None)),
        ],
        ..Default::default()
    };
    s.import_directory(&batch, &event()).await.unwrap();
}

async fn found(s: &dyn Store, orgs: Option<&[String]>, q: &[&str], login: &str) -> Vec<String> {
    let words: Vec<String> = q.iter().map(|w| (*w).to_owned()).collect();
    let search = AccountSearch { organisations: orgs, words: &words, login, limit: 50, after: None };
    let mut logins: Vec<String> = s.search_accounts(&search).await.unwrap().into_iter().map(|a| a.login).collect();
    // By name; the order of names is the database's collation, so compared sorted.
    logins.sort();
    logins
}

pub async fn console_search_by_folded_name_or_login(db: &mut TestDb) {
    let s = db.store();
    with_people(s).await;
    let one = ["org-1".to_owned()];
    let org1 = Some(&one[..]);
    assert_eq!(found(s, org1, &["елк"], "").await, ["elkina"]);
    assert_eq!(found(s, org1, &["алена", "елкина"], "").await, ["elkina"]);
    assert_eq!(found(s, org1, &["иванов"], "").await, ["ivanova.m"], "org-2's Иванов is not searched");
    assert_eq!(found(s, None, &["иванов"], "").await, ["ivanov", "ivanova.m"]);
    assert_eq!(found(s, org1, &["корсаков"], "").await, ["rk"], "each part of a hyphenated name is a word");
    assert_eq!(found(s, org1, &["ванова"], "").await, Vec::<String>::new(), "a word's middle is no prefix");
    assert_eq!(found(s, org1, &["мария", "петровна"], "").await, Vec::<String>::new());
    assert_eq!(found(s, org1, &["zzz"], "ivanova").await, ["ivanova.m"], "or a prefix of the login");
    assert_eq!(found(s, None, &[], "iv_").await, Vec::<String>::new(), "`_` is no wildcard");
    assert_eq!(found(s, org1, &[], "").await.len(), 3, "no query: the organisation's accounts");
    assert_eq!(found(s, Some(&[]), &[], "").await, Vec::<String>::new());
    let words = ["и".to_owned()];
    let limited = AccountSearch { organisations: None, words: &words, login: "", limit: 1, after: None };
    assert_eq!(s.search_accounts(&limited).await.unwrap().len(), 1);
}

/// Imports `people` (id, organisation, surname, given name) with the id as login.
async fn import_people(s: &dyn Store, people: &[(&str, &str, &str, &str)]) {
    let accounts = people.iter().map(|(id, org, sur, given)| person(id, org, id, (sur, given, None))).collect();
    let batch = DirectoryBatch {
        organisations: vec![organisation("org-1"), organisation("org-2")],
        accounts,
        ..Default::default()
    };
    s.import_directory(&batch, &event()).await.unwrap();
}

/// One page of `orgs`' accounts (every name) after `after`, as ids.
async fn page_after(s: &dyn Store, orgs: &[String], after: Option<&SearchKey>, limit: i64) -> Vec<Account> {
    let search = AccountSearch { organisations: Some(orgs), words: &[], login: "", limit, after };
    s.search_accounts(&search).await.unwrap()
}

pub async fn console_search_pages_by_key_without_repeats_or_gaps(db: &mut TestDb) {
    let s = db.store();
    // Namesakes: the order goes on by login, then id.
    import_people(
        s,
        &[
            ("p-borisov", "org-1", "Борисов", "Иван"),
            ("p-volkov-a", "org-1", "Волков", "Антон"),
            ("p-volkov-b", "org-1", "Волков", "Антон"),
            ("p-glebov", "org-1", "Глебов", "Олег"),
            ("p-danilov", "org-1", "Данилов", "Петр"),
            ("p-egorov", "org-1", "Егоров", "Павел"),
            ("p-zhukov", "org-1", "Жуков", "Илья"),
            ("p-other", "org-2", "Волков", "Борис"),
        ],
    )
    .await;
    let org1 = ["org-1".to_owned()];
    let mut seen: Vec<String> = Vec::new();
    let mut after: Option<SearchKey> = None;
    let mut pages = 0;
    loop {
        let page = page_after(s, &org1, after.as_ref(), 3).await;
        if page.is_empty() {
            break;
        }
        pages += 1;
        seen.extend(page.iter().map(|a| a.id.clone()));
        after = page.last().map(SearchKey::of);
        if pages == 1 {
            // Meanwhile: one account before the cursor (never shown now), one after it.
            import_people(s, &[("p-aa", "org-1", "Аа", "Аа"), ("p-yaya", "org-1", "Яя", "Яя")]).await;
        }
        assert!(pages < 10, "the pages end");
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no account twice: {seen:?}");
    let mut want: Vec<String> = page_after(s, &org1, None, 100).await.into_iter().map(|a| a.id).collect();
    want.retain(|id| id != "p-aa");
    want.sort();
    assert_eq!(unique, want, "every account that was there, and the one added after the cursor");
    assert!(!seen.contains(&"p-other".to_owned()), "another organisation's namesake is not paged into");

    // A cursor placed by another organisation's account still pages the searched ones only.
    let foreign = s.account("p-other").await.unwrap().unwrap();
    let page = page_after(s, &org1, Some(&SearchKey::of(&foreign)), 100).await;
    assert!(!page.is_empty() && page.iter().all(|a| a.organisation_id == "org-1"));
    // The key is the one the store orders by: the page after the last account is empty.
    let all = page_after(s, &org1, None, 100).await;
    let last = all.last().map(SearchKey::of);
    assert!(page_after(s, &org1, last.as_ref(), 100).await.is_empty());
    let first = all.first().map(SearchKey::of);
    assert_eq!(page_after(s, &org1, first.as_ref(), 100).await.len(), all.len() - 1);
}

pub async fn console_name_keys_filled_after_migrating(db: &mut TestDb) {
    with_people(db.store()).await;
    // A database from before migration 0017: no key yet.
    db.execute("UPDATE accounts SET name_key = NULL").await;
    assert_eq!(found(db.store(), None, &["елкина"], "").await, Vec::<String>::new());
    db.store().migrate().await.unwrap();
    assert_eq!(found(db.store(), None, &["елкина"], "").await, ["elkina"]);
}

async fn grant_of(s: &dyn Store, grant_id: &str, client: &str, session: Option<&str>) {
    with_acc1(s).await;
    let mut c = code(&format!("code-{grant_id}"), grant_id, session);
    c.client_id = client.into();
    s.insert_code(&c).await.unwrap();
    let mut r = refresh(&format!("rt-{grant_id}"), grant_id);
    r.client_id = client.into();
    let g = grant(grant_id, "acc-1", client, session);
    assert_eq!(s.exchange_code(&c.code_hash, &g, Some(&r), &event()).await.unwrap(), CodeExchange::Issued);
}

fn by(kind: &str) -> AuditEvent {
    let (account_id, by) = ("acc-1".to_owned(), "admin-1".to_owned());
    match kind {
        "sessions" => AuditEvent::AccountSessionsEnded { account_id, by },
        "disable" => AuditEvent::AccountDisabled { account_id, by },
        _ => AuditEvent::AccountEnabled { account_id, by },
    }
}

pub async fn console_sessions_and_grants_of_account(db: &mut TestDb) {
    let s = db.store();
    with_acc1(s).await;
    s.create_session(&session("sid-1", "acc-1", 3600), &event()).await.unwrap();
    s.create_session(&session("sid-2", "acc-1", 7200), &event()).await.unwrap();
    s.create_session(&session("sid-old", "acc-1", -1), &event()).await.unwrap();
    grant_of(s, "g-1", "rp", Some("sid-1")).await;
    grant_of(s, "g-2", "rp2", None).await;
    grant_of(s, "g-3", "rp", None).await;
    s.revoke_grant("g-3", &event()).await.unwrap();
    let mut sessions: Vec<String> =
        s.sessions_of_account("acc-1").await.unwrap().into_iter().map(|x| x.id_hash).collect();
    sessions.sort();
    assert_eq!(sessions, ["sid-1", "sid-2"], "an expired session is not shown");
    let grants: Vec<String> = s.live_grants_of_account("acc-1").await.unwrap().into_iter().map(|g| g.id).collect();
    assert_eq!(grants, ["g-1", "g-2"], "by client; a revoked grant is not shown");
    assert!(s.sessions_of_account("acc-other").await.unwrap().is_empty());
}

pub async fn console_end_sessions_keeps_grants(db: &mut TestDb) {
    let s = db.store();
    with_acc1(s).await;
    s.create_session(&session("sid-1", "acc-1", 3600), &event()).await.unwrap();
    s.create_session(&session("sid-2", "acc-1", 3600), &event()).await.unwrap();
    grant_of(s, "g-1", "rp", Some("sid-1")).await;
    assert_eq!(s.end_sessions_of_account("acc-1", &by("sessions")).await.unwrap(), 2);
    assert_eq!(s.session("sid-1").await.unwrap(), None);
    assert_eq!(s.session("sid-2").await.unwrap(), None);
    assert!(!is_revoked(s, "g-1").await, "revoking is its own action");
    assert_eq!(audit_kinds(s).await.last().map(String::as_str), Some("account_sessions_ended"));
    assert_eq!(s.end_sessions_of_account("acc-1", &by("sessions")).await.unwrap(), 0);
}

pub async fn console_revoke_grants_of_one_client_or_all(db: &mut TestDb) {
    let s = db.store();
    grant_of(s, "g-1", "rp", None).await;
    grant_of(s, "g-2", "rp2", None).await;
    let mut pending = code("c-pending", "g-later", None);
    pending.client_id = "rp".into();
    s.insert_code(&pending).await.unwrap();
    let one = AuditEvent::AccountGrantsRevoked {
        account_id: "acc-1".into(),
        client_id: Some("rp".into()),
        by: "admin-1".into(),
    };
    assert_eq!(s.revoke_grants_of_account("acc-1", Some("rp"), &one).await.unwrap(), 1);
    assert!(is_revoked(s, "g-1").await && !is_revoked(s, "g-2").await);
    assert_eq!(rotate(s, "rt-g-1", "rt-g-1b").await, "invalid", "the refresh family is revoked too");
    assert!(s.code("c-pending").await.unwrap().is_none_or(|c| c.consumed_at.is_some()), "no code becomes a grant");
    let all = AuditEvent::AccountGrantsRevoked { account_id: "acc-1".into(), client_id: None, by: "admin-1".into() };
    assert_eq!(s.revoke_grants_of_account("acc-1", None, &all).await.unwrap(), 1);
    assert!(is_revoked(s, "g-2").await);
    assert!(s.live_grants_of_account("acc-1").await.unwrap().is_empty());
    let kinds = audit_kinds(s).await;
    assert_eq!(kinds.iter().filter(|k| *k == "account_grants_revoked").count(), 2);
}

pub async fn console_disable_ends_everything_in_one_go(db: &mut TestDb) {
    let s = db.store();
    with_acc1(s).await;
    s.create_session(&session("sid-1", "acc-1", 3600), &event()).await.unwrap();
    grant_of(s, "g-1", "rp", Some("sid-1")).await;
    s.insert_code(&code("c-pending", "g-later", None)).await.unwrap();
    let d = s.set_account_disabled("acc-1", true, &by("disable")).await.unwrap();
    assert_eq!(d, Disabled { changed: true, sessions_ended: 1, grants_revoked: 1 });
    assert!(s.account("acc-1").await.unwrap().unwrap().disabled);
    assert_eq!(s.session("sid-1").await.unwrap(), None);
    assert!(is_revoked(s, "g-1").await);
    assert!(s.code("c-pending").await.unwrap().is_none_or(|c| c.consumed_at.is_some()));
    let again = s.set_account_disabled("acc-1", true, &by("disable")).await.unwrap();
    assert!(!again.changed);
    let enabled = s.set_account_disabled("acc-1", false, &by("enable")).await.unwrap();
    assert_eq!(enabled, Disabled { changed: true, sessions_ended: 0, grants_revoked: 0 });
    assert!(!s.account("acc-1").await.unwrap().unwrap().disabled);
    let before = audit_kinds(s).await.len();
    let missing = s.set_account_disabled("acc-missing", true, &by("disable")).await;
    assert!(matches!(missing, Err(StoreError::NotFound)));
    let kinds = audit_kinds(s).await;
    assert_eq!(kinds.len(), before, "nothing is written for an unknown account");
    assert_eq!(kinds.iter().filter(|k| *k == "account_disabled").count(), 2);
    assert_eq!(kinds.last().map(String::as_str), Some("account_enabled"));
}
