//! The browser test: headless Chromium walks the parent's «Через Госуслуги» journey
//! on the demo server (demo RP → login → role → ESIA sandbox → consent → result),
//! the access request with its staff review, and saves every page at desktop and
//! phone width under `target/screenshots/`.

mod browser;

use anyhow::{Context, Result, bail};
use browser::page::{DESKTOP, PHONE, Page};
use browser::{Server, chromium_available, screenshot_dir};
use std::time::Duration;

/// The whole journey must finish well within this.
const JOURNEY_TIMEOUT: Duration = Duration::from_secs(60);
const ESIA_PASSWORD: &str = "esia-demo";

/// From the demo RP through «Через Госуслуги» and the role choice to the sandbox
/// login, as `esia_login` with the sandbox password; stops on the sandbox consent page.
async fn to_esia_consent(page: &mut Page, issuer: &str, esia_login: &str) -> Result<()> {
    page.goto(&format!("{issuer}/demo")).await?;
    page.shoot("demo").await?;
    page.click_and_wait("Войти").await?;
    page.shoot("login").await?;
    page.click_and_wait("Через Госуслуги").await?;
    page.shoot("role").await?;
    page.click("Родитель").await?;
    page.click_and_wait("Продолжить").await?;
    page.shoot("esia-login").await?;
    page.fill("Телефон / Email / СНИЛС", esia_login).await?;
    page.fill("Пароль", ESIA_PASSWORD).await?;
    page.click_and_wait("Войти").await?;
    page.shoot("esia-consent").await?;
    page.click_and_wait("Предоставить").await?;
    Ok(())
}

async fn parent_journey(page: &mut Page, issuer: &str) -> Result<()> {
    to_esia_consent(page, issuer, "ivanova@example.ru").await?;
    let text = page.text().await?;
    if !text.contains("Согласие на передачу персональных данных") {
        bail!("expected the personal-data consent page at {}, got:\n{text}", page.url().await?);
    }
    page.shoot("pd-consent").await?;
    page.click_and_wait("Даю согласие").await?;
    page.shoot("result").await?;
    let url = page.url().await?;
    let text = page.text().await?;
    if !url.starts_with(&format!("{issuer}/demo/callback")) {
        bail!("expected the demo result page, got {url}:\n{text}");
    }
    for want in ["Вход выполнен", "Иванова", "children"] {
        if !text.contains(want) {
            bail!("«{want}» is not on the result page:\n{text}");
        }
    }
    Ok(())
}

async fn not_found_journey(page: &mut Page, issuer: &str) -> Result<()> {
    to_esia_consent(page, issuer, "smirnova@example.ru").await?;
    if page.text().await?.contains("Согласие на передачу персональных данных") {
        page.shoot("pd-consent").await?;
        page.click_and_wait("Даю согласие").await?;
    }
    let text = page.text().await?;
    if !text.contains("Запись не найдена") {
        bail!("expected «Запись не найдена» at {}, got:\n{text}", page.url().await?);
    }
    page.shoot("not-found").await?;
    page.click_and_wait("Привязать учетную запись").await?;
    page.shoot("link").await?;
    page.select("Организация", "СОШ №1").await?;
    page.fill("Логин", "smirnova.ov").await?;
    page.fill("Пароль", propusk::account::demo::DEMO_PASSWORD).await?;
    page.click_and_wait("Привязать").await?;
    page.shoot("result").await?;
    let (url, text) = (page.url().await?, page.text().await?);
    if !url.starts_with(&format!("{issuer}/demo/callback")) || !text.contains("Смирнова") {
        bail!("expected the demo result page for Смирнова, got {url}:\n{text}");
    }
    Ok(())
}

