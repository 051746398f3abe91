//! The organisation cascade of seed 000 on the login and linking forms, rendered:
//! «Регион», «Городской округ / Муниципальный район», «Населенный пункт», «Тип ОО»
//! above the select «Организация»; «Показать» without JavaScript on the login form;
//! the choices kept and the filtered organisations hidden.
#![allow(clippy::unwrap_used)]

use askama::Template;
use propusk::store::{OrgKind, Organisation};
use propusk::web::esia_pages::LinkPage;
use propusk::web::org_cascade::{Chosen, cascade};
use propusk::web::pages::LoginPage;

const SAKHALIN: &str = "Сахалинская область";
const YUZHNO: &str = "Городской округ «Город Южно-Сахалинск»";

fn org(id: &str, kind: OrgKind, place: [&str; 4], name: &str) -> Organisation {
    let [region, municipality, locality, org_type] = place.map(str::to_owned);
    Organisation { id: id.into(), kind, region, municipality, locality, org_type, name: name.into() }
}

fn directory() -> Vec<Organisation> {
    vec![
        org("org-1", OrgKind::School, [SAKHALIN, YUZHNO, "Южно-Сахалинск", "Общеобразовательная"], "МБОУ СОШ №1"),
        org("org-3", OrgKind::School, [SAKHALIN, YUZHNO, "Синегорск", "Дошкольная"], "МБДОУ Детский сад №3"),
        org(
            "org-2",
            OrgKind::School,
            ["Алтайский край", "Городской округ Барнаул", "Барнаул", "Общеобразовательная"],
            "МАОУ Гимназия №2",
        ),
        org(
            "auth-1",
            OrgKind::Authority,
            [SAKHALIN, YUZHNO, "Южно-Сахалинск", "Орган управления"],
            "Департамент образования",
        ),
    ]
}

fn login_page(school: &Chosen, selected: Option<&str>) -> LoginPage {
    let orgs = directory();
    LoginPage {
        flow: "flow-123".into(),
        csrf: "csrf-456".into(),
        client_name: String::new(),
        schools: cascade(&orgs, OrgKind::School, school, true),
        authorities: cascade(&orgs, OrgKind::Authority, &Chosen::default(), true),
        authority_open: false,
        error: None,
        login: "ivanova.mp".into(),
        selected_org: selected.map(str::to_owned),
        esia_url: None,
        next: String::new(),
    }
}

/// The `<option …>` tag of value `id` (up to its text).
fn option_tag<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html.find(&format!("value=\"{id}\"")).unwrap();
    let start = html[..at].rfind("<option").unwrap();
    let end = at + html[at..].find('>').unwrap();
    &html[start..=end]
}

