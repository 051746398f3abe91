//! Subjects and redirects as an attacker tries them (issue 9): a redirect URI that
//! only looks like loopback (AZ-13), the loopback port exception for confidential
//! clients (AZ-10), `next` after a sign-in that a browser would follow elsewhere,
//! a `sub` from which anyone could recompute the login (IT-01), and pairwise
//! subjects per sector that UserInfo, introspection and logout agree with (IT-04).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use crate::support::*;
use propusk::cli::{AddClient, CliError};

async fn add(app: &TestApp, args: AddClient) -> Result<serde_json::Value, CliError> {
    propusk::cli::clients_add(&app.config, args).await
}

#[tokio::test]
async fn az_13_registration_refuses_names_that_look_like_loopback() {
    let app = TestApp::spawn().await;
    for uri in [
        "http://127.attacker.example/cb",
        "http://127.0.0.1.attacker.example/cb",
        "http://localhost/cb",
        "http://127.1/cb",
        "http://2130706433/cb",
        "http://[::ffff:127.0.0.1]/cb",
        "http://user@127.0.0.1/cb",
        "http://127.0.0.1/cb#frag",
        "http://127.0.0.1/*",
        "JaVaScRiPt:alert(1)",
        "DATA:text/html,x",
    ] {
        for public in [true, false] {
            let args = AddClient { id: "native".into(), redirect_uris: vec![uri.into()], public, ..Default::default() };
            let err = add(&app, args).await.expect_err(uri);
            assert_eq!(err.exit_code(), 2, "{uri}: {err}");
            assert!(err.to_string().contains("--redirect-uri"), "{uri}: names the argument: {err}");
        }
    }
    assert!(app.app().store.client("native").await.unwrap().is_none(), "nothing stored");
    // A confidential client gets no private-use scheme (that is an app on a device).
    let args = AddClient { id: "web".into(), redirect_uris: vec!["ru.example.app:/cb".into()], ..Default::default() };
    assert_eq!(add(&app, args).await.expect_err("private-use").exit_code(), 2);
    // What is loopback is accepted, for both kinds.
    for (id, public) in [("native", true), ("dev-web", false)] {
        let uris = vec!["http://127.0.0.1/cb".into(), "http://[::1]:8000/cb".into(), "http://127.0.0.2/cb".into()];
        add(&app, AddClient { id: id.into(), redirect_uris: uris, public, ..Default::default() }).await.unwrap();
    }
}

#[tokio::test]
async fn az_10_a_confidential_clients_loopback_uri_matches_exactly() {
    let app = TestApp::spawn().await;
    let rp =
        Rp::register(&app, "dev-web", false, vec!["http://127.0.0.1/cb".into(), "http://[::1]:8000/cb".into()]).await;
    let http = browser();
    for other_port in ["http://127.0.0.1:53124/cb", "http://127.0.0.1:80/cb", "http://[::1]:1/cb", "http://[::1]/cb"] {
        let res = http.get(authorize_url(&app, &rp.id, other_port, "openid", "")).send().await.unwrap();
        assert_error_page(res, other_port).await;
    }
    // Exactly as registered: the journey goes on, and the code comes back there.
    let back =
        login_for_code(&app, &http, &authorize_url(&app, &rp.id, "http://127.0.0.1/cb", "openid", ""), "ivanova.mp")
            .await;
    assert!(back.starts_with("http://127.0.0.1/cb?"), "{back}");
    // A native client keeps RFC 8252's exception.
    let native = Rp::register(&app, "native", true, vec!["http://127.0.0.1/cb".into()]).await;
    let res = http
        .get(authorize_url(&app, &native.id, "http://127.0.0.1:53124/cb", "openid", "&prompt=none"))
        .send()
        .await
        .unwrap();
    assert!(location(&res).starts_with("http://127.0.0.1:53124/cb?"), "native: any port");
}

