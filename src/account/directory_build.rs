//! Turns parsed directory records into a [`DirectoryBatch`]: field rules, references
//! (within the file or to what the store already holds), ids, keyed hashes and
//! argon2id hashing of plain passwords. The first bad record stops everything.

use super::directory::{DirectoryKeys, ImportError, RawRecord, account_id, class_id, keyed_subject};
use super::{names, password, snils};
use crate::clock::UnixTime;
use crate::crypto::SecretString;
use crate::store::{Account, Class, DirectoryBatch, OrgKind, Organisation, Relation, Role, Store};
use std::collections::{HashMap, HashSet};

const ORG_FIELDS: &[&str] = &["record", "id", "kind", "region", "municipality", "locality", "org_type", "name"];
const CLASS_FIELDS: &[&str] = &["record", "organisation", "name"];
const ACCOUNT_FIELDS: &[&str] = &[
    "record",
    "organisation",
    "login",
    "password",
    "role",
    "can_review_requests",
    "surname",
    "given_name",
    "patronymic",
    "birth_date",
    "snils",
    "class",
    "email",
    "phone",
    "parents",
    "disabled",
];

enum Secret {
    Hash(String),
    Plain(SecretString),
}

struct AccountRow {
    line: usize,
    account: Account,
    secret: Secret,
    class_name: Option<String>,
    parents: Vec<String>,
}

/// Validates `records` and builds the batch; returns it with the number of plain
/// passwords hashed. With a store, references not found in the file are looked up there.
pub async fn build(
    store: Option<&dyn Store>,
    records: &[RawRecord],
    keys: &DirectoryKeys,
    now: UnixTime,
) -> Result<(DirectoryBatch, usize), ImportError> {
    if records.is_empty() {
        return Err(ImportError::new(0, "the file has no records"));
    }
    let mut batch = DirectoryBatch::default();
    let mut rows: Vec<AccountRow> = Vec::new();
    let mut class_lines = Vec::new();
    let mut seen_orgs = HashSet::new();
    let mut seen_classes = HashSet::new();
    let mut seen_logins = HashSet::new();

    // Pass 1: every record on its own.
    for r in records {
        match r.required("record")? {
            "organisation" => {
                only(r, ORG_FIELDS)?;
                let org = organisation(r)?;
                if !seen_orgs.insert(org.id.clone()) {
                    return Err(r.error(format!("organisation `{}` appears twice", org.id)));
                }
                batch.organisations.push(org);
            }
            "class" => {
                only(r, CLASS_FIELDS)?;
                let org = r.required("organisation")?.to_owned();
                let name = r.required("name")?.to_owned();
                check_len(r, "name", &name, 32)?;
                if !seen_classes.insert((org.clone(), name.clone())) {
                    return Err(r.error(format!("class `{name}` of `{org}` appears twice")));
                }
                batch.classes.push(Class { id: class_id(&org, &name), organisation_id: org, name });
                class_lines.push(r.line);
            }
            "account" => {
                only(r, ACCOUNT_FIELDS)?;
                let row = account(r, keys, now)?;
                let key = (row.account.organisation_id.clone(), row.account.login.clone());
                if !seen_logins.insert(key) {
                    return Err(r.error(format!("login `{}` appears twice in that organisation", row.account.login)));
                }
                rows.push(row);
            }
            other => return Err(r.error(format!("unknown record type `{other}` (organisation, class or account)"))),
        }
    }

    // Pass 2: references.
    let mut known_orgs: HashSet<String> = seen_orgs;
    for (class, line) in batch.classes.iter().zip(&class_lines) {
        require_org(store, &mut known_orgs, &class.organisation_id, *line).await?;
    }
    let file_classes: HashMap<(String, String), String> =
        batch.classes.iter().map(|c| ((c.organisation_id.clone(), c.name.clone()), c.id.clone())).collect();
    let file_parents: HashMap<(String, String), String> = rows
        .iter()
        .filter(|r| r.account.role == Role::Parent)
        .map(|r| ((r.account.organisation_id.clone(), r.account.login.clone()), r.account.id.clone()))
        .collect();
    for row in &mut rows {
        let org = row.account.organisation_id.clone();
        require_org(store, &mut known_orgs, &org, row.line).await?;
        if let Some(name) = &row.class_name {
            row.account.class_id = Some(find_class(store, &file_classes, &org, name, row.line).await?);
        }
        for parent in &row.parents {
            let parent_id = find_parent(store, &file_parents, &org, parent, row.line).await?;
            batch.relations.push(Relation { parent_id, child_id: row.account.id.clone(), confirmed_via_esia: false });
        }
    }

    // Pass 3: hash plain passwords (the slow part, once everything else is known good).
    let mut hashed = 0;
    for row in rows {
        let mut account = row.account;
        account.password_hash = match row.secret {
            Secret::Hash(phc) => phc,
            Secret::Plain(plain) => {
                hashed += 1;
                password::hash(&plain).await.map_err(|e| ImportError::new(row.line, e.to_string()))?
            }
        };
        batch.accounts.push(account);
    }
    Ok((batch, hashed))
}

