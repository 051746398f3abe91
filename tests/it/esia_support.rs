//! Helpers of the «Через Госуслуги» journey tests: the role page and the sandbox's
//! login and consent up to (not including) our callback, page fetches and form
//! posts, the account chooser's entries, the demo accounts' ids, and the claims the
//! demo relying party gets.

use crate::common::*;
use crate::esia_journey::{give_pd_consent, jwt_payload, start, through_esia};
use std::sync::Arc;

pub const ESIA_PASSWORD: &str = "esia-demo";

/// `url` made absolute against the issuer.
pub fn absolute(app: &TestApp, url: &str) -> String {
    if url.starts_with("http") { url.to_owned() } else { app.url(url) }
}

/// A browser whose cookie jar the test can read (to replay a request with its cookies).
pub fn browser_with_jar() -> (reqwest::Client, Arc<reqwest::cookie::Jar>) {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let http = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .unwrap();
    (http, jar)
}

/// The `Cookie` header the jar sends to the issuer.
pub fn cookie_header(app: &TestApp, jar: &reqwest::cookie::Jar) -> String {
    use reqwest::cookie::CookieStore as _;
    let url = url::Url::parse(&app.url("/")).unwrap();
    jar.cookies(&url).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// GET of a path (or an absolute URL).
pub async fn get(app: &TestApp, http: &reqwest::Client, path: &str) -> reqwest::Response {
    http.get(absolute(app, path)).send().await.unwrap()
}

/// GET of a page: its status and HTML.
pub async fn page(app: &TestApp, http: &reqwest::Client, path: &str) -> (u16, String) {
    let res = get(app, http, path).await;
    (res.status().as_u16(), res.text().await.unwrap())
}

/// A form POST to a path.
pub async fn post(app: &TestApp, http: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    http.post(app.url(path)).form(form).send().await.unwrap()
}

/// The signed flow id in a URL (relative or absolute).
pub fn flow_of(app: &TestApp, url: &str) -> String {
    query_param(&absolute(app, url), "flow").expect("flow in the URL")
}

/// From the login page of a flow: «Через Госуслуги» → «Выберите роль для входа» →
/// `role`. Returns the redirect to the sandbox.
pub async fn choose_role(app: &TestApp, http: &reqwest::Client, login_url: &str, role: &str) -> String {
    let flow = flow_of(app, login_url);
    let (status, html) = page(app, http, &format!("/login/esia?flow={flow}")).await;
    assert_eq!(status, 200, "role page");
    assert!(html.contains("Выберите роль для входа"));
    for label in ["Родитель", "Ученик", "Сотрудник", "Продолжить"] {
        assert!(html.contains(label), "role page offers «{label}»");
    }
    let csrf = hidden(&html, "csrf").unwrap();
    let res = post(app, http, "/login/esia", &[("flow", flow.as_str()), ("csrf", &csrf), ("role", role)]).await;
    let to_esia = location(&res);
    assert!(to_esia.contains("/esia-sandbox/aas/oauth2/v2/ac?"), "to the sandbox: {to_esia}");
    to_esia
}

/// The sandbox's login page and consent («Предоставить») for `esia_login`. Returns
/// the URL of our callback that the sandbox redirects to (not followed).
pub async fn sandbox_login(app: &TestApp, http: &reqwest::Client, to_esia: &str, esia_login: &str) -> String {
    let (status, html) = page(app, http, to_esia).await;
    assert_eq!(status, 200, "sandbox login page");
    assert!(html.contains("Телефон / Email / СНИЛС"));
    let req = hidden(&html, "req").unwrap();
    let form = [("req", req.as_str()), ("login", esia_login), ("password", ESIA_PASSWORD)];
    let res = post(app, http, "/esia-sandbox/aas/oauth2/login", &form).await;
    let html = if res.status().is_redirection() {
        page(app, http, &location(&res)).await.1
    } else {
        assert_eq!(res.status(), 200, "sandbox login");
        res.text().await.unwrap()
    };
    assert!(html.contains("Предоставить"), "sandbox consent page");
    let req = hidden(&html, "req").unwrap();
    let res = post(app, http, "/esia-sandbox/aas/oauth2/consent", &[("req", req.as_str()), ("action", "allow")]).await;
    let back = location(&res);
    assert!(back.contains("/login/esia/callback?"), "back to propusk: {back}");
    absolute(app, &back)
}

/// Role choice and the sandbox: the callback URL, not yet followed.
pub async fn esia_callback_url(
    app: &TestApp,
    http: &reqwest::Client,
    login_url: &str,
    role: &str,
    esia_login: &str,
) -> String {
    let to_esia = choose_role(app, http, login_url, role).await;
    sandbox_login(app, http, &to_esia, esia_login).await
}

/// The id (the public `sub`) of a demo school account.
pub async fn account_id(app: &TestApp, org: &str, login: &str) -> String {
    app.app().store.account_by_login(org, login).await.unwrap().unwrap_or_else(|| panic!("demo account {login}")).id
}

/// The ESIA links of a school account (issuer, subject).
pub async fn links_of(app: &TestApp, org: &str, login: &str) -> Vec<(String, String)> {
    let id = account_id(app, org, login).await;
    app.app().store.links_of_account(&id).await.unwrap().into_iter().map(|l| (l.issuer, l.subject)).collect()
}

/// The entries of «Выберите учетную запись»: (account id, organisation name).
pub fn chooser_entries(html: &str) -> Vec<(String, String)> {
    let marker = "name=\"account\" value=\"";
    html.split(marker)
        .skip(1)
        .map(|chunk| {
            let id = chunk.split('"').next().unwrap().to_owned();
            let org = chunk.split("<strong>").nth(1).and_then(|s| s.split("</strong>").next()).unwrap_or_default();
            (id, org.to_owned())
        })
        .collect()
}

/// A redirect back to `redirect`: asserts `state` and `iss` (RFC 9207) and returns its `code`.
pub fn code_of(app: &TestApp, back: &str, redirect: &str) -> String {
    assert!(back.starts_with(redirect), "back to the relying party: {back}");
    assert_eq!(query_param(back, "state").as_deref(), Some("st-123"), "state: {back}");
    assert_eq!(query_param(back, "iss").as_deref(), Some(app.base.as_str()), "iss: {back}");
    query_param(back, "code").unwrap_or_else(|| panic!("a code: {back}"))
}

/// An error redirect back to `redirect` with `error`, `state` and `iss`.
pub fn assert_denied(app: &TestApp, back: &str, redirect: &str) {
    assert!(back.starts_with(redirect), "back to the relying party: {back}");
    assert_eq!(query_param(back, "error").as_deref(), Some("access_denied"), "{back}");
    assert_eq!(query_param(back, "state").as_deref(), Some("st-123"), "state: {back}");
    assert_eq!(query_param(back, "iss").as_deref(), Some(app.base.as_str()), "iss: {back}");
    assert!(query_param(back, "code").is_none(), "no code with an error: {back}");
}

/// The demo client's redirect after a login: exchanges the code (PKCE) and returns the ID token's claims.
pub async fn demo_claims(app: &TestApp, back: &str) -> serde_json::Value {
    let redirect = app.url("/demo/callback");
    let code = code_of(app, back, &redirect);
    let res = exchange_public(app, "demo-diary", &redirect, &code).await;
    assert_eq!(res.status(), 200, "code exchange");
    let tokens: serde_json::Value = res.json().await.unwrap();
    jwt_payload(tokens["id_token"].as_str().expect("an ID token"))
}

/// The `sub` a public client sees for the account `account_id` (its stored subject).
pub async fn sub_of(app: &TestApp, account_id: &str) -> String {
    app.app().store.account(account_id).await.unwrap().unwrap_or_else(|| panic!("account {account_id}")).subject
}

/// Asserts an ESIA login of `sub` with the school's spelling of the names.
pub fn assert_esia_claims(claims: &serde_json::Value, sub: &str, family: &str, given: &str, middle: &str) {
    assert_eq!(claims["sub"], sub, "sub: {claims}");
    assert_eq!(claims["family_name"], family, "{claims}");
    assert_eq!(claims["given_name"], given, "{claims}");
    assert_eq!(claims["middle_name"], middle, "{claims}");
    assert_eq!(claims["amr"], serde_json::json!(["esia"]), "amr: {claims}");
}

/// On «Привязать учетную запись» of the flow: submits the organisation, login and password.
pub async fn submit_link(
    app: &TestApp,
    http: &reqwest::Client,
    flow: &str,
    login: &str,
    password: &str,
) -> reqwest::Response {
    let (status, html) = page(app, http, &format!("/login/esia/link?flow={flow}")).await;
    assert_eq!(status, 200, "link page");
    let csrf = hidden(&html, "csrf").unwrap();
    let form = [
        ("flow", flow),
        ("csrf", csrf.as_str()),
        ("org_kind", "school"),
        ("org", SCHOOL1),
        ("login", login),
        ("password", password),
    ];
    post(app, http, "/login/esia/link", &form).await
}

/// The audit records of a kind (their JSON data).
pub async fn audit_of(app: &TestApp, kind: &str) -> Vec<String> {
    let rows = app.app().store.audit_records(0, 10_000).await.unwrap();
    rows.into_iter().filter(|r| r.kind == kind).map(|r| r.data).collect()
}

/// Signs `login` of [`SCHOOL1`] in with the password (no flow) and returns `/account`'s HTML.
pub async fn password_login_to_account(app: &TestApp, http: &reqwest::Client, login: &str) -> String {
    let (status, _) = page(app, http, "/account").await;
    assert_eq!(status, 302, "/account without a session goes to the login page");
    let res = submit_login(http, &app.base, "/login?next=/account", login, PASSWORD).await;
    assert_eq!(location(&res), "/account", "back to /account after the login");
    let (status, html) = page(app, http, "/account").await;
    assert_eq!(status, 200);
    assert!(html.contains("Персональные настройки"));
    html
}

/// «Выберите учетную запись» of the flow at `chooser_url`: picks `account` («Войти»).
pub async fn choose(app: &TestApp, http: &reqwest::Client, chooser_url: &str, account: &str) -> reqwest::Response {
    let (_, html) = page(app, http, chooser_url).await;
    let (flow, csrf) = (flow_of(app, chooser_url), hidden(&html, "csrf").unwrap());
    post(app, http, "/login/esia/choose", &[("flow", &flow), ("csrf", &csrf), ("account", account)]).await
}

/// A native app (public client, RFC 8252) registered with `registered`, driven by the
/// `openidconnect` crate with `redirect`: ivanova@example.ru signs in through ESIA and
/// the code is exchanged with PKCE. Returns the verified ID token's `sub` and its payload.
pub async fn native_app_journey(app: &TestApp, registered: &str, redirect: &str) -> (String, serde_json::Value) {
    use crate::oidc_flow::http_client;
    use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
    use openidconnect::{AuthorizationCode, ClientId, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge};
    use openidconnect::{RedirectUrl, Scope, TokenResponse};
    let add = propusk::cli::AddClient {
        id: "diary-app".into(),
        redirect_uris: vec![registered.into()],
        public: true,
        ..Default::default()
    };
    assert!(app.add_client(add).await.is_none(), "a public client has no secret");
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(app.base.clone()).unwrap(), &http_client)
        .await
        .expect("discovery");
    let client = CoreClient::from_provider_metadata(metadata, ClientId::new("diary-app".into()), None)
        .set_redirect_uri(RedirectUrl::new(redirect.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, csrf, nonce) = client
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    let http = browser();
    let login = location(&get(app, &http, auth_url.as_str()).await);
    assert!(login.starts_with("/login?flow="), "to the login page: {login}");
    let res = through_esia(app, &http, &login, "parent", "ivanova@example.ru").await;
    let back = location(&give_pd_consent(app, &http, res).await);
    assert!(back.starts_with(redirect), "back to the app: {back}");
    assert_eq!(query_param(&back, "state").as_deref(), Some(csrf.secret().as_str()));
    assert_eq!(query_param(&back, "iss").as_deref(), Some(app.base.as_str()));
    let code = query_param(&back, "code").expect("a code");
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http_client)
        .await
        .expect("code exchange with PKCE");
    let id_token = tokens.id_token().expect("an ID token");
    let claims = id_token.claims(&client.id_token_verifier(), &nonce).expect("the ID token verifies");
    (claims.subject().to_string(), jwt_payload(&id_token.to_string()))
}