/// Payloads for `next`: each would land elsewhere (or somewhere else than written)
/// once a browser parses it.
const EVIL_NEXT: &[&str] = &[
    "/\t/evil.example",
    "/\t\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "/\r\n/evil.example",
    "/\\evil.example",
    "/\\/evil.example",
    "\\/evil.example",
    "\\\\evil.example",
    "//evil.example",
    "///evil.example",
    "/ /evil.example",
    " //evil.example",
    "https://evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    "evil.example",
    "/\u{3000}/evil.example",
    "/\u{ff0f}evil.example",
    "/%2e%2e//evil.example",
    "/account#x",
];

/// Where the browser really goes: `location` resolved as the URL standard does.
fn resolved(app: &TestApp, location: &str) -> url::Url {
    url::Url::parse(&app.base).unwrap().join(location).unwrap()
}

#[tokio::test]
async fn open_redirect_next_stays_on_the_issuer() {
    let app = TestApp::spawn().await;
    let origin = url::Url::parse(&app.base).unwrap().origin();
    for evil in EVIL_NEXT {
        // The reported case: `next` in the login page's query string (with %09 for TAB).
        let encoded: String = url::form_urlencoded::byte_serialize(evil.as_bytes()).collect();
        let http = browser();
        let res = submit_login(&http, &app.base, &format!("/login?next={encoded}"), "ivanova.mp", PASSWORD).await;
        assert_eq!(res.status(), 303, "{evil:?}");
        let to = location(&res);
        assert_eq!(to, "/account", "{evil:?} is ignored");
        assert_eq!(resolved(&app, &to).origin(), origin);
        // Posted straight to the form, bypassing the page.
        let page = http.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
        let csrf = hidden(&page, "csrf").unwrap();
        let form = [
            ("csrf", csrf.as_str()),
            ("org_kind", "school"),
            ("org", SCHOOL1),
            ("login", "ivanova.mp"),
            ("password", PASSWORD),
            ("next", evil),
        ];
        let res = http.post(app.url("/login")).form(&form).send().await.unwrap();
        assert_eq!(location(&res), "/account", "{evil:?} posted");
        // «Через Госуслуги» on its own carries `next` too: the role page holds the checked one.
        let role = http.get(app.url(&format!("/login/esia?next={encoded}"))).send().await.unwrap();
        assert_eq!(role.status(), 200);
        assert_eq!(hidden(&role.text().await.unwrap(), "next").as_deref(), Some("/account"), "{evil:?} (ESIA)");
    }
    // A real local path is kept, query and all.
    let http = browser();
    let next = "/admin/requests?status=new";
    let encoded: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
    let res = submit_login(&http, &app.base, &format!("/login?next={encoded}"), "ivanova.mp", PASSWORD).await;
    assert_eq!(location(&res), next);
}

/// The ID token claims of `login` for `rp`, with the tokens.
async fn signed_in(app: &TestApp, rp: &Rp, http: &reqwest::Client, login: &str) -> (serde_json::Value, Answer) {
    let code = rp.code_in(app, http, "openid profile offline_access", login).await;
    let t = rp.exchange(app, &code).await;
    assert_eq!(t.status, 200, "{}", t.text);
    (jwt_claims(&t.str("id_token")), t)
}

#[tokio::test]
async fn it_01_sub_is_keyed_and_says_nothing_of_the_login() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "diary").await;
    let (claims, _) = signed_in(&app, &rp, &browser(), "ivanova.mp").await;
    let sub = claims["sub"].as_str().unwrap().to_owned();
    let account = app.app().store.account_by_login(SCHOOL1, "ivanova.mp").await.unwrap().unwrap();
    // What anyone can compute from an organisation and a login is not the sub.
    let unkeyed = propusk::account::directory::account_id(SCHOOL1, "ivanova.mp");
    assert_eq!(account.id, unkeyed, "the account id itself stays (re-imports rely on it)");
    assert_ne!(sub, unkeyed, "IT-01: sub is not the unkeyed account id");
    assert_eq!(sub, account.subject, "sub is the stored subject");
    assert!(sub.len() <= 255 && sub.is_ascii());
    // Keyed with this installation's key: another installation gives another sub.
    assert_eq!(sub, propusk::account::directory::keyed_subject(&app.app().directory_keys.subject, &account.id));
    assert_ne!(sub, propusk::account::directory::keyed_subject(&[0; 32], &account.id));
    // Stable: a second sign-in gives the same sub.
    let (again, _) = signed_in(&app, &rp, &browser(), "ivanova.mp").await;
    assert_eq!(again["sub"], sub.as_str());
}

