//! The whole journey with the `openidconnect` crate as the relying party:
//! discovery, code + PKCE through the legacy login form, ID token validation
//! (signature, iss, aud, nonce), userinfo, refresh, introspection, revocation.

use crate::common::*;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};

/// openidconnect's HTTP client: reqwest with redirects off.
pub async fn http_client(req: openidconnect::HttpRequest) -> Result<openidconnect::HttpResponse, std::io::Error> {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let (parts, body) = req.into_parts();
    let res = client
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await
        .map_err(std::io::Error::other)?;
    let mut builder = openidconnect::http::Response::builder().status(res.status());
    for (k, v) in res.headers() {
        builder = builder.header(k, v);
    }
    let body = res.bytes().await.map_err(std::io::Error::other)?.to_vec();
    builder.body(body).map_err(std::io::Error::other)
}

#[tokio::test]
async fn openidconnect_rp_full_journey_confidential_client() {
    let app = TestApp::spawn().await;
    let redirect = "https://rp.example/cb";
    let secret = app
        .add_client(propusk::cli::AddClient {
            id: "diary-web".into(),
            redirect_uris: vec![redirect.into()],
            ..Default::default()
        })
        .await
        .expect("confidential client gets a secret");

    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(app.base.clone()).unwrap(), &http_client)
        .await
        .expect("discovery");
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new("diary-web".into()),
        Some(ClientSecret::new(secret.clone())),
    )
    .set_redirect_uri(RedirectUrl::new(redirect.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, csrf, nonce) = client
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("school".into()))
        .add_scope(Scope::new("offline_access".into()))
        .set_pkce_challenge(challenge)
        .url();

    let http = browser();
    let back = login_for_code(&app, &http, auth_url.as_str(), "ivanova.mp").await;
    assert!(back.starts_with(redirect), "back to the RP: {back}");
    assert_eq!(query_param(&back, "state").as_deref(), Some(csrf.secret().as_str()));
    assert_eq!(query_param(&back, "iss").as_deref(), Some(app.base.as_str()), "AZ-04: iss on the response");
    let code = query_param(&back, "code").unwrap();

    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http_client)
        .await
        .expect("code exchange");
    let id_token = tokens.id_token().expect("id token");
    let verifier = client.id_token_verifier();
    let claims = id_token.claims(&verifier, &nonce).expect("ID token verifies (signature, iss, aud, nonce)");
    assert_eq!(claims.issuer().as_str(), app.base);
    let family = claims.family_name().and_then(|n| n.get(None)).map(|n| n.as_str().to_owned());
    assert_eq!(family.as_deref(), Some("Иванова"));
    assert!(claims.auth_time().is_some());
    let at_hash = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&at_hash), "IT-03 at_hash");

    let userinfo: CoreUserInfoClaims = client
        .user_info(tokens.access_token().clone(), Some(claims.subject().clone()))
        .unwrap()
        .request_async(&http_client)
        .await
        .expect("userinfo");
    assert_eq!(userinfo.subject(), claims.subject(), "UI-02 same sub");

    let refresh = tokens.refresh_token().expect("offline_access gives a refresh token").clone();
    let refreshed =
        client.exchange_refresh_token(&refresh).unwrap().request_async(&http_client).await.expect("refresh");
    let new_refresh = refreshed.refresh_token().expect("rotated").clone();
    assert_ne!(new_refresh.secret(), refresh.secret());

    // Introspection of the new access token, then revocation of the refresh token.
    let basic = reqwest::Client::new();
    let intro: serde_json::Value = basic
        .post(app.url("/introspect"))
        .basic_auth("diary-web", Some(secret.as_str()))
        .form(&[("token", refreshed.access_token().secret().as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(intro["active"], true);
    assert_eq!(intro["sub"], claims.subject().as_str());
    let revoked = basic
        .post(app.url("/revoke"))
        .basic_auth("diary-web", Some(secret.as_str()))
        .form(&[("token", new_refresh.secret().as_str()), ("token_type_hint", "refresh_token")])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let intro: serde_json::Value = basic
        .post(app.url("/introspect"))
        .basic_auth("diary-web", Some(secret.as_str()))
        .form(&[("token", refreshed.access_token().secret().as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(intro, serde_json::json!({"active": false}), "RV-03: revoking the refresh token kills the family");
}
