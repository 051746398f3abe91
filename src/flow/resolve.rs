//! After ESIA vouched for a person: the account-type rule, the personal-data
//! consent, the link policy (`account::link_policy`, through [`super::linking`]),
//! the account chooser («Выберите учетную запись»), and the login as the chosen
//! school account.

use super::esia::{EsiaPerson, FlowQuery};
use super::journey::{Action, Stage};
use super::{Flow, finish, linking};
use crate::account::link_policy::{self, Automatic};
use crate::account::names::normalise_name;
use crate::app::App;
use crate::audit::{AuditEvent, LoginMethod};
use crate::clock::today_utc;
use crate::connector::AccountLevel;
use crate::oidc::params::Params;
use crate::session::{Sessions, open_session};
use crate::store::links::LinkMethod;
use crate::store::{Account, Role};
use crate::web::error_page::PageError;
use crate::web::esia_pages::{ChooserEntry, ChooserPage, RefusalPage};
use crate::web::pages;
use crate::web::redirect::redirect;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use std::sync::Arc;

fn person_of(flow: &Flow) -> Result<(&EsiaPerson, Role), PageError> {
    let step = flow.esia.as_ref().ok_or_else(|| PageError::bad_request("Вход через Госуслуги не начат."))?;
    let person = step.person.as_ref().ok_or_else(|| PageError::bad_request("Вход через Госуслуги не завершён."))?;
    Ok((person, step.role))
}

fn flow_url(path: &str, signed: &str) -> String {
    format!("{path}?flow={signed}")
}

/// Right after ESIA's callback (stage `EsiaReturned`): a person ESIA does not vouch
/// for in this role is refused; without a consent on file, the consent page; else
/// the link policy decides at once.
pub async fn after_esia(app: &App, mut flow: Flow, signed: &str) -> Result<Response, PageError> {
    let (person, role) = person_of(&flow)?;
    if !link_policy::vouched(person.kind(), role) {
        let child = person.level == AccountLevel::Child;
        let reason = if child { "child_account_for_other_role" } else { "not_confirmed" };
        let event = AuditEvent::UpstreamRefused { upstream_subject: person.subject.clone(), reason: reason.into() };
        app.store.append_audit(&event).await?;
        metrics::counter!("propusk_logins_total", "method" => "esia", "outcome" => "refused").increment(1);
        flow.stage = Stage::Refused;
        if let Some(p) = flow.esia.as_mut().and_then(|s| s.person.as_mut()) {
            p.forget_personal_data();
        }
        super::save(app, &mut flow).await?;
        // A page, not a redirect (CONTRACT.md §5); `/login/esia/refused` shows it again.
        return Ok(refusal_page(signed, child));
    }
    if app.store.pd_consent(&person.issuer, &person.subject).await?.is_none() {
        super::save(app, &mut flow).await?;
        return Ok(redirect(&flow_url("/login/esia/consent", signed), true, &[]));
    }
    resolve(app, flow, signed).await
}

/// GET /login/esia/refused — the Госуслуги account must be confirmed («подтвержденная»).
pub async fn refused(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<FlowQuery>,
) -> Result<Response, PageError> {
    let (flow, _) = super::queried_flow(&app, &headers, &q.flow, Action::RefusedPage).await?;
    let child = flow.esia.as_ref().and_then(|s| s.person.as_ref()).is_some_and(|p| p.level == AccountLevel::Child);
    Ok(refusal_page(&q.flow, child))
}

fn refusal_page(signed: &str, child: bool) -> Response {
    let page = RefusalPage { exit_url: flow_url("/login/esia/exit", signed), child };
    pages::html_with_status(axum::http::StatusCode::FORBIDDEN, &page)
}