fn only(r: &RawRecord, allowed: &[&str]) -> Result<(), ImportError> {
    match r.fields.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(r.error(format!("`{k}` does not apply to a {} record", r.get("record").unwrap_or("")))),
        None => Ok(()),
    }
}

fn check_len(r: &RawRecord, field: &str, value: &str, max: usize) -> Result<(), ImportError> {
    if value.chars().count() > max {
        return Err(r.error(format!("`{field}` is longer than {max} characters")));
    }
    if value.chars().any(char::is_control) {
        return Err(r.error(format!("`{field}` contains control characters")));
    }
    Ok(())
}

fn text(r: &RawRecord, field: &str, max: usize) -> Result<String, ImportError> {
    let value = r.required(field)?;
    check_len(r, field, value, max)?;
    Ok(value.to_owned())
}

fn organisation(r: &RawRecord) -> Result<Organisation, ImportError> {
    let id = r.required("id")?;
    let id_ok =
        id.len() <= 64 && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b));
    if !id_ok {
        return Err(r.error("`id` must be at most 64 of a-z, 0-9, `-`, `_`, `.`"));
    }
    let kind = OrgKind::parse(r.required("kind")?).ok_or_else(|| r.error("`kind` must be school or authority"))?;
    Ok(Organisation {
        id: id.to_owned(),
        kind,
        region: text(r, "region", 200)?,
        municipality: text(r, "municipality", 200)?,
        locality: text(r, "locality", 200)?,
        org_type: text(r, "org_type", 200)?,
        name: text(r, "name", 300)?,
    })
}