#[test]
fn login_form_has_the_cascade_of_seed_000() {
    let html = login_page(&Chosen::default(), None).render().unwrap();
    for (id, name, label) in [
        ("org-region", "org_region", "Регион"),
        ("org-municipality", "org_municipality", "Городской округ / Муниципальный район"),
        ("org-locality", "org_locality", "Населенный пункт"),
        ("org-type", "org_type", "Тип ОО"),
        ("org_authority-region", "org_authority_region", "Регион"),
        ("org_authority-municipality", "org_authority_municipality", "Городской округ / Муниципальный район"),
    ] {
        assert!(html.contains(&format!("<label class=\"field-label\" for=\"{id}\">{label}</label>")), "{label}");
        assert!(html.contains(&format!("<select id=\"{id}\" name=\"{name}\"")), "{name}");
    }
    // In the order of the instructions, then the organisation itself.
    let order: Vec<usize> = [
        "for=\"org-region\"",
        "for=\"org-municipality\"",
        "for=\"org-locality\"",
        "for=\"org-type\"",
        "for=\"org\">Организация",
    ]
    .iter()
    .map(|f| html.find(f).unwrap())
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    assert!(html.contains("<option value=\"\">Выберите организацию</option>"));
    // «Показать» for each tab, without JavaScript; never validating the login fields.
    assert_eq!(html.matches("name=\"action\" value=\"refresh\"").count(), 2);
    assert!(html.contains("formnovalidate>Показать</button>"));
    // The default button comes first: Enter in «Пароль» signs in.
    assert!(html.find("tabindex=\"-1\" aria-hidden=\"true\"></button>") < html.find(">Показать<"));
    // Each organisation carries its place for the live filters.
    let tag = option_tag(&html, "org-3");
    for attr in [
        format!("data-region=\"{SAKHALIN}\""),
        "data-municipality=\"Городской округ ".to_owned(),
        "data-locality=\"Синегорск\"".to_owned(),
        "data-type=\"Дошкольная\"".to_owned(),
    ] {
        assert!(tag.contains(&attr), "{attr} in {tag}");
    }
    // Nothing chosen: every school is offered.
    for id in ["org-1", "org-2", "org-3"] {
        assert!(!option_tag(&html, id).contains("hidden"), "{id} offered");
    }
    // The only management body chose its region and municipality by itself.
    assert!(html.contains(&format!("<option value=\"{SAKHALIN}\" selected>{SAKHALIN}</option>")));
    assert!(html.contains("<script src=\"/static/login.js\" defer></script>"));
}

#[test]
fn chosen_filters_are_kept_and_narrow_the_organisations() {
    let chosen = Chosen {
        region: SAKHALIN.into(),
        municipality: YUZHNO.into(),
        locality: String::new(),
        org_type: "Дошкольная".into(),
    };
    let html = login_page(&chosen, Some("org-3")).render().unwrap();
    assert!(html.contains(&format!("<option value=\"{SAKHALIN}\" selected>")));
    assert!(html.contains("<option value=\"Дошкольная\" selected>Дошкольная</option>"));
    // The locality offers the Сахалин ones only, none chosen.
    assert!(html.contains("<option value=\"Синегорск\">Синегорск</option>"));
    assert!(!html.contains("<option value=\"Барнаул\">"));
    assert!(option_tag(&html, "org-3").ends_with("value=\"org-3\" selected>"), "kept: {}", option_tag(&html, "org-3"));
    assert!(option_tag(&html, "org-1").ends_with("value=\"org-1\" hidden disabled>"));
    assert!(option_tag(&html, "org-2").ends_with("value=\"org-2\" hidden disabled>"));
    assert!(html.contains("<optgroup label=\"Алтайский край — Городской округ Барнаул\" hidden>"));
    assert!(html.contains("value=\"ivanova.mp\""), "the login is kept");
    assert!(!html.contains("name=\"password\" type=\"password\" value"), "the password never is");
}

#[test]
fn linking_form_has_the_cascade_with_and_without_javascript() {
    let orgs = directory();
    let chosen = propusk::web::org_cascade::Chosen::default();
    let page = LinkPage {
        flow: "f".into(),
        csrf: "c".into(),
        schools: propusk::web::org_cascade::cascade(&orgs, OrgKind::School, &chosen, true),
        authorities: propusk::web::org_cascade::cascade(&orgs, OrgKind::Authority, &chosen, true),
        authority_open: false,
        selected_org: None,
        login: "smirnova.ov".into(),
        error: None,
    };
    let html = page.render().unwrap();
    assert!(html.contains("for=\"org-locality\">Населенный пункт</label>"));
    assert!(html.contains("Показать"), "the linking form refreshes on the server without JavaScript");
    assert!(html.contains("value=\"smirnova.ov\""), "the login is kept");
    assert!(html.contains("<select id=\"org\" name=\"org\" class=\"org-select\">"));
    assert!(html.contains("for=\"org\">Организация</label>"));
    assert!(html.contains("value=\"org-1\">МБОУ СОШ №1 (Южно-Сахалинск)</option>"));
    assert!(html.contains("<script src=\"/static/login.js\" defer></script>"));
}
