//! The demo data set of CONTRACT.md §3 (school side): three organisations, their
//! classes and the eight school accounts, seeded once into any database.

use super::directory::{DirectoryKeys, ImportError, ImportSummary, RawRecord};
use super::directory_build::build;
use crate::audit::AuditEvent;
use crate::clock::{Clock, SystemClock};
use crate::store::{DirectoryBatch, Store};

/// The password of every demo school account.
pub const DEMO_PASSWORD: &str = "Demo-2026!";

/// The setting that records a finished seed.
pub const SEEDED_SETTING: &str = "demo_seeded";

pub const SOSH1: &str = "sosh1-yuzhno";
pub const GYMN2: &str = "gymn2-barnaul";
pub const UO_YUZHNO: &str = "uo-yuzhno";

/// (login, role label, organisation name) of every demo account, for the startup banner.
pub const DEMO_LOGINS: &[(&str, &str, &str)] = &[
    ("ivanova.mp", "Родитель", "МБОУ СОШ №1"),
    ("ivanov.is", "Ученик", "МБОУ СОШ №1"),
    ("ivanova.as", "Ученик", "МБОУ СОШ №1"),
    ("petrov.pp", "Родитель", "МБОУ СОШ №1"),
    ("petrov.pp2", "Родитель", "МАОУ Гимназия №2"),
    ("petrov.teacher", "Сотрудник", "МБОУ СОШ №1"),
    ("smirnova.ov", "Родитель", "МБОУ СОШ №1"),
    ("admin1", "Сотрудник (обращения)", "МБОУ СОШ №1"),
];

fn org(
    id: &str,
    kind: &str,
    region: &str,
    municipality: &str,
    locality: &str,
    org_type: &str,
    name: &str,
) -> RawRecord {
    RawRecord::new(0)
        .with("record", "organisation")
        .with("id", id)
        .with("kind", kind)
        .with("region", region)
        .with("municipality", municipality)
        .with("locality", locality)
        .with("org_type", org_type)
        .with("name", name)
}

fn class(org: &str, name: &str) -> RawRecord {
    RawRecord::new(0).with("record", "class").with("organisation", org).with("name", name)
}

/// One demo account: organisation, login, role, ФИО, birth date.
fn person(org: &str, login: &str, role: &str, fio: [&str; 3], birth: &str) -> RawRecord {
    RawRecord::new(0)
        .with("record", "account")
        .with("organisation", org)
        .with("login", login)
        .with("password", DEMO_PASSWORD)
        .with("role", role)
        .with("surname", fio[0])
        .with("given_name", fio[1])
        .with("patronymic", fio[2])
        .with("birth_date", birth)
}

/// The demo records, in the directory-import form.
pub fn demo_records() -> Vec<RawRecord> {
    let petrov = ["Петров", "Пётр", "Петрович"];
    // CONTRACT.md §3: the three petrov records carry the persona's SNILS, so the chooser
    // and the teacher's automatic login rest on SNILS, not on a namesake's data.
    const PETROV_SNILS: &str = "156-789-012 11";
    let records = vec![
        org(
            SOSH1,
            "school",
            "Сахалинская область",
            "городской округ «Город Южно-Сахалинск»",
            "Южно-Сахалинск",
            "Общеобразовательная",
            "МБОУ СОШ №1",
        ),
        org(
            GYMN2,
            "school",
            "Алтайский край",
            "городской округ — город Барнаул",
            "Барнаул",
            "Общеобразовательная",
            "МАОУ Гимназия №2",
        ),
        org(
            UO_YUZHNO,
            "authority",
            "Сахалинская область",
            "городской округ «Город Южно-Сахалинск»",
            "Южно-Сахалинск",
            "Орган управления образованием",
            "Департамент образования администрации города Южно-Сахалинска",
        ),
        class(SOSH1, "4Б"),
        class(SOSH1, "8А"),
        class(GYMN2, "5В"),
        person(SOSH1, "ivanova.mp", "parent", ["Иванова", "Мария", "Петровна"], "11.08.1985")
            .with("snils", "112-233-445 95"),
        person(SOSH1, "ivanov.is", "pupil", ["Иванов", "Иван", "Сергеевич"], "15.03.2012")
            .with("snils", "123-456-789 64")
            .with("class", "8А")
            .with("parents", "ivanova.mp"),
        person(SOSH1, "ivanova.as", "pupil", ["Иванова", "Анна", "Сергеевна"], "02.09.2016")
            .with("class", "4Б")
            .with("parents", "ivanova.mp"),
        person(SOSH1, "petrov.pp", "parent", petrov, "30.01.1979").with("snils", PETROV_SNILS),
        person(GYMN2, "petrov.pp2", "parent", petrov, "30.01.1979").with("snils", PETROV_SNILS),
        person(SOSH1, "petrov.teacher", "staff", petrov, "30.01.1979").with("snils", PETROV_SNILS),
        person(SOSH1, "smirnova.ov", "parent", ["Смирнова", "Ольга", "Викторовна"], "05.05.1990"),
        person(SOSH1, "admin1", "staff", ["Кузнецова", "Елена", "Андреевна"], "12.12.1980")
            .with("can_review_requests", "true"),
    ];
    records.into_iter().enumerate().map(|(i, r)| RawRecord { line: i + 1, ..r }).collect()
}

/// The demo batch with freshly hashed passwords (argon2id).
pub async fn demo_batch(keys: &DirectoryKeys, clock: &dyn Clock) -> Result<DirectoryBatch, ImportError> {
    Ok(build(None, &demo_records(), keys, clock.now()).await?.0)
}

/// Seeds the demo data set unless `demo_seeded` is set; then sets it with a
/// `demo_seeded` event. Returns whether it seeded. Safe to repeat after a crash
/// between the two steps: ids are deterministic, so a second import updates.
pub async fn seed(store: &dyn Store, keys: &DirectoryKeys) -> Result<bool, ImportError> {
    seed_at(store, keys, &SystemClock).await
}

/// [`seed`] with an explicit clock (tests).
pub async fn seed_at(store: &dyn Store, keys: &DirectoryKeys, clock: &dyn Clock) -> Result<bool, ImportError> {
    let db = |e: crate::store::StoreError| ImportError::new(0, format!("demo seed: {e}"));
    if store.setting(SEEDED_SETTING).await.map_err(db)?.is_some() {
        return Ok(false);
    }
    let (batch, hashed) = build(None, &demo_records(), keys, clock.now()).await?;
    let summary = ImportSummary::of(&batch, hashed);
    store.import_directory(&batch, &summary.audit_event()).await.map_err(db)?;
    store.put_setting(SEEDED_SETTING, &clock.now().to_string(), Some(&AuditEvent::DemoSeeded)).await.map_err(db)?;
    Ok(true)
}

#[cfg(test)]
#[path = "demo_tests.rs"]
mod tests;
