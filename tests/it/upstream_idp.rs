//! A small OpenID Provider written for the tests of the `[oidc]` upstream: discovery,
//! `/authorize` answering at once with a code, `/token` with an RS256 ID token
//! (josekit), `/userinfo` and the JWKS, on loopback. Knobs make it lie: another
//! `iss` or `aud`, a foreign signature, another nonce.

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use josekit::jwk::KeyPair as _;
use propusk::clock::Clock as _;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const IDP_CLIENT: &str = "propusk-at-idp";
pub const IDP_SECRET: &str = "idp-secret-123";
const KID: &str = "idp-key-1";

/// What the provider will do wrong on the next token answer.
#[derive(Debug, Clone, Default)]
pub struct Knobs {
    pub iss: Option<String>,
    pub aud: Option<String>,
    pub nonce: Option<String>,
    /// Sign with a key the JWKS does not publish (same `kid`).
    pub foreign_key: bool,
}

struct Grant {
    nonce: String,
    challenge: String,
    person: Value,
}

struct Inner {
    base: String,
    key: Vec<u8>,
    foreign: Vec<u8>,
    public: josekit::jwk::Jwk,
    /// The person the next login is of (claims without `sub`, `sub` in `"sub"`).
    person: Mutex<Value>,
    knobs: Mutex<Knobs>,
    codes: Mutex<HashMap<String, Grant>>,
    tokens: Mutex<HashMap<String, Value>>,
    /// Codes redeemed at `/token`.
    redeemed: std::sync::atomic::AtomicUsize,
    /// Discovery documents served.
    discovered: std::sync::atomic::AtomicUsize,
}

/// A running provider; its URL is the issuer.
#[derive(Clone)]
pub struct Idp(Arc<Inner>);

impl Idp {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let pair = josekit::jws::RS256.generate_key_pair(2048).unwrap();
        let mut public = pair.to_jwk_public_key();
        public.set_key_id(KID);
        public.set_algorithm("RS256");
        public.set_key_use("sig");
        let foreign = josekit::jws::RS256.generate_key_pair(2048).unwrap().to_der_private_key();
        let idp = Self(Arc::new(Inner {
            base,
            key: pair.to_der_private_key(),
            foreign,
            public,
            person: Mutex::new(json!({})),
            knobs: Mutex::new(Knobs::default()),
            codes: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
            redeemed: Default::default(),
            discovered: Default::default(),
        }));
        let router = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/userinfo", get(userinfo))
            .route("/jwks", get(jwks))
            .with_state(idp.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        idp
    }

    pub fn issuer(&self) -> String {
        self.0.base.clone()
    }

    /// The person of the next logins.
    pub fn set_person(&self, person: Value) {
        *self.0.person.lock().unwrap() = person;
    }

    /// How many codes `/token` has redeemed.
    pub fn redeemed(&self) -> usize {
        self.0.redeemed.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// How many discovery documents were served.
    pub fn discovered(&self) -> usize {
        self.0.discovered.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn set_knobs(&self, knobs: Knobs) {
        *self.0.knobs.lock().unwrap() = knobs;
    }
}

async fn discovery(State(idp): State<Idp>) -> Json<Value> {
    idp.0.discovered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let b = &idp.0.base;
    Json(json!({
        "issuer": b,
        "authorization_endpoint": format!("{b}/authorize"),
        "token_endpoint": format!("{b}/token"),
        "userinfo_endpoint": format!("{b}/userinfo"),
        "jwks_uri": format!("{b}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "code_challenge_methods_supported": ["S256"],
    }))
}

/// Signs the person in at once (no page) and redirects back with a code.
async fn authorize(State(idp): State<Idp>, Query(q): Query<HashMap<String, String>>) -> Response {
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    if get("client_id") != IDP_CLIENT || get("response_type") != "code" || get("code_challenge_method") != "S256" {
        return (StatusCode::BAD_REQUEST, "bad authorization request").into_response();
    }
    let code = propusk::crypto::random_token();
    let person = idp.0.person.lock().unwrap().clone();
    idp.0
        .codes
        .lock()
        .unwrap()
        .insert(code.clone(), Grant { nonce: get("nonce"), challenge: get("code_challenge"), person });
    let mut back = url::Url::parse(&get("redirect_uri")).unwrap();
    back.query_pairs_mut().append_pair("code", &code).append_pair("state", &get("state"));
    Redirect::to(back.as_str()).into_response()
}

async fn token(State(idp): State<Idp>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    use base64::Engine as _;
    let basic = format!("{IDP_CLIENT}:{IDP_SECRET}");
    let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(basic));
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_client"}))).into_response();
    }
    let grant = f.get("code").and_then(|c| idp.0.codes.lock().unwrap().remove(c));
    let verifier = f.get("code_verifier").cloned().unwrap_or_default();
    let Some(grant) =
        grant.filter(|g| propusk::crypto::b64(&propusk::crypto::sha256(verifier.as_bytes())) == g.challenge)
    else {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "invalid_grant"}))).into_response();
    };
    idp.0.redeemed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let knobs = idp.0.knobs.lock().unwrap().clone();
    let now = propusk::clock::SystemClock.now();
    let mut claims = serde_json::Map::new();
    claims.insert("iss".into(), json!(knobs.iss.unwrap_or_else(|| idp.0.base.clone())));
    claims.insert("aud".into(), json!(knobs.aud.unwrap_or_else(|| IDP_CLIENT.into())));
    claims.insert("nonce".into(), json!(knobs.nonce.unwrap_or(grant.nonce)));
    claims.insert("iat".into(), json!(now));
    claims.insert("exp".into(), json!(now + 300));
    claims.insert("sub".into(), grant.person["sub"].clone());
    claims.insert("family_name".into(), grant.person["family_name"].clone());
    let key = if knobs.foreign_key { &idp.0.foreign } else { &idp.0.key };
    let signer = josekit::jws::RS256.signer_from_der(key).unwrap();
    let mut header = josekit::jws::JwsHeader::new();
    header.set_token_type("JWT");
    header.set_key_id(KID);
    let payload = josekit::jwt::JwtPayload::from_map(claims).unwrap();
    let id_token = josekit::jwt::encode_with_signer(&payload, &header, &signer).unwrap();
    let access = propusk::crypto::random_token();
    idp.0.tokens.lock().unwrap().insert(access.clone(), grant.person);
    Json(json!({"access_token": access, "token_type": "Bearer", "expires_in": 300, "id_token": id_token}))
        .into_response()
}

/// The rest of the person's claims come from UserInfo.
async fn userinfo(State(idp): State<Idp>, headers: HeaderMap) -> Response {
    let bearer = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    match bearer.and_then(|t| idp.0.tokens.lock().unwrap().get(t).cloned()) {
        Some(person) => Json(person).into_response(),
        None => StatusCode::UNAUTHORIZED.into_response(),
    }
}

async fn jwks(State(idp): State<Idp>) -> Json<Value> {
    Json(json!({"keys": [Value::Object(idp.0.public.as_ref().clone())]}))
}