/// sokolov files an access request (the dependent selects driven by the page's
/// script), then admin1 signs in, reviews it on `/admin/requests` and creates the
/// school account.
async fn access_request_journey(page: &mut Page, issuer: &str) -> Result<()> {
    to_esia_consent(page, issuer, "sokolov@example.ru").await?;
    if page.text().await?.contains("Согласие на передачу персональных данных") {
        page.click_and_wait("Даю согласие").await?;
    }
    page.click_and_wait("Обратиться в организацию").await?;
    page.shoot("request-check").await?;
    page.click_and_wait("Продолжить").await?;
    page.shoot("request-form").await?;
    page.select("Тип организации", "Общеобразовательная").await?;
    page.select("Организация", "СОШ №1").await?;
    page.select("Класс", "8А").await?;
    if page.text().await?.contains("Ребенок") {
        page.fill("Ребенок", "Соколов Артём Дмитриевич").await.ok();
    }
    page.fill("Дополнительный комментарий (необязательно)", "Сын учится в 8А").await?;
    page.shoot("request-filled").await?;
    page.click_and_wait("Отправить").await?;
    page.shoot("request-done").await?;
    let text = page.text().await?;
    let Some(number) = text.split("обращение №").nth(1).map(|s| s.chars().take(17).collect::<String>())
    else {
        bail!("expected «Успешно создано обращение №…», got:\n{text}");
    };

    page.goto(&format!("{issuer}/admin/requests")).await?;
    page.shoot("staff-login").await?;
    page.select("Организация", "СОШ №1").await?;
    page.fill("Логин", "admin1").await?;
    page.fill("Пароль", propusk::account::demo::DEMO_PASSWORD).await?;
    page.click_and_wait("Войти").await?;
    page.shoot("staff-queue").await?;
    let text = page.text().await?;
    if !text.contains("Обращения") || !text.contains(&number) || !text.contains("Новое") {
        bail!("expected the queue with {number} «Новое», got:\n{text}");
    }
    page.click_and_wait(&number).await?;
    page.shoot("staff-request").await?;
    let text = page.text().await?;
    for want in ["Соколов", "20.07.1988", "Создать учетную запись", "Отклонить", "Причина"]
    {
        if !text.contains(want) {
            bail!("«{want}» is not on the request page:\n{text}");
        }
    }
    page.click_and_wait("Создать учетную запись").await?;
    page.shoot("staff-decided").await?;
    if !page.text().await?.contains("Решено") {
        bail!("expected the request «Решено», got:\n{}", page.text().await?);
    }
    Ok(())
}

/// Runs one journey in a fresh browser against a fresh demo server.
async fn run(journey: &str, drive: (&'static str, u32, u32, bool)) -> Result<()> {
    let server = Server::start().await?;
    let mut page = Page::new(screenshot_dir(journey), drive).await?;
    let issuer = server.issuer.clone();
    let outcome = tokio::time::timeout(JOURNEY_TIMEOUT, async {
        match journey {
            "parent-journey" => parent_journey(&mut page, &issuer).await,
            "access-request" => access_request_journey(&mut page, &issuer).await,
            _ => not_found_journey(&mut page, &issuer).await,
        }
    })
    .await
    .context("the journey took too long")?;
    let problems = std::mem::take(&mut page.problems);
    page.browser.close().await;
    server.stop().await;
    outcome?;
    if !problems.is_empty() {
        bail!("layout problems:\n{}", problems.join("\n"));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parent_esia_journey_in_chromium() -> Result<()> {
    if !chromium_available() {
        return Ok(());
    }
    run("parent-journey", DESKTOP).await
}

/// The «Запись не найдена» path with «Привязать учетную запись» (`smirnova.ov`), driven
/// at phone width so that every click must land on a phone-sized page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parent_not_found_in_chromium_on_phone() -> Result<()> {
    if !chromium_available() {
        return Ok(());
    }
    run("parent-not-found", PHONE).await
}

/// The access request and its review by staff, at desktop width.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_request_and_staff_review_in_chromium() -> Result<()> {
    if !chromium_available() {
        return Ok(());
    }
    run("access-request", DESKTOP).await
}
