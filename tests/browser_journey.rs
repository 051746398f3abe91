//! The browser test: headless Chromium walks the parent's «Через Госуслуги» journey
//! on the demo server (demo RP → login → role → ESIA sandbox → consent → result),
//! the access request with its staff review, and saves every page at desktop and
//! phone width under `target/screenshots/`.

mod browser;

use anyhow::{Result, bail};
use browser::page::{DESKTOP, PHONE, Page};
use browser::{Server, chromium_available};
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

/// Seed 000's cascade driven by login.js, then seed 004's header: `/account` → the
/// login page → `/account` with the name and «Выход» at the top right → «Выйти из
/// системы?» → «Выйти» → signed out, the header gone.
async fn header_journey(page: &mut Page, issuer: &str) -> Result<()> {
    page.goto(&format!("{issuer}/account")).await?;
    page.shoot("login").await?;
    page.select("Регион", "Алтайский край").await?;
    let offered = page.options("Организация").await?;
    if offered.iter().any(|o| o.contains("СОШ №1")) || !offered.iter().any(|o| o.contains("Гимназия №2"))
    {
        bail!("«Алтайский край» should leave Гимназия №2 only, the list offers {offered:?}");
    }
    page.select("Регион", "Сахалинская область").await?;
    let localities = page.options("Населенный пункт").await?;
    if localities != ["Южно-Сахалинск"] {
        bail!("«Населенный пункт» under Сахалинская область: {localities:?}");
    }
    page.select("Организация", "СОШ №1").await?;
    page.shoot("cascade").await?;
    page.fill("Логин", "ivanova.mp").await?;
    page.fill("Пароль", propusk::account::demo::DEMO_PASSWORD).await?;
    page.click_and_wait("Войти").await?;
    page.shoot("account").await?;
    let (url, text) = (page.url().await?, page.text().await?);
    if !url.ends_with("/account") || !text.contains("Иванова М. П.") || !text.contains("Выход") {
        bail!("expected /account with the header, got {url}:\n{text}");
    }
    // Top right: the name's box ends in the right half, within the header strip.
    let rect = page
        .browser
        .eval("(() => { const r = document.querySelector('.site-user-name').getBoundingClientRect(); return [r.right, r.top, window.innerWidth]; })()")
        .await?;
    let at = |i: usize| rect[i].as_f64().unwrap_or(0.0);
    if at(0) < at(2) / 2.0 || at(1) > 80.0 {
        bail!("the name is not at the top right: right {}, top {}, width {}", at(0), at(1), at(2));
    }
    page.click_and_wait("Иванова М. П.").await?;
    if !page.url().await?.ends_with("/account") {
        bail!("the name leads to /account, got {}", page.url().await?);
    }
    page.click_and_wait("Выход").await?;
    page.shoot("logout").await?;
    if !page.text().await?.contains("Выйти из системы?") {
        bail!("«Выход» should ask «Выйти из системы?», got:\n{}", page.text().await?);
    }
    page.click_and_wait("Выйти").await?;
    page.shoot("logged-out").await?;
    let text = page.text().await?;
    if !text.contains("Вы вышли из системы") || text.contains("Иванова М. П.") {
        bail!("expected the signed-out page without the header, got:\n{text}");
    }
    Ok(())
}

/// The cascade without JavaScript (login.js blocked): «Показать» asks the server, which keeps the choice
/// and narrows the list; the login then works from the refreshed page.
async fn cascade_without_javascript(page: &mut Page, issuer: &str) -> Result<()> {
    // The page without its script (DevTools itself needs JavaScript to drive the page).
    page.browser.call("Network.enable", serde_json::json!({})).await?;
    page.browser.call("Network.setBlockedURLs", serde_json::json!({"urls": ["*/static/login.js"]})).await?;
    page.goto(&format!("{issuer}/login")).await?;
    page.shoot("login").await?;
    page.select("Регион", "Алтайский край").await?;
    page.fill("Логин", "petrov.pp2").await?;
    page.click_and_wait("Показать").await?;
    page.shoot("shown").await?;
    let offered = page.options("Организация").await?;
    if offered.iter().any(|o| o.contains("СОШ №1")) || !offered.iter().any(|o| o.contains("Гимназия №2"))
    {
        bail!("after «Показать» with Алтайский край the list offers {offered:?}");
    }
    page.select("Организация", "Гимназия №2").await?;
    page.fill("Пароль", propusk::account::demo::DEMO_PASSWORD).await?;
    page.click_and_wait("Войти").await?;
    page.shoot("account").await?;
    let (url, text) = (page.url().await?, page.text().await?);
    if !url.ends_with("/account") || !text.contains("Петров П. П.") {
        bail!("expected /account for Петров, got {url}:\n{text}");
    }
    Ok(())
}

/// Runs one journey in a fresh browser against a fresh demo server.
async fn run(journey: &str, size: (&'static str, u32, u32, bool)) -> Result<()> {
    let server = Server::start().await?;
    browser::drive(journey, size, server, async |page, server| {
        let issuer = server.issuer.as_str();
        match journey {
            "parent-journey" => parent_journey(page, issuer).await,
            "access-request" => access_request_journey(page, issuer).await,
            "header" => header_journey(page, issuer).await,
            "cascade-no-js" => cascade_without_javascript(page, issuer).await,
            _ => not_found_journey(page, issuer).await,
        }
    })
    .await
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

/// The signed-in header (screenshots in `target/screenshots/header/`) after a login
/// through the live cascade, at desktop width.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_and_cascade_in_chromium() -> Result<()> {
    if !chromium_available() {
        return Ok(());
    }
    run("header", DESKTOP).await
}

/// «Показать» without the page's JavaScript, at phone width.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cascade_without_javascript_in_chromium_on_phone() -> Result<()> {
    if !chromium_available() {
        return Ok(());
    }
    run("cascade-no-js", PHONE).await
}
