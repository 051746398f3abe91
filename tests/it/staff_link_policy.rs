//! The link policy on the staff pages: what the requester typed is not ESIA data,
//! and a link whose person and account do not fit needs staff's explicit confirmation.

use crate::access_staff::{file, made_up, path_of, request_page, signed_in, stored};
use crate::common::*;
use crate::esia_support::{account_id, audit_of, links_of, post};
use propusk::store::Role;
use propusk::store::requests::{AccessRequest, RequestChild, RequestStatus};

#[tokio::test]
async fn a_typed_child_and_the_comment_are_the_requesters_words_not_esia_data() {
    let app = TestApp::spawn().await;
    // ivanova.mp's child as the parent typed it (ESIA listed none): it must not read
    // as ESIA data, nor pull ivanova.mp up the candidates.
    let mut req = made_up(SCHOOL1, "s-typed", Role::Parent, ["Сидорова", "Анна", "Петровна"], "1970-01-01");
    req.child = Some(RequestChild {
        surname: "Иванов".into(),
        given_name: "Иван".into(),
        patronymic: Some("Сергеевич".into()),
        birth_date: None,
        from_esia: false,
    });
    file(&app, &req).await;
    let admin1 = signed_in(&app, SCHOOL1, "admin1").await;
    let (html, _) = request_page(&app, &admin1, &req).await;
    let esia = &html[html.find("Данные из Госуслуг").unwrap()..html.find("Указано заявителем").expect("a section")];
    assert!(!esia.contains("Иванов Иван") && !esia.contains("Не могу войти"), "not under the ESIA data");
    let declared = &html[html.find("Указано заявителем").unwrap()..];
    assert!(declared.contains("Иванов Иван Сергеевич") && declared.contains("Не могу войти"), "the requester's words");
    // The same request without the typed child ranks ivanova.mp the same.
    let plain = AccessRequest {
        child: None,
        ..made_up(SCHOOL1, "s-plain", Role::Parent, ["Сидорова", "Анна", "Петровна"], "1970-01-01")
    };
    file(&app, &plain).await;
    let (plain_html, _) = request_page(&app, &admin1, &plain).await;
    let ivanova_mp = account_id(&app, SCHOOL1, "ivanova.mp").await;
    let score = |html: &str| {
        html.split(&format!("value=\"{ivanova_mp}\""))
            .next()
            .and_then(|before| before.rsplit("совпадение: ").next())
            .and_then(|s| s.split('<').next())
            .map(str::to_owned)
    };
    assert_eq!(score(&html), score(&plain_html), "no ranking points for a typed child");
}

#[tokio::test]
async fn staff_links_with_a_mismatch_need_an_explicit_confirmation() {
    let app = TestApp::spawn().await;
    // An adult's request (born 1985) for the pupil role, and ivanova.as, a pupil of 10.
    let req = made_up(SCHOOL1, "s-kind", Role::Pupil, ["Иванова", "Анна", "Сергеевна"], "1985-08-11");
    file(&app, &req).await;
    let admin1 = signed_in(&app, SCHOOL1, "admin1").await;
    let (html, csrf) = request_page(&app, &admin1, &req).await;
    assert!(html.contains("Подтверждаю привязку несмотря на различия"), "the warning asks for a confirmation");
    assert!(html.contains("взрослый и ребенок"), "says what differs");
    let pupil = account_id(&app, SCHOOL1, "ivanova.as").await;
    let link = format!("{}/link", path_of(&req));
    let res = post(&app, &admin1, &link, &[("csrf", csrf.as_str()), ("account", &pupil)]).await;
    assert_eq!(res.status(), 400, "not in one click");
    assert!(links_of(&app, SCHOOL1, "ivanova.as").await.is_empty());
    assert_eq!(stored(&app, &req).await.status, RequestStatus::Open);
    let res = post(&app, &admin1, &link, &[("csrf", csrf.as_str()), ("account", &pupil), ("confirm", "on")]).await;
    assert_eq!(res.status(), 303, "linked once confirmed");
    let linked = audit_of(&app, "account_linked").await;
    assert!(
        linked.iter().any(|e| e.contains("staff_confirmed_differences") && e.contains("kind_mismatch")),
        "{linked:?}"
    );
}
