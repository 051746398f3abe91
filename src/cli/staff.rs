//! `propusk staff grant|revoke|list`: the roles of staff accounts (docs/admin.md).
//! A role is granted to an enabled staff account only; `reviewer` and `org-admin`
//! hold for one organisation (`--org`, default the account's own), `system-admin`
//! for the installation. Every change is an audit event (`role_granted`,
//! `role_revoked`, `by: "cli"`).

use super::{CliError, clock, store};
use crate::admin::roles::StaffRole;
use crate::admin::staff_roles::{self, StaffRoleError, find_org};
use crate::config::Config;
use crate::store::{Account, Organisation, Store};

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
    let account = resolve(&*store, c).await?;
    let (row, added) = staff_roles::grant(&*store, clock().now(), &account, &c.role, c.org.as_deref(), "cli")
        .await
        .map_err(usage(c))?;
    Ok(serde_json::json!({
        "account_id": account.id, "login": account.login, "role": row.role,
        "organisation_id": non_empty(&row.organisation_id), "granted": added,
    }))
}

pub async fn staff_revoke(config: &Config, c: &RoleChange) -> Result<serde_json::Value, CliError> {
    let store = store(config).await?;
    let account = resolve(&*store, c).await?;
    let (role, org) =
        staff_roles::revoke(&*store, &account, &c.role, c.org.as_deref(), "cli").await.map_err(usage(c))?;
    Ok(serde_json::json!({
        "account_id": account.id, "login": account.login, "role": role.as_str(),
        "organisation_id": non_empty(&org), "revoked": true,
    }))
}

/// The CLI's words for a refused role change, naming the argument.
fn usage(c: &RoleChange) -> impl Fn(StaffRoleError) -> CliError + '_ {
    move |e| match e {
        StaffRoleError::UnknownRole => {
            CliError::Usage(format!("ROLE: unknown role `{}` (reviewer, org-admin or system-admin)", c.role))
        }
        StaffRoleError::NotStaff => {
            CliError::Usage(format!("LOGIN: `{}` is not a staff account; roles are for staff only", c.login))
        }
        StaffRoleError::Disabled => CliError::Usage(format!("LOGIN: `{}` is disabled", c.login)),
        StaffRoleError::OrgNotAllowed => CliError::Usage("--org: system-admin holds for every organisation".into()),
        StaffRoleError::UnknownOrganisation => {
            CliError::Usage(format!("--org: no organisation `{}`", c.org.as_deref().unwrap_or_default()))
        }
        StaffRoleError::NotHeld(org) => {
            let scope = if org.is_empty() { String::new() } else { format!(" in `{org}`") };
            CliError::Failure(format!("`{}` does not hold the role {}{scope}", c.login, c.role))
        }
        StaffRoleError::Store(e) => e.into(),
    }
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

/// The account `c.login` names (the role and organisation are checked by
/// [`staff_roles::scope_of`]); an unknown role is named before the login.
async fn resolve(store: &dyn Store, c: &RoleChange) -> Result<Account, CliError> {
    StaffRole::parse(&c.role).ok_or_else(|| usage(c)(StaffRoleError::UnknownRole))?;
    let orgs = store.organisations().await?;
    account_of(store, &orgs, &c.login).await
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