/// A login of the demo client in a fresh browser through ESIA, the PD consent given if asked.
/// Returns the browser and where the journey goes next.
pub async fn esia_login(app: &TestApp, role: &str, who: &str, extra: &str) -> (reqwest::Client, String) {
    let http = browser();
    let login = start(app, &http, extra).await;
    let mut res = through_esia(app, &http, &login, role, who).await;
    if location(&res).starts_with("/login/esia/consent?") {
        res = give_pd_consent(app, &http, res).await;
    }
    let next = location(&res);
    (http, next)
}

/// From a fresh browser to «Запись не найдена» for `who` as `role`; returns the browser and the page URL.
pub async fn to_not_found(app: &TestApp, role: &str, who: &str) -> (reqwest::Client, String) {
    let (http, next) = esia_login(app, role, who, "").await;
    assert!(next.starts_with("/login/esia/not-found?flow="), "no match → «Запись не найдена»: {next}");
    let (status, html) = page(app, &http, &next).await;
    assert_eq!(status, 200);
    assert!(html.contains("Запись не найдена"));
    assert!(html.contains("С выбранной учётной записью портала Госуслуг не связан ни один пользователь системы"));
    let flow = flow_of(app, &next);
    for (label, path) in [("Привязать учетную запись", "link"), ("Обратиться в организацию", "request")]
    {
        assert!(html.contains(label), "button «{label}»");
        assert!(html.contains(&format!("href=\"/login/esia/{path}?flow={flow}\"")), "«{label}» leads on");
    }
    assert!(html.contains("Выход") && html.contains("action=\"/login/esia/leave\""), "«Выход» back to the login page");
    (http, next)
}

/// An ESIA login refused with a 403 page offering «Вернуться в приложение»: the
/// browser, the page and the link of that button.
pub async fn refused(app: &TestApp, role: &str, who: &str) -> (reqwest::Client, String, String) {
    let http = browser();
    let login = start(app, &http, "").await;
    let res = through_esia(app, &http, &login, role, who).await;
    assert_eq!(res.status(), 403, "{who} as {role}: refused with a page (not a redirect)");
    let html = res.text().await.unwrap();
    assert!(html.contains("Вернуться в приложение"));
    let href = html.split("href=\"/login/esia/exit?flow=").nth(1).expect("«Вернуться в приложение» link");
    let exit = format!("/login/esia/exit?flow={}", href.split('"').next().unwrap());
    (http, html, exit)
}
