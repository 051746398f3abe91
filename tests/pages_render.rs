//! Renders every page template: contract labels present (CONTRACT.md §4), values escaped,
//! labels bound to inputs, no third-party resources.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use askama::Template;
use propusk::store::{OrgKind, Organisation};
use propusk::web::org_cascade::{Chosen, cascade};
use propusk::web::pages::*;

const XSS: &str = "<script>alert('х')</script>";

fn org(id: &str, kind: OrgKind, place: [&str; 4], name: &str) -> Organisation {
    let [region, municipality, locality, org_type] = place.map(str::to_owned);
    Organisation { id: id.into(), kind, region, municipality, locality, org_type, name: name.into() }
}

fn directory() -> Vec<Organisation> {
    let sakhalin =
        ["Сахалинская область", "Городской округ «Город Южно-Сахалинск»", "Южно-Сахалинск", "Общеобразовательная"];
    let barnaul = ["Алтайский край", "Городской округ Барнаул", "Барнаул", "Общеобразовательная"];
    vec![
        org("org-1", OrgKind::School, sakhalin, "МБОУ СОШ №1"),
        org("org-2", OrgKind::School, barnaul, "МАОУ Гимназия №2"),
        org("auth-1", OrgKind::Authority, barnaul, "Комитет по образованию"),
    ]
}

fn login_page_for(orgs: &[Organisation], school: &Chosen) -> LoginPage {
    LoginPage {
        flow: "flow-123".into(),
        csrf: "csrf-456".into(),
        client_name: "Электронный дневник".into(),
        schools: cascade(orgs, OrgKind::School, school, true),
        authorities: cascade(orgs, OrgKind::Authority, &Chosen::default(), true),
        authority_open: false,
        error: None,
        login: String::new(),
        selected_org: None,
        esia_url: Some("/login/esia?flow=flow-123".into()),
        next: String::new(),
    }
}

fn login_page() -> LoginPage {
    login_page_for(&directory(), &Chosen::default())
}

/// Every `<label for="x">` points at an element with `id="x"`.
fn assert_labels_bound(html: &str) {
    for part in html.split("<label").skip(1) {
        if let Some(rest) = part.split_once("for=\"") {
            let id = rest.1.split('"').next().unwrap_or_default();
            assert!(html.contains(&format!("id=\"{id}\"")), "label for={id} has no element");
        }
    }
}

fn assert_common_layout(html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<html lang=\"ru\">"));
    assert!(html.contains("Сетевой город. Образование"));
    assert!(html.contains("href=\"/static/propusk.css\""));
    assert!(html.contains("name=\"viewport\""));
    for third_party in ["src=\"http", "src=\"//", "stylesheet\" href=\"http"] {
        assert!(!html.contains(third_party), "third-party resource: {third_party}");
    }
    assert!(!html.contains("style=\""), "inline styles are blocked by the CSP");
    assert_labels_bound(html);
}

#[test]
fn login_page_has_contract_labels() {
    let html = login_page().render().unwrap();
    for label in [
        "Вход в систему",
        "Через Госуслуги",
        "или",
        "Вход через логин и пароль",
        "Организация",
        "Орган управления",
        "Выберите организацию",
        "Логин",
        "Пароль",
        "Остаться в системе",
        "Забыли пароль?",
        "Войти",
    ] {
        assert!(html.contains(label), "missing label «{label}»");
    }
    assert_common_layout(&html);
}

