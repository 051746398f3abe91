//! `propusk staff grant|revoke|list`: the roles of staff accounts (docs/admin.md).
//! A role is granted to an enabled staff account only; `reviewer` and `org-admin`
//! hold for one organisation (`--org`, default the account's own), `system-admin`
//! for the installation. Every change is an audit event (`role_granted`,
//! `role_revoked`, `by: "cli"`).

use super::{CliError, clock, store};
use crate::admin::roles::StaffRole;
use crate::audit::AuditEvent;
use crate::config::Config;
use crate::store::roles::RoleRow;
use crate::store::{Account, Organisation, Role, Store};

/// `staff grant` / `staff revoke` arguments.
#[derive(Debug, Clone)]
pub struct RoleChange {
    /// `login`, or `ORG/login` when the login exists in several organisations.
    pub login: String,
    pub role: String,
    /// Organisation id or exact name.
    pub org: Option<String>,
}

pub async fn staff_grant(config: &Config, c: &RoleChange) -> Result<serde_json::Value, CliError> {
    let store = store(config).await?;
    let (account, role, org) = resolve(&*store, c).await?;
    let row = RoleRow {
        account_id: account.id.clone(),
        role: role.as_str().to_owned(),
        organisation_id: org.clone(),
        granted_at: clock().now(),
        granted_by: "cli".to_owned(),
    };
    let event = AuditEvent::RoleGranted {
        account_id: account.id.clone(),
        role: row.role.clone(),
        organisation_id: org.clone(),
        by: "cli".to_owned(),
    };
    let added = store.grant_role(&row, &event).await?;
    Ok(serde_json::json!({
        "account_id": account.id, "login": account.login, "role": row.role,
        "organisation_id": non_empty(&org), "granted": added,
    }))
}

pub async fn staff_revoke(config: &Config, c: &RoleChange) -> Result<serde_json::Value, CliError> {
    let store = store(config).await?;
    let (account, role, org) = resolve(&*store, c).await?;
    let event = AuditEvent::RoleRevoked {
        account_id: account.id.clone(),
        role: role.as_str().to_owned(),
        organisation_id: org.clone(),
        by: "cli".to_owned(),
    };
    if !store.revoke_role(&account.id, role.as_str(), &org, &event).await? {
        return Err(CliError::Failure(format!(
            "`{}` does not hold the role {}{}",
            c.login,
            role.as_str(),
            scope(&org)
        )));
    }
    Ok(serde_json::json!({
        "account_id": account.id, "login": account.login, "role": role.as_str(),
        "organisation_id": non_empty(&org), "revoked": true,
    }))
}

/// Every stored role with its account's login, and the directory's reviewers.
pub async fn staff_list(config: &Config) -> Result<serde_json::Value, CliError> {
    let store = store(config).await?;
    let mut out = Vec::new();
    for r in store.all_roles().await? {
        let login = store.account(&r.account_id).await?.map(|a| a.login).unwrap_or_default();
        out.push(serde_json::json!({
            "account_id": r.account_id, "login": login, "role": r.role,
            "organisation_id": non_empty(&r.organisation_id), "granted_at": r.granted_at, "granted_by": r.granted_by,
        }));
    }
    Ok(serde_json::Value::Array(out))
}

fn non_empty(org: &str) -> Option<&str> {
    (!org.is_empty()).then_some(org)
}

fn scope(org: &str) -> String {
    if org.is_empty() { String::new() } else { format!(" in `{org}`") }
}

/// The account, the role and the organisation the role holds for (empty for
/// `system-admin`), or the usage error naming the argument.
async fn resolve(store: &dyn Store, c: &RoleChange) -> Result<(Account, StaffRole, String), CliError> {
    let role = StaffRole::parse(&c.role).ok_or_else(|| {
        CliError::Usage(format!("ROLE: unknown role `{}` (reviewer, org-admin or system-admin)", c.role))
    })?;
    let orgs = store.organisations().await?;
    let account = account_of(store, &orgs, &c.login).await?;
    if account.role != Role::Staff {
        return Err(CliError::Usage(format!("LOGIN: `{}` is not a staff account; roles are for staff only", c.login)));
    }
    if account.disabled {
        return Err(CliError::Usage(format!("LOGIN: `{}` is disabled", c.login)));
    }
    let org = match (role.per_organisation(), c.org.as_deref()) {
        (false, Some(_)) => return Err(CliError::Usage("--org: system-admin holds for every organisation".into())),
        (false, None) => String::new(),
        (true, None) => account.organisation_id.clone(),
        (true, Some(o)) => {
            find_org(&orgs, o).ok_or_else(|| CliError::Usage(format!("--org: no organisation `{o}`")))?.id.clone()
        }
    };
    Ok((account, role, org))
}

fn find_org<'a>(orgs: &'a [Organisation], key: &str) -> Option<&'a Organisation> {
    orgs.iter().find(|o| o.id == key).or_else(|| orgs.iter().find(|o| o.name == key))
}

/// The one account with `login` (`ORG/login` picks the organisation).
async fn account_of(store: &dyn Store, orgs: &[Organisation], login: &str) -> Result<Account, CliError> {
    if let Some((org, l)) = login.split_once('/')
        && let Some(o) = find_org(orgs, org)
    {
        return store
            .account_by_login(&o.id, l)
            .await?
            .ok_or_else(|| CliError::Usage(format!("LOGIN: no account `{l}` in `{}`", o.id)));
    }
    let mut found = Vec::new();
    for o in orgs {
        if let Some(a) = store.account_by_login(&o.id, login).await? {
            found.push(a);
        }
    }
    match found.len() {
        0 => Err(CliError::Usage(format!("LOGIN: no account `{login}`"))),
        1 => Ok(found.remove(0)),
        _ => {
            let ids: Vec<&str> = found.iter().map(|a| a.organisation_id.as_str()).collect();
            Err(CliError::Usage(format!(
                "LOGIN: `{login}` exists in several organisations ({}); give it as ORG/{login}",
                ids.join(", ")
            )))
        }
    }
}
