//! The demo data set against CONTRACT.md §3, seeding once, and directory imports
//! against a real store.

use super::*;
use crate::account::directory::{account_id, import_file_at};
use crate::account::{names, password, snils};
use crate::clock::FixedClock;
use crate::crypto::SecretString;
use crate::store::{OrgKind, Role};
use std::path::Path;
use std::sync::Arc;

const NOW: i64 = 1_790_000_000;

fn keys() -> DirectoryKeys {
    DirectoryKeys { snils: [1; 32], matching: [2; 32], subject: [3; 32] }
}

#[tokio::test]
async fn demo_batch_matches_the_contract() {
    let k = keys();
    let b = demo_batch(&k, &FixedClock::new(NOW)).await.unwrap();
    let org = |id: &str| b.organisations.iter().find(|o| o.id == id).unwrap();
    assert_eq!(org(SOSH1).name, "МБОУ СОШ №1");
    assert_eq!((org(SOSH1).locality.as_str(), org(SOSH1).region.as_str()), ("Южно-Сахалинск", "Сахалинская область"));
    assert_eq!(org(GYMN2).name, "МАОУ Гимназия №2");
    assert_eq!((org(GYMN2).locality.as_str(), org(GYMN2).region.as_str()), ("Барнаул", "Алтайский край"));
    assert_eq!(org(SOSH1).org_type, "Общеобразовательная");
    assert_eq!(org(UO_YUZHNO).kind, OrgKind::Authority);
    let class_names = |o: &str| {
        let mut v: Vec<_> = b.classes.iter().filter(|c| c.organisation_id == o).map(|c| c.name.as_str()).collect();
        v.sort_unstable();
        v
    };
    assert_eq!(class_names(SOSH1), ["4Б", "8А"]);
    assert_eq!(class_names(GYMN2), ["5В"]);

    assert_eq!(b.accounts.len(), 8);
    assert_eq!(DEMO_LOGINS.len(), 8);
    let acc = |login: &str| b.accounts.iter().find(|a| a.login == login).unwrap();
    let table = [
        ("ivanova.mp", SOSH1, Role::Parent, "1985-08-11", Some("112-233-445 95"), None),
        ("ivanov.is", SOSH1, Role::Pupil, "2012-03-15", Some("123-456-789 64"), Some("8А")),
        ("ivanova.as", SOSH1, Role::Pupil, "2016-09-02", None, Some("4Б")),
        ("petrov.pp", SOSH1, Role::Parent, "1979-01-30", Some("156-789-012 11"), None),
        ("petrov.pp2", GYMN2, Role::Parent, "1979-01-30", Some("156-789-012 11"), None),
        ("petrov.teacher", SOSH1, Role::Staff, "1979-01-30", Some("156-789-012 11"), None),
        ("smirnova.ov", SOSH1, Role::Parent, "1990-05-05", None, None),
        ("admin1", SOSH1, Role::Staff, "1980-12-12", None, None),
    ];
    for (login, org_id, role, birth, snils_on_file, class) in table {
        let a = acc(login);
        assert_eq!((a.organisation_id.as_str(), a.role, a.birth_date.as_str()), (org_id, role, birth), "{login}");
        let want = snils_on_file.map(|s| snils::keyed_hash(&k.snils, &snils::normalise(s).unwrap()));
        assert_eq!(a.snils_hash, want, "{login}");
        let class_name = a.class_id.as_ref().map(|id| b.classes.iter().find(|c| &c.id == id).unwrap().name.as_str());
        assert_eq!(class_name, class, "{login}");
        assert_eq!(a.can_review_requests, login == "admin1", "{login}");
        assert_eq!(a.id, account_id(org_id, login));
        assert!(DEMO_LOGINS.iter().any(|(l, _, _)| *l == login));
    }
    let mut children: Vec<_> = b.relations.iter().map(|r| (r.parent_id.as_str(), r.child_id.as_str())).collect();
    children.sort_unstable();
    let mut want = vec![
        (acc("ivanova.mp").id.as_str(), acc("ivanov.is").id.as_str()),
        (acc("ivanova.mp").id.as_str(), acc("ivanova.as").id.as_str()),
    ];
    want.sort_unstable();
    assert_eq!(children, want);

    // ESIA spells Петр with е: all three Petrov accounts match it.
    let esia_petrov = names::match_key(&k.matching, "Петров", "Петр", Some("Петрович"), "1979-01-30");
    assert_eq!(b.accounts.iter().filter(|a| a.match_key == esia_petrov).count(), 3);
    // Smirnova's ESIA birth date differs: no match.
    let esia_smirnova = names::match_key(&k.matching, "Смирнова", "Ольга", Some("Викторовна"), "1990-06-05");
    assert!(b.accounts.iter().all(|a| a.match_key != esia_smirnova));

    let pw = SecretString::new(DEMO_PASSWORD);
    for a in &b.accounts {
        let v = password::verify(&a.password_hash, &pw).await.unwrap();
        assert_eq!(v, password::Verified { ok: true, needs_rehash: false }, "{}", a.login);
    }
}

