//! The journey's linking service: reads from the store the facts the link policy
//! (`account::link_policy`) decides from — candidates of the whole directory, the
//! owner's tombstones, the pupils related to a parent's record — and is the one
//! writer of links: each link with its audit event (method, evidence, differences)
//! and the owner's notice (BR-06), in one transaction. It takes its dependencies
//! (store, keys, the time) explicitly, not the whole `App`.

use super::esia::EsiaPerson;
use crate::account::DirectoryKeys;
use crate::account::link_mail;
use crate::account::link_policy::{self, Automatic, Candidate, Difference, EsiaKind, Person, Refusal};
use crate::account::names;
use crate::audit::AuditEvent;
use crate::clock::UnixTime;
use crate::connector::AccountLevel;
use crate::store::links::{LinkMethod, UpstreamLink};
use crate::store::{Account, Role, Store, StoreResult};

/// Who is linked, and how.
#[derive(Debug, Clone, Copy)]
pub struct Links<'a> {
    pub issuer: &'a str,
    pub subject: &'a str,
    pub method: LinkMethod,
}

impl EsiaPerson {
    /// Drops everything but who ESIA vouched for and how (a refused person's flow
    /// keeps no personal data).
    pub fn forget_personal_data(&mut self) {
        *self = Self {
            issuer: std::mem::take(&mut self.issuer),
            subject: std::mem::take(&mut self.subject),
            level: self.level,
            trusted: self.trusted,
            surname: String::new(),
            given_name: String::new(),
            patronymic: None,
            birth_date: None,
            email: None,
            phone: None,
            snils_hash: None,
            match_key: None,
            children: Vec::new(),
        };
    }

    /// The kind of ESIA account, as the link policy names it.
    pub fn kind(&self) -> Option<EsiaKind> {
        Some(match (self.level, self.trusted) {
            (AccountLevel::Child, _) => EsiaKind::Child,
            (_, true) => EsiaKind::Confirmed,
            (_, false) => EsiaKind::Unconfirmed,
        })
    }
}

/// The person as the link policy sees it (ESIA children reduced to match keys).
pub fn policy_person(keys: &DirectoryKeys, p: &EsiaPerson) -> Person {
    let children_keys = p
        .children
        .iter()
        .filter_map(|c| {
            let birth = c.birth_date.as_deref()?;
            Some(names::match_key(&keys.matching, &c.surname, &c.given_name, c.patronymic.as_deref(), birth))
        })
        .collect();
    Person {
        kind: p.kind(),
        surname: p.surname.clone(),
        given_name: p.given_name.clone(),
        patronymic: p.patronymic.clone(),
        birth_date: p.birth_date.clone(),
        match_key: p.match_key.clone(),
        snils_hash: p.snils_hash.clone(),
        children_keys,
    }
}

/// The automatic decision for `person` signing in with `role`, with the accounts it names.
pub async fn automatic(
    store: &dyn Store,
    esia: &EsiaPerson,
    role: Role,
    person: &Person,
) -> StoreResult<(Automatic, Vec<Account>)> {
    let mut linked = Vec::new();
    for l in store.links_by_subject(&esia.issuer, &esia.subject).await? {
        if let Some(a) = store.account(&l.account_id).await? {
            linked.push(a);
        }
    }
    let found = match &person.match_key {
        Some(k) if linked.is_empty() => store.accounts_by_match_key(k, role).await?,
        _ => Vec::new(),
    };
    let tombstones = if found.is_empty() { Vec::new() } else { store.tombstones(&esia.issuer, &esia.subject).await? };
    let mut candidates = Vec::with_capacity(found.len());
    for account in &found {
        // Parents without SNILS on file are matched through a related pupil too.
        let children_keys = if role == Role::Parent && account.snils_hash.is_none() {
            related_pupil_keys(store, &account.id).await?
        } else {
            Vec::new()
        };
        candidates.push(Candidate { account, children_keys, tombstoned: tombstones.contains(&account.id) });
    }
    let decision = link_policy::automatic(role, person, &linked, &candidates);
    linked.extend(found);
    Ok((decision, linked))
}

async fn related_pupil_keys(store: &dyn Store, parent_id: &str) -> StoreResult<Vec<String>> {
    let mut keys = Vec::new();
    for rel in store.children(parent_id).await? {
        if let Some(child) = store.account(&rel.child_id).await? {
            keys.push(child.match_key);
        }
    }
    Ok(keys)
}

/// Links the ESIA person to each account, recording `evidence` and each account's
/// differences in its `account_linked` event and naming them in the owner's notice.
pub async fn link(
    store: &dyn Store,
    now: UnixTime,
    who: &Links<'_>,
    accounts: &[(&Account, Vec<Difference>)],
    evidence: &[&str],
) -> StoreResult<()> {
    let mut links = Vec::new();
    let mut events = Vec::new();
    let mut notices = Vec::new();
    for (account, differences) in accounts {
        links.push(UpstreamLink {
            issuer: who.issuer.into(),
            subject: who.subject.into(),
            account_id: account.id.clone(),
            method: who.method,
            created_at: now,
        });
        let mut noted: Vec<String> = evidence.iter().map(|e| e.to_string()).collect();
        noted.extend(differences.iter().map(|d| d.code().to_owned()));
        events.push(AuditEvent::AccountLinked {
            account_id: account.id.clone(),
            upstream_subject: who.subject.into(),
            method: who.method.as_str().into(),
            evidence: noted,
        });
        // BR-06: each account's owner hears of the link (when the directory has an email).
        if let Some(email) = account.email.as_deref() {
            notices.push(link_mail::linked(account, who.method, differences).message(now, email));
        }
    }
    store.add_links(&links, &events, &notices).await
}

/// Records a link the policy refused.
pub async fn refused(
    store: &dyn Store,
    account: &Account,
    subject: &str,
    method: &str,
    refusal: Refusal,
) -> StoreResult<()> {
    let event = AuditEvent::LinkRefused {
        account_id: account.id.clone(),
        upstream_subject: subject.to_owned(),
        method: method.to_owned(),
        reason: refusal.code().to_owned(),
    };
    store.append_audit(&event).await
}