#[test]
fn login_page_form_fields() {
    let html = login_page().render().unwrap();
    for fragment in [
        "method=\"post\" action=\"/login\"",
        "type=\"hidden\" name=\"flow\" value=\"flow-123\"",
        "type=\"hidden\" name=\"csrf\" value=\"csrf-456\"",
        "name=\"org_kind\" value=\"school\"",
        "name=\"org_kind\" value=\"authority\"",
        "<select id=\"org\" name=\"org\"",
        "<select id=\"org_authority\" name=\"org_authority\"",
        "<option value=\"\">Выберите организацию</option>",
        "<optgroup label=\"Алтайский край — Городской округ Барнаул\">",
        "value=\"org-2\">МАОУ Гимназия №2 (Барнаул)</option>",
        "name=\"login\" type=\"text\" value=\"\" autocomplete=\"username\"",
        "name=\"password\" type=\"password\"",
        "type=\"checkbox\" name=\"remember\" value=\"1\"",
        "href=\"/forgot-password\"",
        "href=\"/login/esia?flow=flow-123\"",
        "<script src=\"/static/login.js\" defer></script>",
    ] {
        assert!(html.contains(fragment), "missing {fragment}");
    }
    // Both selects have «Организация» as their label and the placeholder first.
    assert!(html.contains("for=\"org\">Организация</label>"));
    assert!(html.contains("for=\"org_authority\">Организация</label>"));
    assert!(html.contains("for=\"org-kind-school\">Организация</label>"));
    assert!(html.contains("for=\"org-kind-authority\">Орган управления</label>"));
    assert_eq!(html.matches("<option value=\"\">Выберите организацию</option>").count(), 2);
    // The school tab is open by default.
    assert!(html.contains("value=\"school\" id=\"org-kind-school\" checked"));
    assert!(!html.contains("id=\"org-kind-authority\" checked"));
}

#[test]
fn login_page_without_esia_has_no_esia_button() {
    let page = LoginPage { esia_url: None, ..login_page() };
    let html = page.render().unwrap();
    assert!(!html.contains("Через Госуслуги"));
    assert!(!html.contains(">или<"));
    assert!(html.contains("Вход через логин и пароль"));
}

#[test]
fn login_page_keeps_selection_and_shows_error() {
    let page = LoginPage {
        selected_org: Some("auth-1".into()),
        login: "ivanova.mp".into(),
        error: Some("Неверный логин или пароль".into()),
        ..login_page()
    };
    let html = page.render().unwrap();
    assert!(html.contains("value=\"auth-1\" selected>"));
    assert!(html.contains("id=\"org-kind-authority\" checked"));
    assert!(!html.contains("id=\"org-kind-school\" checked"));
    assert!(html.contains("value=\"ivanova.mp\""));
    assert!(html.contains("role=\"alert\">Неверный логин или пароль</div>"));
    // The error comes before the form.
    assert!(html.find("role=\"alert\"") < html.find("action=\"/login\""));
}