#[tokio::test]
async fn it_01_a_re_import_keeps_every_subject() {
    let app = TestApp::spawn().await;
    let store = &*app.app().store;
    let before = store.account_by_login(SCHOOL1, "ivanov.is").await.unwrap().unwrap();
    // The demo records imported again (as a directory import would) with another key.
    let mut keys = app.app().directory_keys.clone();
    keys.subject = [7; 32];
    let clock = propusk::clock::SystemClock;
    let records = vec![
        propusk::account::directory::RawRecord::new(2)
            .with("record", "account")
            .with("organisation", SCHOOL1)
            .with("login", "ivanov.is")
            .with("password", PASSWORD)
            .with("role", "pupil")
            .with("surname", "Иванов")
            .with("given_name", "Иван")
            .with("birth_date", "2012-03-15"),
        propusk::account::directory::RawRecord::new(3)
            .with("record", "account")
            .with("organisation", SCHOOL1)
            .with("login", "new.pupil")
            .with("password", PASSWORD)
            .with("role", "pupil")
            .with("surname", "Новиков")
            .with("given_name", "Пётр")
            .with("birth_date", "2013-01-01"),
    ];
    propusk::account::directory::import_records(store, &records, &keys, &clock).await.unwrap();
    let after = store.account_by_login(SCHOOL1, "ivanov.is").await.unwrap().unwrap();
    assert_eq!((after.id.as_str(), after.subject.as_str()), (before.id.as_str(), before.subject.as_str()));
    let new = store.account_by_login(SCHOOL1, "new.pupil").await.unwrap().unwrap();
    assert_eq!(new.subject, propusk::account::directory::keyed_subject(&[7; 32], &new.id), "new: keyed");
}

/// A pairwise client registered for this test.
async fn pairwise(app: &TestApp, id: &str, redirect: &str, sector: Option<&str>) -> Rp {
    let secret = app
        .add_client(AddClient {
            id: id.into(),
            redirect_uris: vec![redirect.into()],
            post_logout_redirect_uris: vec![RP_LOGGED_OUT.into()],
            subject_type: Some("pairwise".into()),
            sector_identifier_uri: sector.map(str::to_owned),
            ..Default::default()
        })
        .await;
    Rp { id: id.into(), secret, redirect: redirect.into(), post: false }
}