/// With the consent on file: the link policy decides (a link from `/account`, or
/// the automatic decision) and the flow moves on.
pub async fn resolve(app: &App, mut flow: Flow, signed: &str) -> Result<Response, PageError> {
    let (person, role) = person_of(&flow)?;
    let person = &person.clone();
    let policy_person = linking::policy_person(&app.directory_keys, person);
    let who = |method| linking::Links { issuer: &person.issuer, subject: &person.subject, method };
    if let Some(account_id) = flow.esia.as_ref().and_then(|s| s.link_to.clone()) {
        let account = app.store.account(&account_id).await?.ok_or_else(PageError::not_found)?;
        super::commit_sign_in(app, &mut flow).await?;
        app.store.delete_flow(&flow.id).await?;
        let today = today_utc(&*app.clock);
        return match link_policy::by_credentials(role, &policy_person, &account, today) {
            Ok(differences) => {
                let accounts = [(&account, differences)];
                linking::link(
                    &*app.store,
                    app.clock.now(),
                    &who(LinkMethod::Account),
                    &accounts,
                    &["signed_in_session"],
                )
                .await?;
                Ok(redirect("/account?esia=linked", true, &[]))
            }
            Err(refusal) => {
                linking::refused(&*app.store, &account, &person.subject, "account", refusal).await?;
                Err(PageError::bad_request(refusal.message()))
            }
        };
    }
    let (decision, known) = linking::automatic(&*app.store, person, role, &policy_person).await?;
    let ids = match decision {
        Automatic::Linked(ids) => ids,
        Automatic::Link { accounts, evidence } => {
            super::commit_sign_in(app, &mut flow).await?;
            let pairs: Vec<(&Account, Vec<_>)> =
                known.iter().filter(|a| accounts.contains(&a.id)).map(|a| (a, Vec::new())).collect();
            linking::link(&*app.store, app.clock.now(), &who(LinkMethod::Auto), &pairs, &evidence).await?;
            accounts
        }
        Automatic::NotFound => {
            flow.stage = Stage::NotFound;
            super::save(app, &mut flow).await?;
            return Ok(redirect(&flow_url("/login/esia/not-found", signed), true, &[]));
        }
    };
    if let [only] = ids.as_slice() {
        return login_as(app, flow, only).await;
    }
    let select = flow.request.as_ref().is_some_and(|r| r.prompt.select_account);
    let hint = flow.request.as_ref().and_then(|r| r.login_hint.clone());
    if !select && hint.is_some() {
        let mut accounts = Vec::with_capacity(ids.len());
        for id in &ids {
            accounts.extend(app.store.account(id).await?);
        }
        let own: Vec<(&str, &str)> = accounts.iter().map(|a| (a.id.as_str(), a.login.as_str())).collect();
        if let Some(id) = crate::oidc::login_hint::pick(hint.as_deref(), &own).map(str::to_owned) {
            return login_as(app, flow, &id).await;
        }
    }
    if !select
        && let Some(default) = app.store.default_account(&person.issuer, &person.subject, role.as_str()).await?
        && ids.contains(&default)
    {
        return login_as(app, flow, &default).await;
    }
    if let Some(step) = flow.esia.as_mut() {
        step.choices = ids;
    }
    flow.stage = Stage::Choosing;
    super::save(app, &mut flow).await?;
    Ok(redirect(&flow_url("/login/esia/choose", signed), true, &[]))
}

/// Signs the person in as `account_id` (a new session, amr `esia`) and goes on.
pub async fn login_as(app: &App, mut flow: Flow, account_id: &str) -> Result<Response, PageError> {
    let (person, role) = person_of(&flow)?;
    let person = person.clone();
    let account = app.store.account(account_id).await?.filter(|a| !a.disabled && a.role == role);
    let Some(account) = account else {
        return Err(PageError::bad_request("Эта учетная запись недоступна. Начните вход заново."));
    };
    super::commit_sign_in(app, &mut flow).await?;
    if role == Role::Parent {
        confirm_children(app, &account, &person).await?;
    }
    record_profile(app, &person).await?;
    let upstream = Some((person.issuer.clone(), person.subject.clone()));
    let (auth, session) = open_session(Sessions::of(app), &account.id, upstream, false, LoginMethod::Esia).await?;
    metrics::counter!("propusk_logins_total", "method" => "esia", "outcome" => "success").increment(1);
    flow.login = Some(auth);
    flow.esia = None; // the ESIA data is not needed any more
    finish::advance(app, flow, &[session]).await
}

