//! The claims of a person for a client and a scope, gathered from storage: the
//! pure `token::claims::user_claims` plus the `children` claim (the children a
//! parent's ESIA profile confirmed). Shared by the ID token and UserInfo.

use crate::account::names::full_name;
use crate::app::App;
use crate::store::{Account, Client, Role, StoreResult};
use crate::token::Scopes;
use crate::token::claims::{subject, user_claims};
use serde_json::{Map, Value, json};

pub async fn scope_claims(
    app: &App,
    scopes: &Scopes,
    account: &Account,
    client: &Client,
) -> StoreResult<Map<String, Value>> {
    // The organisation and class only feed the `school` claim: no reads without it
    // (a refresh with `openid profile` stays at one database transaction).
    let (org, class) = if scopes.contains("school") {
        let org = app.store.organisation(&account.organisation_id).await?;
        let class = match &account.class_id {
            Some(id) => app.store.class(id).await?,
            None => None,
        };
        (org, class)
    } else {
        (None, None)
    };
    let mut claims = user_claims(scopes, account, org.as_ref(), class.as_ref());
    if scopes.contains("children") && account.role == Role::Parent {
        let mut children = Vec::new();
        for rel in app.store.children(&account.id).await?.into_iter().filter(|r| r.confirmed_via_esia) {
            if let Some(child) = app.store.account(&rel.child_id).await? {
                let name = full_name(&child.surname, &child.given_name, child.patronymic.as_deref());
                children.push(json!({ "sub": subject(&child.subject, client, &app.pairwise_key), "name": name }));
            }
        }
        claims.insert("children".into(), Value::Array(children));
    }
    Ok(claims)
}
