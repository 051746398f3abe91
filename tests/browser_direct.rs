//! Headless Chromium and the journey without a relying party (issue 8): «Через
//! Госуслуги» on the login page opened directly lands on «Персональные настройки»
//! with the signed-in header; «Выход» on «Запись не найдена» returns to the login
//! page «для выбора другого способа авторизации», and only «Вернуться в приложение»
//! there returns `access_denied` to the application. Screenshots in
//! `target/screenshots/esia-direct/` and `target/screenshots/not-found-exit/`.

mod browser;

use anyhow::{Result, bail};
use browser::page::{DESKTOP, PHONE, Page};
use browser::{Server, chromium_available};
const ESIA_PASSWORD: &str = "esia-demo";

/// From a page with «Через Госуслуги»: the role, the sandbox login and its consent,
/// and our personal-data consent when asked.
async fn through_esia(page: &mut Page, esia_login: &str) -> Result<()> {
    page.click_and_wait("Через Госуслуги").await?;
    page.shoot("role").await?;
    page.click("Родитель").await?;
    page.click_and_wait("Продолжить").await?;
    page.fill("Телефон / Email / СНИЛС", esia_login).await?;
    page.fill("Пароль", ESIA_PASSWORD).await?;
    page.click_and_wait("Войти").await?;
    page.click_and_wait("Предоставить").await?;
    if page.text().await?.contains("Согласие на передачу персональных данных") {
        page.shoot("pd-consent").await?;
        page.click_and_wait("Даю согласие").await?;
    }
    Ok(())
}

async fn direct_login(page: &mut Page, issuer: &str) -> Result<()> {
    page.goto(&format!("{issuer}/login")).await?;
    page.shoot("login").await?;
    through_esia(page, "ivanova@example.ru").await?;
    page.shoot("account").await?;
    let (url, text) = (page.url().await?, page.text().await?);
    if url != format!("{issuer}/account") {
        bail!("expected «Персональные настройки», got {url}:\n{text}");
    }
    for want in ["Персональные настройки", "Иванова М. П.", "Выход", "Учетная запись портала Госуслуг привязана"]
    {
        if !text.contains(want) {
            bail!("«{want}» is not on /account:\n{text}");
        }
    }
    Ok(())
}

async fn not_found_exit(page: &mut Page, issuer: &str) -> Result<()> {
    page.goto(&format!("{issuer}/demo")).await?;
    page.click_and_wait("Войти").await?;
    through_esia(page, "sokolov@example.ru").await?;
    if !page.text().await?.contains("Запись не найдена") {
        bail!("expected «Запись не найдена», got:\n{}", page.text().await?);
    }
    page.shoot("not-found").await?;
    page.click_and_wait("Выход").await?;
    page.shoot("login-again").await?;
    let (url, text) = (page.url().await?, page.text().await?);
    if !url.starts_with(&format!("{issuer}/login?flow=")) || !text.contains("Вход в систему") {
        bail!("«Выход» should return to the login page of the same sign-in, got {url}:\n{text}");
    }
    if !text.contains("Через Госуслуги") || !text.contains("Вернуться в приложение") {
        bail!("the login page offers another way in and a way back:\n{text}");
    }
    page.click_and_wait("Вернуться в приложение").await?;
    page.shoot("back-to-app").await?;
    let (url, text) = (page.url().await?, page.text().await?);
    if !url.starts_with(&format!("{issuer}/demo/callback")) || !text.contains("access_denied") {
        bail!("expected access_denied at the application, got {url}:\n{text}");
    }
    Ok(())
}

async fn run(journey: &str, size: (&'static str, u32, u32, bool)) -> Result<()> {
    let server = Server::start().await?;
    browser::drive(journey, size, server, async |page, server| match journey {
        "esia-direct" => direct_login(page, &server.issuer).await,
        _ => not_found_exit(page, &server.issuer).await,
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn esia_login_from_the_login_page_lands_on_account_in_chromium() -> Result<()> {
    if !chromium_available() {
        return Ok(());
    }
    run("esia-direct", DESKTOP).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_on_not_found_returns_to_the_login_page_in_chromium_on_phone() -> Result<()> {
    if !chromium_available() {
        return Ok(());
    }
    run("not-found-exit", PHONE).await
}
