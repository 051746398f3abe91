//! Headless Chromium through the staff console (issue 10): a system admin creates a
//! confidential client that asks for consent, adds a second redirect URI, rotates its
//! secret with an overlap, finds the `token_issued` event of a token issued with the
//! new secret by its `jti` in «Аудит» and opens it, and unlinks an account's ESIA in
//! «Учетные записи»; then the list pages at phone width. Real clicks and form fills;
//! screenshots at desktop and phone width in `target/screenshots/admin/` and
//! `target/screenshots/admin-phone/`.

mod browser;

use anyhow::{Context, Result, bail};
use base64::Engine;
use browser::page::{DESKTOP, PHONE, Page};
use browser::{Server, chromium_available};
use propusk::account::demo::{DEMO_PASSWORD, SOSH1};
use propusk::audit::AuditEvent;
use propusk::store::Consent;
use propusk::store::links::{LinkMethod, UpstreamLink};
use propusk::store::roles::RoleRow;
use serde_json::{Value, json};
use std::time::Duration;

const CLIENT: &str = "walk";
const CB: &str = "https://rp.example/cb";
const CB2: &str = "https://rp.example/cb2";
const SECRET_FIELD: &str = "Старый секрет действует до: через сколько часов (0 — сразу перестает, не более 720)";

async fn expect_text(page: &mut Page, want: &str) -> Result<()> {
    let text = page.text().await?;
    if !text.contains(want) {
        bail!("«{want}» is not on {}:\n{text}", page.url().await?);
    }
    Ok(())
}

async fn expect_no_text(page: &mut Page, unwanted: &str) -> Result<()> {
    let text = page.text().await?;
    if text.contains(unwanted) {
        bail!("«{unwanted}» should not be on {}:\n{text}", page.url().await?);
    }
    Ok(())
}

/// The trimmed text (or value) of the first element matching `selector`.
async fn read(page: &mut Page, selector: &str) -> Result<String> {
    let script = format!(
        "((s) => {{ const e = document.querySelector(s); return e ? (e.value ?? e.innerText).trim() : null; }})({})",
        json!(selector)
    );
    match page.browser.eval(&script).await? {
        Value::String(s) if !s.is_empty() => Ok(s),
        _ => bail!("no «{selector}» on {}", page.url().await?),
    }
}

/// Gives `admin1` of school 1 the system-admin role and links `ivanova.mp` to an ESIA
/// account (the demo data set has no links of its own).
async fn set_up(server: &Server) -> Result<()> {
    let app = server.app().context("the server runs")?;
    let admin = app.store.account_by_login(SOSH1, "admin1").await?.context("admin1")?;
    let row = RoleRow {
        account_id: admin.id.clone(),
        role: "system-admin".into(),
        organisation_id: String::new(),
        granted_at: 1,
        granted_by: "cli".into(),
    };
    let event = AuditEvent::RoleGranted {
        account_id: admin.id,
        role: row.role.clone(),
        organisation_id: String::new(),
        by: "cli".into(),
    };
    app.store.grant_role(&row, &event).await?;
    let ivanova = app.store.account_by_login(SOSH1, "ivanova.mp").await?.context("ivanova.mp")?;
    let link = UpstreamLink {
        issuer: "https://esia.example".into(),
        subject: "esia-ivanova".into(),
        account_id: ivanova.id,
        method: LinkMethod::Auto,
        created_at: 1,
    };
    app.store.add_links(&[link], &[], &[]).await?;
    Ok(())
}

/// `ivanova.mp`'s consent to the client, as the consent page records it.
async fn consent_of_ivanova(server: &Server) -> Result<()> {
    let app = server.app().context("the server runs")?;
    let ivanova = app.store.account_by_login(SOSH1, "ivanova.mp").await?.context("ivanova.mp")?;
    let consent =
        Consent { account_id: ivanova.id, client_id: CLIENT.into(), scope: "openid profile".into(), granted_at: 1 };
    let event = AuditEvent::ConsentGiven {
        account_id: consent.account_id.clone(),
        client_id: CLIENT.into(),
        scope: consent.scope.clone(),
    };
    app.store.put_consent(&consent, &event).await?;
    Ok(())
}

