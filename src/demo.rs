//! Demo mode (`serve --demo`): seeds the school part of the demo data set and the
//! `demo-diary` relying party once, and describes them for the start-up banner.

use crate::account::directory::DirectoryKeys;
use crate::audit::AuditEvent;
use crate::clock::Clock;
use crate::config::Config;
use crate::oidc::client::{DEFAULT_SCOPE, NewClient, build_client};
use crate::store::{AuthMethod, ConsentMode, Store};

pub const DEMO_CLIENT: &str = "demo-diary";

/// Seeds what is missing: the directory (once, by the account module's own
/// marker) and the demo client (when absent).
pub async fn seed(store: &dyn Store, config: &Config, keys: &DirectoryKeys, clock: &dyn Clock) -> anyhow::Result<()> {
    crate::account::demo::seed(store, keys).await?;
    if store.client(DEMO_CLIENT).await?.is_none() {
        let new = NewClient {
            id: DEMO_CLIENT.into(),
            redirect_uris: vec![format!("{}/demo/callback", config.issuer)],
            post_logout_redirect_uris: vec![format!("{}/demo", config.issuer)],
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
            scope: DEFAULT_SCOPE.into(),
            consent: ConsentMode::Implicit,
            auth_method: AuthMethod::None,
            secret: None,
            id_token_alg: config.keys.default_alg.clone(),
            subject_type: "public".into(),
            sector_identifier_uri: None,
            display_name: None,
            resources: vec![],
            backchannel_logout_uri: None,
            backchannel_logout_session_required: false,
            jwks: None,
            logo_uri: None,
        };
        let (client, _) = build_client(new, &config.tokens, clock.now())?;
        store
            .insert_client(&client, &AuditEvent::ClientAdded { client_id: client.id.clone(), by: "demo".into() })
            .await?;
    }
    Ok(())
}

/// What `serve --demo` prints on start.
pub fn banner(issuer: &str) -> String {
    let mut out = format!(
        "propusk demo is running.\n  Open {issuer}/demo and press «Войти».\n  Relying party: client_id `{DEMO_CLIENT}` (public, PKCE), redirect {issuer}/demo/callback\n  Discovery: {issuer}/.well-known/openid-configuration\n  ESIA sandbox: {issuer}/esia-sandbox\n  School logins (password `{}`):\n",
        crate::account::demo::DEMO_PASSWORD
    );
    for (login, role, org) in crate::account::demo::DEMO_LOGINS {
        out.push_str(&format!("    {login:<16} {role:<24} {org}\n"));
    }
    out.push_str(&format!(
        "  Access requests: {issuer}/admin/requests (sign in as admin1); mail goes to the `mail.dir` \
         directory (data/mail/ by default)\n"
    ));
    out
}
