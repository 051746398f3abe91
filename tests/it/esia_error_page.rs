//! The page «Не удалось войти через Госуслуги» shows «Номер запроса» like every other
//! error page: the id of the response's `x-request-id`, which the log lines of that
//! request carry. A client-sent id that is not a plain id is never shown.

use crate::common::*;
use crate::esia_journey::start;
use crate::esia_support::*;
use propusk::connector::sandbox::Faults;

/// Through the sandbox's login with `faults` on its token endpoint: our callback's answer.
async fn failed_callback(app: &TestApp, faults: Faults, sent_id: Option<&str>) -> reqwest::Response {
    let http = browser();
    let login = start(app, &http, "").await;
    let callback = esia_callback_url(app, &http, &login, "parent", "ivanova@example.ru").await;
    app.app().sandbox.as_ref().unwrap().set_faults(faults);
    let mut req = http.get(&callback);
    if let Some(id) = sent_id {
        req = req.header("x-request-id", id);
    }
    let res = req.send().await.unwrap();
    app.app().sandbox.as_ref().unwrap().set_faults(Faults::default());
    res
}

#[tokio::test]
async fn esia_error_page_shows_the_request_id() {
    let app = TestApp::spawn().await;
    let faults = [
        Faults { server_error: true, ..Faults::default() },
        Faults { bad_token_signature: true, ..Faults::default() },
        Faults { malformed_json: true, ..Faults::default() },
    ];
    for fault in faults {
        let res = failed_callback(&app, fault.clone(), None).await;
        assert_eq!(res.status(), 502, "{fault:?}");
        let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert!(!id.is_empty());
        let html = res.text().await.unwrap();
        assert!(html.contains("Не удалось войти через Госуслуги"), "{fault:?}: the ESIA error page");
        assert!(html.contains(&format!("Номер запроса: <code>{id}</code>")), "{fault:?}: shows {id}: {html}");
        assert!(html.contains("Попробовать снова"), "the page's own actions stay");
    }
}

#[tokio::test]
async fn esia_error_page_never_shows_an_injected_request_id() {
    let app = TestApp::spawn().await;
    let fault = Faults { server_error: true, ..Faults::default() };
    let injected = "<script>alert(1)</script>";
    let res = failed_callback(&app, fault.clone(), Some(injected)).await;
    assert_eq!(res.status(), 502);
    let html = res.text().await.unwrap();
    assert!(!html.contains("<script>alert") && !html.contains("&lt;script"), "not echoed: {html}");
    assert!(!html.contains("Номер запроса"), "no id rather than a foreign one");
    // A plain id the client (or a proxy in front) chose is shown, as on the other pages.
    let res = failed_callback(&app, fault, Some("proxy-req-1234")).await;
    assert!(res.text().await.unwrap().contains("Номер запроса: <code>proxy-req-1234</code>"));
}