/// From the client's page: the consent listed, «Отозвать», the list empty.
async fn revoke_consent(page: &mut Page) -> Result<()> {
    page.click_and_wait("Кто дал согласие этому клиенту").await?;
    expect_text(page, &format!("Согласия клиенту {CLIENT}")).await?;
    expect_text(page, "ivanova.mp").await?;
    expect_text(page, "openid profile").await?;
    page.shoot("client-consents").await?;
    page.click_and_wait("Отозвать").await?;
    expect_text(page, "Согласие отозвано").await?;
    expect_text(page, "Согласий этому клиенту нет.").await?;
    expect_no_text(page, "ivanova.mp").await?;
    page.shoot("client-consent-revoked").await?;
    page.click_and_wait(&format!("← Клиент {CLIENT}")).await
}

/// `client_credentials` at /token with `secret` until it succeeds (the client cache
/// may still hold the previous secret for a moment); the access token's `jti`.
async fn token_jti(issuer: &str, secret: &str) -> Result<String> {
    let http = reqwest::Client::new();
    let mut last = String::new();
    for _ in 0..70 {
        let res = http
            .post(format!("{issuer}/token"))
            .basic_auth(CLIENT, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await?;
        let status = res.status();
        let body: Value = res.json().await.unwrap_or_default();
        if status.is_success() {
            let token = body["access_token"].as_str().context("access_token")?;
            let payload = token.split('.').nth(1).context("a JWT access token")?;
            let claims: Value =
                serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload)?)?;
            return claims["jti"].as_str().map(str::to_owned).context("jti in the access token");
        }
        last = format!("{status} {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("no token for {CLIENT} with the new secret: {last}")
}

async fn sign_in(page: &mut Page, issuer: &str) -> Result<()> {
    page.goto(&format!("{issuer}/login?next=/admin")).await?;
    page.select("Организация", "СОШ №1").await?;
    page.fill("Логин", "admin1").await?;
    page.fill("Пароль", DEMO_PASSWORD).await?;
    page.shoot("login").await?;
    page.click_and_wait("Войти").await?;
    expect_text(page, "Клиенты").await
}

async fn create_client(page: &mut Page) -> Result<String> {
    page.click_and_wait("Клиенты").await?;
    expect_text(page, "Новый клиент").await?;
    page.shoot("clients").await?;
    page.click_and_wait("Новый клиент").await?;
    page.fill("Идентификатор (client_id)", CLIENT).await?;
    page.fill("Название", "Обход консоли").await?;
    page.fill("Адреса возврата (redirect URI), по одному в строке", CB).await?;
    page.select("Согласие", "явное (спрашивать)").await?;
    page.shoot("client-new").await?;
    page.click_and_wait("Зарегистрировать").await?;
    expect_text(page, "Скопируйте секрет сейчас: он показан один раз").await?;
    expect_text(page, "Клиент зарегистрирован.").await?;
    let secret = read(page, "code.client-secret").await?;
    page.shoot("client-created-secret").await?;
    Ok(secret)
}

async fn edit_redirect_uris(page: &mut Page) -> Result<()> {
    page.click_and_wait(&format!("← Клиент {CLIENT}")).await?;
    expect_text(page, &format!("Клиент {CLIENT}")).await?;
    expect_text(page, "Секрет клиента").await?;
    page.fill("Адреса возврата (redirect URI), по одному в строке", &format!("{CB}\n{CB2}")).await?;
    page.fill("Типы грантов (через пробел)", "authorization_code client_credentials").await?;
    page.shoot("client-edit").await?;
    page.click_and_wait("Сохранить").await?;
    expect_text(page, "Изменения сохранены.").await?;
    let uris = read(page, "#redirect_uris").await?;
    if uris.lines().map(str::trim).collect::<Vec<_>>() != [CB, CB2] {
        bail!("the saved redirect URIs are {uris:?}, not {CB} and {CB2}");
    }
    page.shoot("client-saved").await
}

async fn rotate_secret(page: &mut Page, first: &str) -> Result<String> {
    page.fill(SECRET_FIELD, "1").await?;
    page.click_and_wait("Выпустить новый секрет").await?;
    expect_text(page, &format!("Новый секрет клиента {CLIENT}")).await?;
    expect_text(page, "Старый секрет действует до").await?;
    let secret = read(page, "code.client-secret").await?;
    if secret == first {
        bail!("the rotated secret is the first one");
    }
    page.shoot("client-rotated-secret").await?;
    page.click_and_wait(&format!("← Клиент {CLIENT}")).await?;
    expect_text(page, "Старый секрет действует до").await?;
    expect_no_text(page, &secret).await?;
    revoke_consent(page).await?;
    page.click_and_wait("← Клиенты").await?;
    expect_text(page, "Обход консоли").await?;
    let consent = read(page, &format!("tbody tr:has(a[href$='/{CLIENT}']) td:nth-child(4)")).await?;
    if consent != "явное" {
        bail!("{CLIENT} is listed with the consent «{consent}», not «явное»");
    }
    page.shoot("clients-with-new").await?;
    Ok(secret)
}

async fn find_in_audit(page: &mut Page, jti: &str) -> Result<()> {
    page.click_and_wait("Аудит").await?;
    expect_text(page, "Отбор событий").await?;
    page.fill("Идентификатор токена (jti)", jti).await?;
    page.shoot("audit-filter").await?;
    page.click_and_wait("Найти").await?;
    expect_text(page, "token_issued").await?;
    expect_text(page, jti).await?;
    let rows = page.browser.eval("document.querySelectorAll('table.admin-table tbody tr').length").await?;
    if rows != json!(1) {
        bail!("the jti filter found {rows} events, not one:\n{}", page.text().await?);
    }
    page.shoot("audit-by-jti").await?;
    let seq = read(page, "table.admin-table tbody tr td a").await?;
    page.click_and_wait(&seq).await?;
    expect_text(page, &format!("Событие № {seq}")).await?;
    expect_text(page, "token_issued").await?;
    expect_text(page, jti).await?;
    page.shoot("audit-event").await
}

async fn unlink_esia(page: &mut Page) -> Result<()> {
    page.click_and_wait("Учетные записи").await?;
    page.fill("Фамилия, имя, отчество или логин", "ivanova.mp").await?;
    page.click_and_wait("Найти").await?;
    expect_text(page, "ivanova.mp").await?;
    page.shoot("accounts-found").await?;
    let name = read(page, "table.admin-table tbody tr td a").await?;
    page.click_and_wait(&name).await?;
    expect_text(page, "Логин: ivanova.mp").await?;
    expect_text(page, "Привязана").await?;
    page.shoot("account-linked").await?;
    page.click_and_wait("Отвязать Госуслуги").await?;
    expect_text(page, "Учетная запись портала Госуслуг отвязана").await?;
    expect_text(page, "Учетная запись портала Госуслуг не привязана.").await?;
    expect_no_text(page, "Отвязать Госуслуги").await?;
    page.shoot("account-unlinked").await
}

async fn walk(page: &mut Page, server: &Server) -> Result<()> {
    let issuer = &server.issuer;
    sign_in(page, issuer).await?;
    let first = create_client(page).await?;
    consent_of_ivanova(server).await?;
    edit_redirect_uris(page).await?;
    let secret = rotate_secret(page, &first).await?;
    let jti = token_jti(issuer, &secret).await?;
    find_in_audit(page, &jti).await?;
    unlink_esia(page).await
}

/// The list pages with clicks at phone width: the console's navigation is usable there.
async fn lists_on_a_phone(page: &mut Page, server: &Server) -> Result<()> {
    sign_in(page, &server.issuer).await?;
    page.click_and_wait("Клиенты").await?;
    expect_text(page, "Новый клиент").await?;
    page.shoot("clients").await?;
    page.click_and_wait("Аудит").await?;
    expect_text(page, "role_granted").await?;
    page.shoot("audit").await?;
    page.click_and_wait("Учетные записи").await?;
    page.fill("Фамилия, имя, отчество или логин", "Иванова").await?;
    page.click_and_wait("Найти").await?;
    expect_text(page, "ivanova.mp").await?;
    page.shoot("accounts").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_system_admin_walks_the_console_in_chromium() -> Result<()> {
    if !chromium_available() {
        return Ok(());
    }
    let server = Server::start().await?;
    set_up(&server).await?;
    browser::drive("admin", DESKTOP, server, async |page, server| walk(page, server).await).await
}

/// Driven at phone width: every click lands on a phone-sized page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_lists_on_a_phone_in_chromium() -> Result<()> {
    if !chromium_available() {
        return Ok(());
    }
    let server = Server::start().await?;
    set_up(&server).await?;
    browser::drive("admin-phone", PHONE, server, async |page, server| lists_on_a_phone(page, server).await).await
}