async fn open_store(dir: &Path, clock: Arc<FixedClock>) -> Arc<dyn Store> {
    let url = format!("sqlite://{}/t.db", dir.display());
    let store = crate::store::open(&url, 4, clock).await.unwrap();
    store.migrate().await.unwrap();
    store
}

#[tokio::test]
async fn seeds_once() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(NOW));
    let store = open_store(dir.path(), clock.clone()).await;
    assert!(seed_at(store.as_ref(), &keys(), clock.as_ref()).await.unwrap());
    assert!(!seed_at(store.as_ref(), &keys(), clock.as_ref()).await.unwrap());
    assert_eq!(store.organisations().await.unwrap().len(), 3);
    assert!(store.setting(SEEDED_SETTING).await.unwrap().is_some());
    let kinds: Vec<String> = store.audit_records(0, 100).await.unwrap().into_iter().map(|r| r.kind).collect();
    assert_eq!(kinds, ["directory_imported", "demo_seeded"]);
    let parent = store.account_by_login(SOSH1, "ivanova.mp").await.unwrap().unwrap();
    assert_eq!(store.children(&parent.id).await.unwrap().len(), 2);
    let admin = store.account_by_login(SOSH1, "admin1").await.unwrap().unwrap();
    assert!(admin.can_review_requests);
}

fn example(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name)
}

#[tokio::test]
async fn import_is_all_or_nothing_and_reimport_keeps_ids() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(NOW));
    let store = open_store(dir.path(), clock.clone()).await;
    let s = store.as_ref();

    let summary = import_file_at(s, &example("directory.csv"), &keys(), clock.as_ref()).await.unwrap();
    assert_eq!((summary.organisations, summary.classes, summary.accounts, summary.relations), (2, 2, 5, 2));
    assert_eq!(summary.passwords_hashed, 3);
    let first = s.account_by_login("sosh7-tula", "kozlova.ma").await.unwrap().unwrap();

    // The same data as JSON updates the same rows.
    import_file_at(s, &example("directory.json"), &keys(), clock.as_ref()).await.unwrap();
    let again = s.account_by_login("sosh7-tula", "kozlova.ma").await.unwrap().unwrap();
    assert_eq!(first.id, again.id);
    assert_eq!(s.organisations().await.unwrap().len(), 2);
    let parent = s.account_by_login("sosh7-tula", "kozlov.av").await.unwrap().unwrap();
    assert_eq!(s.children(&parent.id).await.unwrap().len(), 2);

    // A later file may refer to what is stored already (organisation, class, parent).
    let later = dir.path().join("later.csv");
    std::fs::write(
        &later,
        "record,organisation,login,password,role,surname,given_name,birth_date,class,parents\n\
         account,sosh7-tula,kozlov.new,Start-2026!,pupil,Козлов,Пётр,01.09.2019,1А,kozlov.av\n",
    )
    .unwrap();
    import_file_at(s, &later, &keys(), clock.as_ref()).await.unwrap();
    assert_eq!(s.children(&parent.id).await.unwrap().len(), 3);

    // One bad row: nothing of that file is stored.
    let audit_before = s.audit_records(0, 1000).await.unwrap().len();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "record,organisation,login,password,role,surname,given_name,birth_date,snils\n\
         account,sosh7-tula,good.one,Start-2026!,parent,Хороший,Родитель,01.01.1980,\n\
         account,sosh7-tula,bad.one,Start-2026!,parent,Плохой,Родитель,01.01.1980,123-456-789 00\n",
    )
    .unwrap();
    let err = import_file_at(s, &bad, &keys(), clock.as_ref()).await.unwrap_err();
    assert_eq!(err.line, 3);
    assert!(s.account_by_login("sosh7-tula", "good.one").await.unwrap().is_none());
    assert_eq!(s.audit_records(0, 1000).await.unwrap().len(), audit_before);
}