#[test]
fn login_page_escapes_every_value() {
    let page = LoginPage {
        client_name: XSS.into(),
        error: Some(XSS.into()),
        login: format!("\"><{XSS}"),
        schools: cascade(
            &[org(&format!("\"{XSS}"), OrgKind::School, [XSS, XSS, XSS, XSS], XSS)],
            OrgKind::School,
            &Chosen { region: XSS.into(), ..Chosen::default() },
            true,
        ),
        esia_url: Some(format!("/x\"{XSS}")),
        ..login_page()
    };
    let html = page.render().unwrap();
    assert!(!html.contains("<script>alert"), "unescaped script in {html}");
    assert!(html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"));
    // The only <script> tag is ours.
    assert_eq!(html.matches("<script").count(), 1);
}

#[test]
fn consent_page() {
    let page = ConsentPage {
        flow: "f".into(),
        csrf: "c".into(),
        client_name: XSS.into(),
        logo_uri: None,
        scopes: vec![
            ScopeLine { scope: "profile".into(), description: "ФИО и дата рождения".into() },
            ScopeLine { scope: "email".into(), description: "Адрес электронной почты".into() },
        ],
    };
    let html = page.render().unwrap();
    assert!(!html.contains("<img"), "no logo, no image");
    assert!(html.contains("method=\"post\" action=\"/consent\""));
    assert!(html.contains("name=\"flow\" value=\"f\""));
    assert!(html.contains("name=\"csrf\" value=\"c\""));
    assert!(html.contains("name=\"decision\" value=\"allow\" class=\"button button-primary\">Разрешить</button>"));
    assert!(html.contains("name=\"decision\" value=\"deny\" class=\"button button-secondary\">Отказать</button>"));
    assert!(html.contains("ФИО и дата рождения"));
    assert!(html.contains("Адрес электронной почты"));
    assert!(!html.contains("<script>"));
    assert_common_layout(&html);
}

#[test]
fn consent_page_logo_has_the_escaped_name_as_alt_and_no_referrer() {
    let page = ConsentPage {
        flow: "f".into(),
        csrf: "c".into(),
        client_name: XSS.into(),
        logo_uri: Some("https://cdn.example/logo.png?a=1&b=2".into()),
        scopes: vec![],
    };
    let html = page.render().unwrap();
    let img = html.split("<img").nth(1).and_then(|rest| rest.split('>').next()).unwrap();
    assert!(img.contains("src=\"https://cdn.example/logo.png?a=1&#38;b=2\"") || img.contains("&amp;b=2"), "{img}");
    assert!(img.contains(" width=\"64\" height=\"64\" referrerpolicy=\"no-referrer\""), "{img}");
    assert!(img.contains(" alt=\"") && !img.contains("<script"), "the name escaped in alt: {img}");
    assert_eq!(html.matches("<img").count(), 1);
}

#[test]
fn logout_page_only_has_given_fields() {
    let page = LogoutPage {
        csrf: "c".into(),
        id_token_hint: Some("eyJ.x.y".into()),
        post_logout_redirect_uri: None,
        state: Some("st\"ate".into()),
        client_id: None,
    };
    let html = page.render().unwrap();
    assert!(html.contains("Выйти из системы?"));
    assert!(html.contains("method=\"post\" action=\"/logout\""));
    assert!(html.contains("name=\"csrf\" value=\"c\""));
    assert!(html.contains("name=\"id_token_hint\" value=\"eyJ.x.y\""));
    assert!(
        html.contains("name=\"state\" value=\"st&#34;ate\"") || html.contains("name=\"state\" value=\"st&quot;ate\"")
    );
    assert!(!html.contains("post_logout_redirect_uri"));
    assert!(!html.contains("name=\"client_id\""));
    assert!(html.contains(">Выйти</button>"));
    assert_common_layout(&html);
}

#[test]
fn logged_out_page() {
    let html = LoggedOutPage {}.render().unwrap();
    assert!(html.contains("Вы вышли из системы"));
    assert_common_layout(&html);
}

fn account_page() -> AccountPage {
    AccountPage {
        csrf: "c".into(),
        full_name: "Иванова Мария Петровна".into(),
        surname: "Иванова".into(),
        given_name: "Мария".into(),
        patronymic: Some("Петровна".into()),
        birth_date: "11.08.1985".into(),
        school_year: "2026/2027".into(),
        organisation: "МБОУ СОШ №1".into(),
        role: "Родитель".into(),
        class: None,
        login: "ivanova.mp".into(),
        esia_linked: false,
        consents: vec![ConsentLine {
            client_id: "demo-diary".into(),
            client_name: "Электронный дневник".into(),
            scope: "openid profile".into(),
            granted: "23.11.2026".into(),
        }],
        pd_consents: vec![],
        message: None,
        password_error: None,
    }
}

#[test]
fn account_page_not_linked() {
    let html = account_page().render().unwrap();
    for text in [
        "Персональные настройки",
        "Основная информация",
        "Учебный год: 2026/2027",
        "<dt>Фамилия</dt><dd>Иванова</dd>",
        "<dt>Имя</dt><dd>Мария</dd>",
        "<dt>Отчество</dt><dd>Петровна</dd>",
        "<dt>Дата рождения</dt><dd>11.08.1985</dd>",
        "ivanova.mp",
    ] {
        assert!(html.contains(text), "missing {text}");
    }
    // «Сменить пароль»: the current password, the new one twice, the CSRF token.
    assert!(html.contains("action=\"/account/password\""));
    for field in ["current_password", "new_password", "new_password_repeat"] {
        assert!(html.contains(&format!("name=\"{field}\"")), "missing {field}");
    }
    assert!(html.contains(">Сменить пароль</button>"));
    assert!(!html.contains("role=\"alert\""));
    assert_labels_bound(&html);
    assert!(html.contains("action=\"/account/esia/link\""));
    assert!(html.contains("Привязать учетную запись портала Госуслуг"));
    assert!(!html.contains("Отвязать"));
    assert!(!html.contains("Класс"));
    assert!(html.contains("action=\"/account/consents/revoke\""));
    assert!(html.contains("name=\"client_id\" value=\"demo-diary\""));
    assert!(html.contains("Отозвать согласие"));
    assert!(html.contains("action=\"/logout\""));
    assert_common_layout(&html);
}

#[test]
fn account_page_linked() {
    let page = AccountPage {
        esia_linked: true,
        class: Some("8А".into()),
        consents: vec![],
        message: Some("Учетная запись портала Госуслуг привязана".into()),
        ..account_page()
    };
    let html = page.render().unwrap();
    assert!(html.contains("Учетная запись портала Госуслуг привязана"));
    assert!(html.contains("action=\"/account/esia/unlink\""));
    assert!(html.contains("Отвязать учетную запись портала Госуслуг"));
    assert!(!html.contains("action=\"/account/esia/link\""));
    assert!(html.contains("<dt>Класс</dt><dd>8А</dd>"));
    assert!(!html.contains("Отозвать согласие"));
    assert!(html.contains("role=\"status\""));
}

#[test]
fn account_page_password_error_and_no_patronymic() {
    let page = AccountPage {
        patronymic: None,
        password_error: Some("Текущий пароль введён неверно.".into()),
        ..account_page()
    };
    let html = page.render().unwrap();
    assert!(html.contains("<dt>Отчество</dt><dd>—</dd>"));
    assert!(html.contains("<div class=\"alert alert-error\" role=\"alert\">Текущий пароль введён неверно.</div>"));
}

#[test]
fn ab_03_error_page_shows_only_its_texts() {
    let page = ErrorPage {
        title: "Неверный запрос".into(), message: XSS.into(), request_id: Some("req-1".into())
    };
    let html = page.render().unwrap();
    assert!(html.contains("Неверный запрос"));
    assert!(html.contains("req-1"));
    assert!(!html.contains("<script>alert"));
    assert_common_layout(&html);
}

#[tokio::test]
async fn html_helper_sets_content_type() {
    let res = html(&LoggedOutPage {});
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
    let body = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
    assert!(std::str::from_utf8(&body).unwrap().contains("Вы вышли из системы"));
}

/// The header of seed 004: the signed-in person's name (→ `/account`) and «Выход»
/// (→ `/logout`) on every page extending `base.html`; nothing without a session.
#[test]
fn header_shows_the_signed_in_person_only() {
    use propusk::web::viewer::{Viewer, render_as};
    let viewer = || Some(Viewer { name: "Иванова М. П.".into() });
    type Render = fn() -> String;
    let pages: [(&str, Render); 4] = [
        ("login", || login_page().render().unwrap()),
        ("account", || account_page().render().unwrap()),
        ("logged out", || LoggedOutPage {}.render().unwrap()),
        ("error", || {
            ErrorPage { title: "Неверный запрос".into(), message: "x".into(), request_id: None }.render().unwrap()
        }),
    ];
    for (what, render) in pages {
        let signed_in = render_as(viewer(), render);
        assert!(
            signed_in.contains("<a class=\"site-user-name\" href=\"/account\">Иванова М. П.</a>"),
            "{what}: the name"
        );
        assert!(signed_in.contains("<a class=\"site-user-exit\" href=\"/logout\">Выход</a>"), "{what}: «Выход»");
        // In the header, before the page's own content.
        assert!(signed_in.find("site-user") < signed_in.find("<main"), "{what}: at the top");
        let anonymous = render_as(None, render);
        assert!(!anonymous.contains("site-user"), "{what}: nothing without a session");
        assert!(!anonymous.contains("href=\"/logout\">Выход"), "{what}");
        // Outside a page request (no scope at all) there is no header either.
        assert_eq!(render(), anonymous, "{what}");
    }
    let escaped = render_as(Some(Viewer { name: XSS.into() }), || login_page().render().unwrap());
    assert!(!escaped.contains("<script>alert"), "the name is escaped");
}