/// For a parent: the directory's children that the ESIA profile lists too (same
/// normalisation of names, same birth date) become confirmed relations.
async fn confirm_children(app: &App, parent: &Account, person: &EsiaPerson) -> Result<(), PageError> {
    for rel in app.store.children(&parent.id).await?.into_iter().filter(|r| !r.confirmed_via_esia) {
        let Some(child) = app.store.account(&rel.child_id).await? else { continue };
        let same = |c: &super::esia::EsiaChild| {
            normalise_name(&c.surname) == normalise_name(&child.surname)
                && normalise_name(&c.given_name) == normalise_name(&child.given_name)
                && normalise_name(c.patronymic.as_deref().unwrap_or_default())
                    == normalise_name(child.patronymic.as_deref().unwrap_or_default())
                && c.birth_date.as_deref() == Some(child.birth_date.as_str())
        };
        if person.children.iter().any(same) {
            let event = AuditEvent::RelationConfirmed { parent_id: parent.id.clone(), child_id: child.id.clone() };
            app.store.confirm_relation(&parent.id, &child.id, &event).await?;
        }
    }
    Ok(())
}

/// BR-07: ESIA data changes are recorded (which fields), never turned into local
/// verified flags.
async fn record_profile(app: &App, person: &EsiaPerson) -> Result<(), PageError> {
    let now = serde_json::json!({
        "surname": person.surname, "given_name": person.given_name, "patronymic": person.patronymic,
        "birth_date": person.birth_date, "trusted": person.trusted, "level": person.level,
        "snils_hash": person.snils_hash, "email": person.email, "phone": person.phone,
    });
    let before = app.store.upstream_profile(&person.issuer, &person.subject).await?;
    let before: Option<serde_json::Value> = before.and_then(|b| serde_json::from_str(&b).ok());
    if before.as_ref() == Some(&now) {
        return Ok(());
    }
    let changed: Vec<String> = match (&before, now.as_object()) {
        (Some(b), Some(n)) => n.iter().filter(|(k, v)| b.get(k.as_str()) != Some(v)).map(|(k, _)| k.clone()).collect(),
        _ => Vec::new(),
    };
    let event = AuditEvent::UpstreamProfileChanged { upstream_subject: person.subject.clone(), fields: changed };
    let audit = before.is_some().then_some(&event);
    app.store.put_upstream_profile(&person.issuer, &person.subject, &now.to_string(), audit).await?;
    Ok(())
}

/// GET /login/esia/choose — «Выберите учетную запись».
pub async fn chooser(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<FlowQuery>,
) -> Result<Response, PageError> {
    let (flow, browser_id) = super::queried_flow(&app, &headers, &q.flow, Action::ChooserPage).await?;
    let choices = flow.esia.as_ref().map(|s| s.choices.clone()).unwrap_or_default();
    let mut entries = Vec::new();
    for id in choices {
        let Some(a) = app.store.account(&id).await? else { continue };
        let org = app.store.organisation(&a.organisation_id).await?.map(|o| o.name).unwrap_or_default();
        let class = match &a.class_id {
            Some(c) => app.store.class(c).await?.map(|c| c.name),
            None => None,
        };
        entries.push(ChooserEntry { account_id: a.id, organisation: org, role: a.role.label().into(), class });
    }
    Ok(pages::html(&ChooserPage { flow: q.flow, csrf: app.cookies.csrf_token(&browser_id), entries }))
}

/// POST /login/esia/choose — the choice becomes the default for next time.
pub async fn choose(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Result<Response, PageError> {
    let p = Params::parse(&body);
    let (flow, _, _) = super::posted_flow(&app, &headers, &p, Action::Choose).await?;
    let account = p.get("account").unwrap_or_default().to_owned();
    let (person, role) = person_of(&flow)?;
    if !flow.esia.as_ref().is_some_and(|s| s.choices.contains(&account)) {
        return Err(PageError::bad_request("Выберите учетную запись из списка."));
    }
    app.store.set_default_account(&person.issuer, &person.subject, role.as_str(), &account).await?;
    login_as(&app, flow, &account).await
}
