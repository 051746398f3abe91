//! The sandbox's HTML: login page («Телефон / Email / СНИЛС», «Пароль», «Войти»),
//! consent page («Предоставить»), error and logout pages. Forms post to the
//! configured base URL so the sandbox works under any mount point.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\"><title>{t}</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <link rel=\"stylesheet\" href=\"sandbox.css\"></head>\
         <body><p class=\"warn\">Песочница ЕСИА — только для тестов и демонстрации</p>{body}</body></html>",
        t = esc(title)
    )
}

pub fn login(base: &str, req: &str, error: Option<&str>) -> Response {
    let err = error.map(|e| format!("<p role=\"alert\" class=\"warn\">{}</p>", esc(e))).unwrap_or_default();
    let body = format!(
        "<h1>Вход</h1>{err}<form method=\"post\" action=\"{base}/aas/oauth2/login\">\
         <input type=\"hidden\" name=\"req\" value=\"{req}\">\
         <p><label for=\"login\">Телефон / Email / СНИЛС</label><br>\
         <input id=\"login\" name=\"login\" autocomplete=\"username\" required></p>\
         <p><label for=\"password\">Пароль</label><br>\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required></p>\
         <p><button type=\"submit\">Войти</button></p></form>",
        base = esc(base),
        req = esc(req)
    );
    Html(page("Вход — Госуслуги (песочница)", &body)).into_response()
}

fn scope_title(scope: &str) -> &str {
    match scope {
        "openid" => "Идентификатор пользователя",
        "fullname" => "Фамилия, имя и отчество",
        "birthdate" => "Дата рождения",
        "gender" => "Пол",
        "snils" => "СНИЛС",
        "inn" => "ИНН",
        "id_doc" => "Данные документа, удостоверяющего личность",
        "birth_cert_doc" => "Свидетельство о рождении",
        "email" => "Адрес электронной почты",
        "mobile" => "Номер мобильного телефона",
        "contacts" => "Контактные данные",
        "kid_fullname" => "ФИО детей",
        "kid_birthdate" => "Даты рождения детей",
        "kid_gender" => "Пол детей",
        "kid_snils" => "СНИЛС детей",
        "kid_birth_cert_doc" => "Свидетельства о рождении детей",
        other => other,
    }
}

pub fn consent(base: &str, req: &str, client_id: &str, person: &str, scopes: &[String]) -> Response {
    let items: String = scopes.iter().map(|s| format!("<li>{}</li>", esc(scope_title(s)))).collect();
    let body = format!(
        "<h1>Предоставление прав доступа</h1><p>{person}, система «{client}» запрашивает доступ к данным:</p>\
         <ul>{items}</ul><form method=\"post\" action=\"{base}/aas/oauth2/consent\">\
         <input type=\"hidden\" name=\"req\" value=\"{req}\">\
         <button type=\"submit\" name=\"action\" value=\"allow\">Предоставить</button> \
         <button type=\"submit\" name=\"action\" value=\"deny\">Отказать</button></form>",
        person = esc(person),
        client = esc(client_id),
        base = esc(base),
        req = esc(req)
    );
    Html(page("Предоставление прав доступа", &body)).into_response()
}

/// ESIA's own error page (no redirect to the client), e.g. for ESIA-007023.
pub fn error(status: StatusCode, description: &str) -> Response {
    let body = format!("<h1>Ошибка</h1><p class=\"error\">{}</p>", esc(description));
    (status, Html(page("Ошибка — Госуслуги (песочница)", &body))).into_response()
}

pub fn logged_out() -> Response {
    Html(page("Выход", "<h1>Вы вышли из портала Госуслуг</h1>")).into_response()
}

/// The sandbox's stylesheet (served as `…/aas/oauth2/sandbox.css`; pages link it
/// relatively, so it works under any mount point and under a strict CSP).
pub async fn stylesheet() -> Response {
    const CSS: &str = "body{font-family:system-ui,sans-serif;max-width:32rem;margin:1.5rem auto;padding:0 1rem;color:#1b1b1b}\
        h1{color:#0d4cd3;font-size:1.4rem}.warn{color:#a00}label{display:block;margin:.8rem 0 .3rem}\
        input{width:100%;box-sizing:border-box;padding:.6rem;font-size:1rem}button{margin-top:1rem;padding:.6rem 1.2rem;\
        font-size:1rem;background:#0d4cd3;color:#fff;border:0;border-radius:4px}ul{padding-left:1.2rem}";
    ([(axum::http::header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response()
}