fn account(r: &RawRecord, keys: &DirectoryKeys, now: UnixTime) -> Result<AccountRow, ImportError> {
    let organisation_id = r.required("organisation")?.to_owned();
    let login = text(r, "login", 128)?;
    if login.chars().any(char::is_whitespace) {
        return Err(r.error("`login` must not contain spaces"));
    }
    let secret = secret(r)?;
    let role = Role::parse(r.required("role")?).ok_or_else(|| r.error("`role` must be parent, pupil or staff"))?;
    let can_review_requests = flag(r, "can_review_requests")?;
    if can_review_requests && role != Role::Staff {
        return Err(r.error("`can_review_requests` is for staff only"));
    }
    let surname = text(r, "surname", 100)?;
    let given_name = text(r, "given_name", 100)?;
    let patronymic = match r.get("patronymic") {
        Some(p) => Some(text(r, "patronymic", 100).map(|_| p.to_owned())?),
        None => None,
    };
    let birth_date = birth_date(r, now)?;
    let snils_hash = match r.get("snils") {
        Some(s) => {
            let digits = snils::normalise(s).ok_or_else(|| r.error("`snils` is not a valid SNILS (checksum)"))?;
            Some(snils::keyed_hash(&keys.snils, &digits))
        }
        None => None,
    };
    let email = r.get("email").map(str::to_owned);
    if let Some(e) = &email {
        let ok = e.len() <= 254 && e.matches('@').count() == 1 && !e.starts_with('@') && !e.ends_with('@');
        if !ok || e.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(r.error("`email` is not an e-mail address"));
        }
    }
    let phone = r.get("phone").map(str::to_owned);
    if let Some(p) = &phone {
        let digits = p.chars().filter(char::is_ascii_digit).count();
        if !(10..=15).contains(&digits) || !p.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c)) {
            return Err(r.error("`phone` must be 10 to 15 digits (with + - ( ) and spaces)"));
        }
    }
    let parents: Vec<String> = r
        .get("parents")
        .map(|p| p.split([';', ',']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default();
    if !parents.is_empty() && role != Role::Pupil {
        return Err(r.error("`parents` is for pupils only"));
    }
    let match_key = names::match_key(&keys.matching, &surname, &given_name, patronymic.as_deref(), &birth_date);
    let id = account_id(&organisation_id, &login);
    let account = Account {
        subject: keyed_subject(&keys.subject, &id),
        id,
        organisation_id,
        login,
        password_hash: String::new(),
        role,
        can_review_requests,
        surname,
        given_name,
        patronymic,
        birth_date,
        snils_hash,
        match_key,
        class_id: None,
        email,
        phone,
        disabled: flag(r, "disabled")?,
        created_at: now,
    };
    Ok(AccountRow { line: r.line, account, secret, class_name: r.get("class").map(str::to_owned), parents })
}

/// A PHC hash is kept as it is (after a format check); anything else is a plain
/// password to hash.
fn secret(r: &RawRecord) -> Result<Secret, ImportError> {
    let value = r.required("password")?;
    if password::hash_kind(value).is_some() {
        password::check_format(value).map_err(|e| r.error(format!("`password`: {e}")))?;
        return Ok(Secret::Hash(value.to_owned()));
    }
    if value.starts_with('$') {
        return Err(r.error("`password` looks like a hash of an unsupported format"));
    }
    if value.len() > 1024 {
        return Err(r.error("`password` is too long"));
    }
    Ok(Secret::Plain(SecretString::new(value)))
}

fn flag(r: &RawRecord, field: &str) -> Result<bool, ImportError> {
    match r.get(field).map(str::to_lowercase).as_deref() {
        None | Some("false" | "0" | "no" | "нет") => Ok(false),
        Some("true" | "1" | "yes" | "да") => Ok(true),
        Some(_) => Err(r.error(format!("`{field}` must be true or false"))),
    }
}

/// `DD.MM.YYYY` or `YYYY-MM-DD`, a real date between 1900-01-01 and today → ISO.
fn birth_date(r: &RawRecord, now: UnixTime) -> Result<String, ImportError> {
    let raw = r.required("birth_date")?;
    let bad = || r.error("`birth_date` must be a date as DD.MM.YYYY or YYYY-MM-DD");
    let parts: Vec<&str> = raw.split(['.', '-']).collect();
    let (y, m, d) = match parts.as_slice() {
        [d, m, y] if raw.contains('.') && d.len() == 2 && m.len() == 2 && y.len() == 4 => (*y, *m, *d),
        [y, m, d] if raw.contains('-') && d.len() == 2 && m.len() == 2 && y.len() == 4 => (*y, *m, *d),
        _ => return Err(bad()),
    };
    let y: i32 = y.parse().map_err(|_| bad())?;
    let m: u8 = m.parse().map_err(|_| bad())?;
    let d: u8 = d.parse().map_err(|_| bad())?;
    let month = time::Month::try_from(m).map_err(|_| bad())?;
    let date = time::Date::from_calendar_date(y, month, d).map_err(|_| bad())?;
    let today = time::OffsetDateTime::from_unix_timestamp(now).map(|t| t.date()).unwrap_or(time::Date::MAX);
    if y < 1900 || date > today {
        return Err(r.error("`birth_date` is out of range"));
    }
    Ok(format!("{y:04}-{m:02}-{d:02}"))
}

async fn require_org(
    store: Option<&dyn Store>,
    known: &mut HashSet<String>,
    id: &str,
    line: usize,
) -> Result<(), ImportError> {
    if known.contains(id) {
        return Ok(());
    }
    let found = match store {
        Some(s) => s.organisation(id).await.map_err(|e| db(line, e))?.is_some(),
        None => false,
    };
    if !found {
        return Err(ImportError::new(line, format!("unknown organisation `{id}`")));
    }
    known.insert(id.to_owned());
    Ok(())
}

async fn find_class(
    store: Option<&dyn Store>,
    file: &HashMap<(String, String), String>,
    org: &str,
    name: &str,
    line: usize,
) -> Result<String, ImportError> {
    if let Some(id) = file.get(&(org.to_owned(), name.to_owned())) {
        return Ok(id.clone());
    }
    if let Some(s) = store {
        let classes = s.classes(org).await.map_err(|e| db(line, e))?;
        if let Some(c) = classes.into_iter().find(|c| c.name == name) {
            return Ok(c.id);
        }
    }
    Err(ImportError::new(line, format!("unknown class `{name}` in organisation `{org}`")))
}

async fn find_parent(
    store: Option<&dyn Store>,
    file: &HashMap<(String, String), String>,
    org: &str,
    login: &str,
    line: usize,
) -> Result<String, ImportError> {
    if let Some(id) = file.get(&(org.to_owned(), login.to_owned())) {
        return Ok(id.clone());
    }
    if let Some(s) = store
        && let Some(a) = s.account_by_login(org, login).await.map_err(|e| db(line, e))?
        && a.role == Role::Parent
    {
        return Ok(a.id);
    }
    Err(ImportError::new(line, format!("parent `{login}` is not a parent account of organisation `{org}`")))
}

fn db(line: usize, e: crate::store::StoreError) -> ImportError {
    ImportError::new(line, format!("database: {e}"))
}
