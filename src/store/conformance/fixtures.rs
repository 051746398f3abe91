//! Sample records for the conformance suite (times relative to [`super::harness::T0`]).

use super::harness::T0;
use crate::audit::AuditEvent;
use crate::store::*;

pub fn event() -> AuditEvent {
    AuditEvent::DemoSeeded
}

pub fn organisation(id: &str) -> Organisation {
    Organisation {
        id: id.into(),
        kind: OrgKind::School,
        region: "Самарская область".into(),
        municipality: "г.о. Самара".into(),
        locality: "Самара".into(),
        org_type: "Общеобразовательная".into(),
        name: format!("Школа {id}"),
    }
}

pub fn class(id: &str, organisation_id: &str) -> Class {
    Class { id: id.into(), organisation_id: organisation_id.into(), name: "8А".into() }
}

pub fn account(id: &str, organisation_id: &str, login: &str, role: Role) -> Account {
    Account {
        id: id.into(),
        subject: format!("sub-{id}"),
        organisation_id: organisation_id.into(),
        login: login.into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        role,
        can_review_requests: role == Role::Staff,
        surname: "Иванова".into(),
        given_name: "Мария".into(),
        patronymic: Some("Петровна".into()),
        birth_date: "2011-04-01".into(),
        snils_hash: Some(format!("snils-{id}")),
        match_key: "mk-ivanova".into(),
        class_id: None,
        email: None,
        phone: Some("+79000000000".into()),
        disabled: false,
        created_at: T0,
    }
}

pub fn client(id: &str) -> Client {
    Client {
        id: id.into(),
        secret_hash: Some("sha256$salt$hash".into()),
        auth_method: AuthMethod::ClientSecretBasic,
        redirect_uris: vec!["https://rp.example/cb".into(), "ru.example.diary:/oauth2redirect".into()],
        post_logout_redirect_uris: vec![],
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        scope: "openid profile".into(),
        consent: ConsentMode::Explicit,
        id_token_alg: "RS256".into(),
        access_token_ttl: 300,
        id_token_ttl: 300,
        refresh_token_ttl: 86_400,
        subject_type: "pairwise".into(),
        sector_identifier_uri: Some("https://example.ru/sector.json".into()),
        display_name: None,
        previous_secret_hash: None,
        previous_secret_until: None,
        require_pushed_authorization_requests: false,
        dpop_bound_access_tokens: false,
        disabled: false,
        backchannel_logout_uri: None,
        backchannel_logout_session_required: false,
        jwks: None,
        logo_uri: None,
        resources: vec!["https://api.example/".into(), "https://files.example/".into()],
        created_at: T0,
        updated_at: T0,
    }
}

pub fn session(id_hash: &str, account_id: &str, ttl: i64) -> Session {
    Session {
        id_hash: id_hash.into(),
        account_id: account_id.into(),
        auth_time: T0,
        amr: "pwd".into(),
        persistent: true,
        created_at: T0,
        expires_at: T0 + ttl,
        upstream: None,
        sid: crate::store::logout::public_sid(id_hash),
    }
}

pub fn code(code_hash: &str, grant_id: &str, session_hash: Option<&str>) -> AuthCode {
    AuthCode {
        code_hash: code_hash.into(),
        grant_id: grant_id.into(),
        client_id: "rp".into(),
        account_id: "acc-1".into(),
        redirect_uri: "https://rp.example/cb".into(),
        scope: "openid".into(),
        nonce: Some("n-1".into()),
        code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
        auth_time: T0,
        amr: "pwd".into(),
        acr: None,
        session_hash: session_hash.map(Into::into),
        require_auth_time: true,
        resources: vec!["https://api.example/".into()],
        dpop_jkt: None,
        created_at: T0,
        expires_at: T0 + 60,
        consumed_at: None,
    }
}

pub fn grant(id: &str, account_id: &str, client_id: &str, session_hash: Option<&str>) -> Grant {
    Grant {
        id: id.into(),
        client_id: client_id.into(),
        account_id: account_id.into(),
        scope: "openid".into(),
        auth_time: T0,
        amr: "pwd".into(),
        session_hash: session_hash.map(Into::into),
        resources: vec!["https://api.example/".into()],
        dpop_jkt: None,
        created_at: T0,
        expires_at: T0 + 30 * 86_400,
        revoked_at: None,
    }
}

pub fn refresh(token_hash: &str, grant_id: &str) -> RefreshToken {
    RefreshToken {
        token_hash: token_hash.into(),
        grant_id: grant_id.into(),
        client_id: "rp".into(),
        created_at: T0,
        expires_at: T0 + 86_400,
        used_at: None,
    }
}

/// The `token_issued` event of a token of grant `grant_id` (client `rp`, `acc-1`).
pub fn issued_event(grant_type: &str, grant_id: &str) -> AuditEvent {
    AuditEvent::TokenIssued {
        grant_type: grant_type.into(),
        client_id: "rp".into(),
        subject: Some("acc-1".into()),
        scope: "openid".into(),
        token_id: format!("jti-{grant_id}"),
        grant_id: Some(grant_id.into()),
        amr: vec!["pwd".into()],
        session_id: None,
        request_id: None,
    }
}

/// Rotates `old` into `new` as client `rp`, accepting any grant: the outcome's name
/// (`rotated`, `reused`, `refused`, `invalid`).
pub async fn rotate(store: &dyn Store, old: &str, new: &str) -> &'static str {
    let req = RefreshRequest { old_hash: old, client_id: "rp", new_hash: new };
    match store.rotate_refresh(req, &|g| Some(issued_event("refresh_token", &g.id))).await.unwrap() {
        Rotation::Rotated(_) => "rotated",
        Rotation::Reused => "reused",
        Rotation::Refused => "refused",
        Rotation::Invalid => "invalid",
    }
}

/// Imports `acc-1` with its school `org-1` unless it exists (one `demo_seeded` event).
pub async fn with_acc1(store: &dyn Store) {
    if store.account("acc-1").await.unwrap().is_none() {
        let batch = DirectoryBatch {
            organisations: vec![organisation("org-1")],
            accounts: vec![account("acc-1", "org-1", "ivanova", Role::Parent)],
            ..Default::default()
        };
        store.import_directory(&batch, &event()).await.unwrap();
    }
}

/// Stores a code and spends it: a live grant `grant_id` of `acc-1` ([`with_acc1`])
/// with refresh token `token_hash`.
pub async fn issued_grant(store: &dyn Store, grant_id: &str, token_hash: &str, session_hash: Option<&str>) {
    with_acc1(store).await;
    if let Some(sid) = session_hash
        && store.session(sid).await.unwrap().is_none()
    {
        store.create_session(&session(sid, "acc-1", 3600), &event()).await.unwrap();
    }
    let code_hash = format!("code-{grant_id}");
    store.insert_code(&code(&code_hash, grant_id, session_hash)).await.unwrap();
    let g = grant(grant_id, "acc-1", "rp", session_hash);
    let outcome = store.exchange_code(&code_hash, &g, Some(&refresh(token_hash, grant_id)), &event()).await;
    assert_eq!(outcome.unwrap(), CodeExchange::Issued);
}

/// Whether the grant exists and is revoked.
pub async fn is_revoked(store: &dyn Store, grant_id: &str) -> bool {
    store.grant(grant_id).await.unwrap().expect("grant exists").revoked_at.is_some()
}

/// The `kind` of every audit row, in order.
pub async fn audit_kinds(store: &dyn Store) -> Vec<String> {
    store.audit_records(0, 100_000).await.unwrap().into_iter().map(|r| r.kind).collect()
}
