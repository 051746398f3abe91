//! Headless Chromium and passwords (issue 8): «Сменить пароль» on «Персональные
//! настройки» end to end, and «Забыли пароль?» end to end through the outbox (the
//! link read from the delivered `.eml`, opened in the browser, a new password set
//! and used to sign in). Screenshots at desktop and phone width in
//! `target/screenshots/password/`.

mod browser;

use anyhow::{Context, Result, bail};
use browser::page::{DESKTOP, PHONE, Page};
use browser::{Server, chromium_available};
use propusk::account::demo::{DEMO_PASSWORD, SOSH1};
use std::path::Path;
use std::time::Duration;

const MAIL: &str = "ivanova.school@example.ru";

/// The login page without a flow: organisation, login, password, «Войти».
async fn sign_in(page: &mut Page, issuer: &str, password: &str, shot: &str) -> Result<()> {
    page.goto(&format!("{issuer}/login?next=/account")).await?;
    page.select("Организация", "СОШ №1").await?;
    page.fill("Логин", "ivanova.mp").await?;
    page.fill("Пароль", password).await?;
    page.shoot(shot).await?;
    page.click_and_wait("Войти").await
}

async fn expect_text(page: &mut Page, want: &str) -> Result<()> {
    let text = page.text().await?;
    if !text.contains(want) {
        bail!("«{want}» is not on {}:\n{text}", page.url().await?);
    }
    Ok(())
}

async fn change_journey(page: &mut Page, issuer: &str) -> Result<()> {
    sign_in(page, issuer, DEMO_PASSWORD, "change-login").await?;
    expect_text(page, "Персональные настройки").await?;
    expect_text(page, "Учебный год:").await?;
    page.shoot("change-account").await?;
    page.fill("Текущий пароль", "not-my-password").await?;
    page.fill("Новый пароль", "Sunny-Day-2027").await?;
    page.fill("Повторите новый пароль", "Sunny-Day-2027").await?;
    page.click_and_wait("Сменить пароль").await?;
    expect_text(page, "Текущий пароль введён неверно.").await?;
    page.shoot("change-wrong-current").await?;
    page.fill("Текущий пароль", DEMO_PASSWORD).await?;
    page.fill("Новый пароль", "Sunny-Day-2027").await?;
    page.fill("Повторите новый пароль", "Sunny-Day-2027").await?;
    page.click_and_wait("Сменить пароль").await?;
    expect_text(page, "Пароль изменён").await?;
    page.shoot("change-done").await?;
    page.click_and_wait("Выйти").await?;
    sign_in(page, issuer, DEMO_PASSWORD, "change-old-password").await?;
    expect_text(page, "Неверный логин или пароль.").await?;
    sign_in(page, issuer, "Sunny-Day-2027", "change-new-password").await?;
    expect_text(page, "Персональные настройки").await
}

/// The reset link of the first «Восстановление пароля» message in `dir` (waits up to 10 s).
async fn link_from_mail(dir: &Path) -> Result<String> {
    for _ in 0..100 {
        let entries = std::fs::read_dir(dir).map(|e| e.filter_map(|e| e.ok()).collect::<Vec<_>>()).unwrap_or_default();
        for entry in entries {
            // A file being written is a temp file that may be renamed away meanwhile.
            let Ok(raw) = std::fs::read(entry.path()) else { continue };
            let Some(m) = mail_parser::MessageParser::default().parse(&raw) else { continue };
            if m.subject() != Some("Восстановление пароля") {
                continue;
            }
            let text = m.body_text(0).unwrap_or_default().into_owned();
            if let Some(url) = text.split_whitespace().find(|w| w.contains("/reset-password?token=")) {
                return Ok(url.to_owned());
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("no reset mail in {}", dir.display())
}

async fn forgot_journey(page: &mut Page, server: &Server) -> Result<()> {
    let issuer = &server.issuer;
    page.goto(&format!("{issuer}/login")).await?;
    page.click_and_wait("Забыли пароль?").await?;
    expect_text(page, "Забыли пароль?").await?;
    page.select("Организация", "СОШ №1").await?;
    page.fill("Логин", "ivanova.mp").await?;
    page.shoot("forgot-form").await?;
    page.click_and_wait("Отправить ссылку").await?;
    expect_text(page, "Если учетная запись существует и в ней указан адрес электронной почты").await?;
    page.shoot("forgot-sent").await?;

    let link = link_from_mail(&server.mail_dir).await?;
    if !link.starts_with(&format!("{issuer}/reset-password?token=")) {
        bail!("unexpected link {link}");
    }
    page.goto(&link).await?;
    expect_text(page, "Новый пароль").await?;
    page.shoot("reset-form").await?;
    page.fill("Новый пароль", "Winter-Walk-2027").await?;
    page.fill("Повторите новый пароль", "Winter-Walk-2028").await?;
    page.click_and_wait("Сохранить пароль").await?;
    expect_text(page, "не совпадают").await?;
    page.shoot("reset-mismatch").await?;
    page.fill("Новый пароль", "Winter-Walk-2027").await?;
    page.fill("Повторите новый пароль", "Winter-Walk-2027").await?;
    page.click_and_wait("Сохранить пароль").await?;
    expect_text(page, "Пароль изменён").await?;
    page.shoot("reset-done").await?;
    page.goto(&link).await?;
    expect_text(page, "Ссылка недействительна").await?;
    page.shoot("reset-used-link").await?;
    sign_in(page, issuer, "Winter-Walk-2027", "forgot-login").await?;
    expect_text(page, "Персональные настройки").await
}

/// Runs one journey in a fresh browser against a fresh demo server.
async fn run(journey: &str, size: (&'static str, u32, u32, bool)) -> Result<()> {
    let server = Server::start().await?;
    let app = server.app().context("the server runs")?;
    let mut ivanova = app.store.account_by_login(SOSH1, "ivanova.mp").await?.context("ivanova.mp")?;
    ivanova.email = Some(MAIL.into());
    let batch = propusk::store::DirectoryBatch { accounts: vec![ivanova], ..Default::default() };
    app.store.import_directory(&batch, &propusk::audit::AuditEvent::DemoSeeded).await?;

    browser::drive("password", size, server, async |page, server| match journey {
        "change" => change_journey(page, &server.issuer).await,
        _ => forgot_journey(page, server).await,
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_password_in_chromium() -> Result<()> {
    if !chromium_available() {
        return Ok(());
    }
    run("change", DESKTOP).await
}

/// Driven at phone width: every click lands on a phone-sized page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgot_password_through_the_outbox_in_chromium() -> Result<()> {
    if !chromium_available() {
        return Ok(());
    }
    run("forgot", PHONE).await
}