#[tokio::test]
async fn it_04_pairwise_subjects_per_sector() {
    let app = TestApp::spawn().await;
    let sector = Some("https://diary.example.ru/sector.json");
    let web = pairwise(&app, "diary-web", "https://web.diary.example.ru/cb", sector).await;
    let api = pairwise(&app, "diary-api", "https://api.diary.example.ru/cb", sector).await;
    let other = pairwise(&app, "library", "https://library.example/cb", None).await;
    let public = Rp::confidential(&app, "public-rp").await;
    let mut subs = Vec::new();
    let mut browsers = Vec::new();
    for rp in [&web, &api, &other, &public] {
        let http = browser();
        let (claims, t) = signed_in(&app, rp, &http, "ivanova.mp").await;
        browsers.push(http);
        let sub = claims["sub"].as_str().unwrap().to_owned();
        // UserInfo, introspection (access and refresh token) say the ID token's sub.
        let ui = Answer::of(
            reqwest::Client::new().get(app.url("/userinfo")).bearer_auth(t.str("access_token")).send().await.unwrap(),
        )
        .await;
        assert_eq!(ui.json["sub"], sub.as_str(), "{}: userinfo", rp.id);
        assert_eq!(rp.introspect(&app, &t.str("access_token")).await["sub"], sub.as_str(), "{}: access", rp.id);
        assert_eq!(rp.introspect(&app, &t.str("refresh_token")).await["sub"], sub.as_str(), "{}: refresh", rp.id);
        // The refreshed ID token too.
        let r = rp.refresh(&app, &t.str("refresh_token"), None).await;
        assert_eq!(jwt_claims(&r.str("id_token"))["sub"], sub.as_str(), "{}: refresh", rp.id);
        subs.push((sub, t.str("id_token")));
    }
    let account = app.app().store.account_by_login(SCHOOL1, "ivanova.mp").await.unwrap().unwrap();
    assert_eq!(subs[0].0, subs[1].0, "one sector, one sub across two clients");
    assert_ne!(subs[0].0, subs[2].0, "another sector, another sub");
    assert_eq!(subs[3].0, account.subject, "the public sub");
    for (sub, _) in &subs[..3] {
        assert_ne!(sub, &account.subject);
        assert_ne!(sub, &account.id);
    }
    // Keyed HMAC of the sector and the local subject.
    let key = app.app().pairwise_key;
    let expected = |sector: &str| {
        propusk::crypto::b64(&propusk::crypto::hmac_sha256(&key, format!("{sector}|{}", account.subject).as_bytes()))
    };
    assert_eq!(subs[0].0, expected("diary.example.ru"));
    assert_eq!(subs[2].0, expected("library.example"));

    // Logout with a pairwise ID token as hint: the signed-in person is recognised.
    let hint = &subs[0].1;
    let mut u = url::Url::parse(&app.url("/logout")).unwrap();
    u.query_pairs_mut()
        .append_pair("id_token_hint", hint)
        .append_pair("post_logout_redirect_uri", RP_LOGGED_OUT)
        .append_pair("state", "bye");
    let res = browsers[0].get(u.as_str()).send().await.unwrap();
    assert_eq!(location(&res), format!("{RP_LOGGED_OUT}?state=bye"), "the hint's sub is the session's person");
}

#[tokio::test]
async fn it_04_logout_hint_of_another_person_asks() {
    let app = TestApp::spawn().await;
    let web = pairwise(&app, "diary-web", "https://web.diary.example.ru/cb", None).await;
    let (_, t) = signed_in(&app, &web, &browser(), "ivanov.is").await;
    // Another person is signed in in this browser: the hint does not end that session.
    let http = browser();
    signed_in(&app, &web, &http, "ivanova.mp").await;
    let mut u = url::Url::parse(&app.url("/logout")).unwrap();
    u.query_pairs_mut()
        .append_pair("id_token_hint", &t.str("id_token"))
        .append_pair("post_logout_redirect_uri", RP_LOGGED_OUT);
    let res = http.get(u.as_str()).send().await.unwrap();
    assert_eq!(res.status(), 200, "a confirmation page, not a redirect");
}

#[tokio::test]
async fn it_04_pairwise_client_over_several_hosts_needs_a_sector() {
    let app = TestApp::spawn().await;
    let args = AddClient {
        id: "spread".into(),
        redirect_uris: vec!["https://a.example/cb".into(), "https://b.example/cb".into()],
        subject_type: Some("pairwise".into()),
        ..Default::default()
    };
    let err = add(&app, args.clone()).await.expect_err("several hosts");
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("--sector-identifier-uri"), "{err}");
    let with_sector = AddClient { sector_identifier_uri: Some("https://example.ru/s.json".into()), ..args };
    let v = add(&app, with_sector).await.unwrap();
    assert_eq!(v["sector_identifier_uri"], "https://example.ru/s.json");
}
