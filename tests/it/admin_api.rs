//! The admin API (`/admin/api/v1`) over HTTP: every operation with its role checks —
//! a system admin's session (with `X-CSRF-Token` on changes), reviewers and org-admins
//! refused (AB-05), a client's bearer token with its admin role and scope, no auth →
//! 401 — and every answer checked against the OpenAPI document the server serves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::access_staff::signed_in;
use crate::admin_api_schema::check;
use crate::common::*;
use crate::esia_support::{account_id, audit_of};
use crate::support::*;
use propusk::cli::{AddClient, ClientRoleArgs, RoleChange, clients_grant_role, clients_revoke_role, staff_grant};
use serde_json::{Value, json};

/// How a call authenticates.
#[derive(Clone)]
pub enum Auth {
    None,
    /// A console session; `Some(token)`: the CSRF header it sends.
    Session(reqwest::Client, Option<String>),
    Bearer(String),
}

pub struct Api {
    doc: Value,
}

impl Api {
    pub async fn new(app: &TestApp) -> Self {
        let res = reqwest::get(app.url("/admin/api/openapi.json")).await.unwrap();
        assert_eq!(res.status(), 200);
        let doc: Value = res.json().await.unwrap();
        assert_eq!(doc["openapi"].as_str().map(|v| &v[..3]), Some("3.1"), "OpenAPI 3.1");
        Self { doc }
    }

