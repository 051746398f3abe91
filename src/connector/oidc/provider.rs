//! Where the provider's endpoints and keys come from: discovery
//! (`{issuer}/.well-known/openid-configuration`) or the explicit `oidc.*_endpoint`
//! keys with the JWKS fetched from `oidc.jwks_uri`; and openidconnect's HTTP client
//! over our hardened one.

use super::OidcConfig;
use crate::connector::ConnectorError;
use crate::connector::http::HttpClient;
use openidconnect::core::{CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreResponseType, CoreSubjectIdentifierType};
use openidconnect::{
    AuthUrl, EmptyAdditionalProviderMetadata, IssuerUrl, JsonWebKeySet, JsonWebKeySetUrl, ResponseTypes, TokenUrl,
    UserInfoUrl,
};

/// The provider's metadata with its JWKS.
pub(super) async fn fetch(
    cfg: &OidcConfig,
    issuer: &IssuerUrl,
    algs: &[CoreJwsSigningAlgorithm],
    http: &HttpClient,
) -> Result<CoreProviderMetadata, ConnectorError> {
    if !cfg.explicit_endpoints() {
        return CoreProviderMetadata::discover_async(issuer.clone(), &Adapter(http)).await.map_err(discovery_err);
    }
    let bad = |key: &str, e: url::ParseError| ConnectorError::Internal(format!("oidc.{key}: {e}"));
    let auth = AuthUrl::new(cfg.authorization_endpoint.clone()).map_err(|e| bad("authorization_endpoint", e))?;
    let token = TokenUrl::new(cfg.token_endpoint.clone()).map_err(|e| bad("token_endpoint", e))?;
    let jwks_uri = JsonWebKeySetUrl::new(cfg.jwks_uri.clone()).map_err(|e| bad("jwks_uri", e))?;
    let userinfo = match cfg.userinfo_endpoint.as_str() {
        "" => None,
        u => Some(UserInfoUrl::new(u.to_string()).map_err(|e| bad("userinfo_endpoint", e))?),
    };
    let jwks = JsonWebKeySet::fetch_async(&jwks_uri, &Adapter(http)).await.map_err(discovery_err)?;
    Ok(CoreProviderMetadata::new(
        issuer.clone(),
        auth,
        jwks_uri,
        vec![ResponseTypes::new(vec![CoreResponseType::Code])],
        vec![CoreSubjectIdentifierType::Public],
        algs.to_vec(),
        EmptyAdditionalProviderMetadata {},
    )
    .set_token_endpoint(Some(token))
    .set_userinfo_endpoint(userinfo)
    .set_jwks(jwks))
}

/// openidconnect's HTTP client: our hardened reqwest client (BR-09).
pub(super) struct Adapter<'a>(pub(super) &'a HttpClient);

type BoxFuture<'c> = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<openidconnect::HttpResponse, ConnectorError>> + Send + 'c>,
>;

impl<'c> openidconnect::AsyncHttpClient<'c> for Adapter<'_> {
    type Error = ConnectorError;
    type Future = BoxFuture<'c>;

    fn call(&'c self, req: openidconnect::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            let builder = self.0.inner().request(parts.method, parts.uri.to_string()).headers(parts.headers).body(body);
            let answer = self.0.send(builder).await?;
            if answer.status >= 500 {
                return Err(ConnectorError::Unavailable(format!("upstream answered {}", answer.status)));
            }
            let mut res = openidconnect::http::Response::builder().status(answer.status);
            if answer.json {
                res = res.header(openidconnect::http::header::CONTENT_TYPE, "application/json");
            }
            res.body(answer.body).map_err(|e| ConnectorError::Internal(format!("http response: {e}")))
        })
    }
}

fn discovery_err(e: openidconnect::DiscoveryError<ConnectorError>) -> ConnectorError {
    match e {
        openidconnect::DiscoveryError::Request(e) => e,
        other => ConnectorError::Protocol { code: None, message: format!("discovery: {other}") },
    }
}