    /// One call; its answer checked against the document. (status, JSON or Null).
    pub async fn call(
        &self,
        app: &TestApp,
        auth: &Auth,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = match auth {
            Auth::Session(http, csrf) => {
                let r = http.request(m, app.url(path));
                match csrf {
                    Some(t) => r.header("X-CSRF-Token", t),
                    None => r,
                }
            }
            Auth::Bearer(t) => reqwest::Client::new().request(m, app.url(path)).bearer_auth(t),
            Auth::None => reqwest::Client::new().request(m, app.url(path)),
        };
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        if status == 401 {
            assert!(res.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
        }
        let ct = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        let text = res.text().await.unwrap();
        check(&self.doc, method, path, status, &ct, &text);
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

/// The CSRF token of a signed-in browser, as the console's forms carry it.
pub async fn csrf_of(app: &TestApp, http: &reqwest::Client) -> String {
    let html = http.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    hidden(&html, "csrf").expect("a CSRF token on the login page")
}

pub fn role(login: &str, role: &str, org: Option<&str>) -> RoleChange {
    RoleChange { login: login.into(), role: role.into(), org: org.map(str::to_owned) }
}

/// A system admin's session with its CSRF header.
pub async fn system_admin(app: &TestApp) -> Auth {
    staff_grant(&app.config, &role("petrov.teacher", "system-admin", None)).await.unwrap();
    let http = signed_in(app, SCHOOL1, "petrov.teacher").await;
    let csrf = csrf_of(app, &http).await;
    Auth::Session(http, Some(csrf))
}

/// A confidential client `robot` allowed `client_credentials` with the admin scopes.
pub async fn robot(app: &TestApp) -> Rp {
    let secret = app
        .add_client(AddClient {
            id: "robot".into(),
            redirect_uris: vec![RP_CB.into()],
            grant_types: vec!["client_credentials".into()],
            scope: Some("admin:read admin:write".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    Rp { id: "robot".into(), secret: Some(secret), redirect: String::new(), post: false }
}

pub async fn token(app: &TestApp, rp: &Rp, scope: &str) -> Auth {
    let t = rp.call(app, "/token", &[("grant_type", "client_credentials"), ("scope", scope)]).await;
    assert_eq!(t.status, 200, "{}", t.text);
    Auth::Bearer(t.json["access_token"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_system_admin_session_does_every_client_key_and_audit_operation() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app).await;
    let admin = system_admin(&app).await;
    let admin_id = account_id(&app, SCHOOL1, "petrov.teacher").await;

    let (s, created) = api
        .call(&app, &admin, "POST", "/admin/api/v1/clients", Some(json!({"id": "shop", "redirect_uris": [RP_CB]})))
        .await;
    assert_eq!(s, 201, "{created}");
    assert!(created["client_secret"].as_str().is_some_and(|s| s.len() > 20));
    let again = json!({"id": "shop", "redirect_uris": [RP_CB]});
    assert_eq!(api.call(&app, &admin, "POST", "/admin/api/v1/clients", Some(again)).await.0, 409);
    let bad = json!({"id": "bad", "redirect_uris": ["javascript:alert(1)"]});
    let (s, problem) = api.call(&app, &admin, "POST", "/admin/api/v1/clients", Some(bad)).await;
    assert_eq!(s, 400);
    assert!(problem["detail"].as_str().unwrap().starts_with("redirect-uri"), "{problem}");
    for id in ["a1", "a2", "a3"] {
        let c = json!({"id": id, "public": true, "redirect_uris": [RP_CB]});
        let (s, created) = api.call(&app, &admin, "POST", "/admin/api/v1/clients", Some(c)).await;
        assert!(s == 201 && created["client_secret"].is_null(), "{created}");
    }

    // The list, two by two: a1 a2 | a3 demo-diary | shop.
    let (s, page) = api.call(&app, &admin, "GET", "/admin/api/v1/clients?limit=2", None).await;
    assert_eq!(s, 200);
    let ids = |p: &Value| {
        p["clients"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    assert_eq!(ids(&page), ["a1", "a2"]);
    let next = page["next_cursor"].as_str().unwrap().to_owned();
    let (_, page) = api.call(&app, &admin, "GET", &format!("/admin/api/v1/clients?limit=2&cursor={next}"), None).await;
    assert_eq!(ids(&page), ["a3", "demo-diary"], "the demo's client too");
    let next = page["next_cursor"].as_str().unwrap().to_owned();
    let (_, page) = api.call(&app, &admin, "GET", &format!("/admin/api/v1/clients?limit=2&cursor={next}"), None).await;
    assert_eq!((ids(&page), page["next_cursor"].clone()), (vec!["shop".to_owned()], Value::Null));
    assert_eq!(api.call(&app, &admin, "GET", "/admin/api/v1/clients?limit=201", None).await.0, 400);

    let (s, c) = api.call(&app, &admin, "GET", "/admin/api/v1/clients/shop", None).await;
    assert_eq!((s, c["auth_method"].as_str()), (200, Some("client_secret_basic")));
    assert_eq!(api.call(&app, &admin, "GET", "/admin/api/v1/clients/nobody", None).await.0, 404);
    let patch = json!({"display_name": "Магазин", "access_token_ttl": 600});
    let (s, c) = api.call(&app, &admin, "PATCH", "/admin/api/v1/clients/shop", Some(patch)).await;
    assert_eq!((s, c["display_name"].as_str(), c["access_token_ttl"].as_i64()), (200, Some("Магазин"), Some(600)));
    let (s, p) =
        api.call(&app, &admin, "PATCH", "/admin/api/v1/clients/shop", Some(json!({"access_token_ttl": 1}))).await;
    assert!(s == 400 && p["detail"].as_str().unwrap().contains("access-token-ttl"), "{p}");
    let (s, secret) = api
        .call(&app, &admin, "POST", "/admin/api/v1/clients/shop/rotate-secret", Some(json!({"overlap_hours": 1})))
        .await;
    assert!(s == 200 && secret["old_secret_valid_until"].is_i64(), "{secret}");
    let too_long = json!({"overlap_hours": 721});
    assert_eq!(api.call(&app, &admin, "POST", "/admin/api/v1/clients/shop/rotate-secret", Some(too_long)).await.0, 400);
    assert_eq!(api.call(&app, &admin, "DELETE", "/admin/api/v1/clients/a3", None).await.0, 204);
    assert_eq!(api.call(&app, &admin, "DELETE", "/admin/api/v1/clients/a3", None).await.0, 404);
    for kind in ["client_added", "client_changed", "client_secret_rotated", "client_removed"] {
        let events: Vec<String> =
            audit_of(&app, kind).await.into_iter().filter(|e| !e.contains("\"by\":\"demo\"")).collect();
        assert!(!events.is_empty() && events.iter().all(|e| e.contains(&admin_id)), "{kind}: {events:?}");
    }

    // Keys: rotate, the active one refused (409), the new one retired.
    let (s, keys) = api.call(&app, &admin, "GET", "/admin/api/v1/keys", None).await;
    assert_eq!(s, 200);
    let active = keys["keys"].as_array().unwrap().iter().find(|k| k["state"] == "active").unwrap()["kid"].clone();
    let active = active.as_str().unwrap();
    let (s, new) = api.call(&app, &admin, "POST", "/admin/api/v1/keys/rotate", Some(json!({"alg": "ES256"}))).await;
    assert_eq!((s, new["alg"].as_str()), (201, Some("ES256")), "{new}");
    assert_eq!(api.call(&app, &admin, "POST", "/admin/api/v1/keys/rotate", Some(json!({"alg": "none"}))).await.0, 400);
    let (s, p) = api.call(&app, &admin, "POST", &format!("/admin/api/v1/keys/{active}/retire"), None).await;
    assert_eq!(s, 409, "{p}");
    let new_kid = new["kid"].as_str().unwrap();
    let (s, r) = api
        .call(&app, &admin, "POST", &format!("/admin/api/v1/keys/{new_kid}/retire"), Some(json!({"overlap_hours": 0})))
        .await;
    assert_eq!((s, r["kid"].as_str()), (200, Some(new_kid)));
    assert_eq!(api.call(&app, &admin, "POST", "/admin/api/v1/keys/nokey/retire", None).await.0, 404);

    // Audit: the filter, newest first, the cursor.
    let (s, page) = api.call(&app, &admin, "GET", "/admin/api/v1/audit/events?kind=client_added&limit=2", None).await;
    assert_eq!(s, 200);
    let seqs =
        |p: &Value| p["events"].as_array().unwrap().iter().map(|e| e["seq"].as_i64().unwrap()).collect::<Vec<_>>();
    let first = seqs(&page);
    assert!(first.len() == 2 && first[0] > first[1], "{page}");
    let next = page["next"].as_str().unwrap().to_owned();
    assert_eq!(page["next_cursor"].as_i64(), Some(first[1]));
    let (_, older) = api.call(&app, &admin, "GET", &next, None).await;
    assert_eq!(seqs(&older).len(), 2, "six client_added events (the demo's too): 2 + 2 + 2");
    assert!(seqs(&older)[0] < first[1]);
    assert!(older["events"].as_array().unwrap().iter().all(|e| e["kind"] == "client_added"));
    assert_eq!(
        api.call(&app, &admin, "GET", "/admin/api/v1/audit/events?since=yesterday", None).await.1["detail"]
            .as_str()
            .map(|d| d.starts_with("since")),
        Some(true)
    );
    assert_eq!(api.call(&app, &admin, "GET", "/admin/api/v1/audit/events?limit=500", None).await.0, 400);
    let (s, e) = api.call(&app, &admin, "GET", &format!("/admin/api/v1/audit/events/{}", first[0]), None).await;
    assert_eq!((s, e["kind"].as_str(), e["data"]["by"].as_str()), (200, Some("client_added"), Some(admin_id.as_str())));
    assert_eq!(api.call(&app, &admin, "GET", "/admin/api/v1/audit/events/999999", None).await.0, 404);
}

#[tokio::test]
async fn ab_05_reviewers_org_admins_and_callers_without_auth_or_csrf_are_refused() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app).await;
    robot(&app).await;
    let reviewer = signed_in(&app, SCHOOL1, "admin1").await;
    let reviewer = Auth::Session(reviewer.clone(), Some(csrf_of(&app, &reviewer).await));
    staff_grant(&app.config, &role("petrov.teacher", "org-admin", Some(SCHOOL1))).await.unwrap();
    let org_admin = signed_in(&app, SCHOOL1, "petrov.teacher").await;
    let org_admin = Auth::Session(org_admin.clone(), Some(csrf_of(&app, &org_admin).await));
    let calls: [(&str, &str, Option<Value>); 8] = [
        ("GET", "/admin/api/v1/clients", None),
        ("GET", "/admin/api/v1/clients/robot", None),
        ("POST", "/admin/api/v1/clients", Some(json!({"id": "evil", "redirect_uris": [RP_CB]}))),
        ("PATCH", "/admin/api/v1/clients/robot", Some(json!({"display_name": "x"}))),
        ("POST", "/admin/api/v1/clients/robot/rotate-secret", None),
        ("GET", "/admin/api/v1/keys", None),
        ("POST", "/admin/api/v1/keys/rotate", Some(json!({"alg": "ES256"}))),
        ("GET", "/admin/api/v1/audit/events", None),
    ];
    for (who, auth, status) in
        [("reviewer", &reviewer, 403), ("org-admin", &org_admin, 403), ("nobody", &Auth::None, 401)]
    {
        for (method, path, body) in &calls {
            let (s, p) = api.call(&app, auth, method, path, body.clone()).await;
            assert_eq!(s, status, "{who}: {method} {path}: {p}");
        }
    }
    assert_eq!(api.call(&app, &Auth::Bearer("not.a.token".into()), "GET", "/admin/api/v1/keys", None).await.0, 401);

    // AZ-12: a system admin's change without the CSRF header (or with a forged one).
    let Auth::Session(http, _) = system_admin(&app).await else { unreachable!() };
    for csrf in [None, Some("forged".to_owned())] {
        let auth = Auth::Session(http.clone(), csrf);
        let (s, _) =
            api.call(&app, &auth, "PATCH", "/admin/api/v1/clients/robot", Some(json!({"display_name": "x"}))).await;
        assert_eq!(s, 403);
        assert_eq!(api.call(&app, &auth, "GET", "/admin/api/v1/clients/robot", None).await.0, 200, "reads need none");
    }
    assert!(app.app().store.client("evil").await.unwrap().is_none());
    assert_eq!(app.app().store.client("robot").await.unwrap().unwrap().display_name, None, "nothing changed");
}

#[tokio::test]
async fn a_bearer_client_acts_by_its_role_and_scope_granted_by_the_cli() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app).await;
    let rp = robot(&app).await;
    let write = token(&app, &rp, "admin:write").await;
    let read = token(&app, &rp, "admin:read").await;
    let patch = json!({"display_name": "Робот"});

    // No role: useless whatever the scope.
    assert_eq!(api.call(&app, &write, "GET", "/admin/api/v1/clients", None).await.0, 403);
    assert_eq!(api.call(&app, &write, "PATCH", "/admin/api/v1/clients/robot", Some(patch.clone())).await.0, 403);

    let args = ClientRoleArgs { id: "robot".into(), role: "system-admin".into(), org: None };
    let out = clients_grant_role(&app.config, &args).await.unwrap();
    assert_eq!(out["granted"], true);
    let bad = ClientRoleArgs { id: "robot".into(), role: "reviewer".into(), org: Some(SCHOOL1.into()) };
    assert_eq!(clients_grant_role(&app.config, &bad).await.unwrap_err().exit_code(), 2);
    let ghost = ClientRoleArgs { id: "ghost".into(), role: "system-admin".into(), org: None };
    assert_eq!(clients_grant_role(&app.config, &ghost).await.unwrap_err().exit_code(), 1);
    let granted = audit_of(&app, "client_role_granted").await;
    assert!(granted.len() == 1 && granted[0].contains("\"by\":\"cli\""), "{granted:?}");

    let (s, c) = api.call(&app, &write, "PATCH", "/admin/api/v1/clients/robot", Some(patch.clone())).await;
    assert_eq!((s, c["display_name"].as_str()), (200, Some("Робот")));
    let changed = audit_of(&app, "client_changed").await;
    assert!(changed.iter().any(|e| e.contains("\"by\":\"client:robot\"")), "{changed:?}");
    assert_eq!(api.call(&app, &read, "GET", "/admin/api/v1/audit/events?limit=1", None).await.0, 200);
    assert_eq!(
        api.call(&app, &read, "PATCH", "/admin/api/v1/clients/robot", Some(patch)).await.0,
        403,
        "admin:read only"
    );
    assert_eq!(api.call(&app, &read, "POST", "/admin/api/v1/keys/rotate", Some(json!({"alg": "ES256"}))).await.0, 403);

    // Roles through the API too: an org-admin role, listed, revoked.
    let org = json!({"role": "org-admin", "org": SCHOOL1});
    let (s, g) = api.call(&app, &write, "POST", "/admin/api/v1/clients/robot/roles", Some(org.clone())).await;
    assert_eq!((s, g["granted"].as_bool()), (200, Some(true)), "{g}");
    let nowhere = json!({"role": "org-admin", "org": "nowhere"});
    assert_eq!(api.call(&app, &write, "POST", "/admin/api/v1/clients/robot/roles", Some(nowhere)).await.0, 400);
    let (_, roles) = api.call(&app, &read, "GET", "/admin/api/v1/clients/robot/roles", None).await;
    assert_eq!(roles["roles"].as_array().unwrap().len(), 2, "{roles}");
    assert_eq!(api.call(&app, &write, "DELETE", "/admin/api/v1/clients/robot/roles", Some(org.clone())).await.0, 204);
    assert_eq!(api.call(&app, &write, "DELETE", "/admin/api/v1/clients/robot/roles", Some(org)).await.0, 404);

    // Revoked by the CLI: refused at once, the token unchanged.
    clients_revoke_role(&app.config, &args).await.unwrap();
    assert_eq!(api.call(&app, &read, "GET", "/admin/api/v1/keys", None).await.0, 403);
    assert_eq!(audit_of(&app, "client_role_revoked").await.len(), 2);
}
