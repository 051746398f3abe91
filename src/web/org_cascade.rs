//! The organisation cascade of the login and linking forms (seeds 000 and 004):
//! «Регион» → «Городской округ / Муниципальный район» → «Населенный пункт» → «Тип ОО»
//! → «Организация» (management bodies: «Регион» → «Городской округ / Муниципальный
//! район»). One pure function, [`cascade`], decides what each select offers for what
//! was chosen. The server renders its result (the first page, a failed login, and the
//! «Показать» button without JavaScript); `static/login.js` applies the same rule live
//! to the `data-*` attributes of the organisation options.
//!
//! The rule, level by level: the options of a level are the distinct non-empty values
//! of the organisations left by the levels above; a choice that is not among them is
//! dropped; a level with a single option has it chosen. An empty choice does not
//! filter, so with nothing chosen every organisation is offered.

use crate::store::{OrgKind, Organisation};
use crate::web::pages::{FilterOption, OrgChoice, OrgFilter, OrgGroup, OrgOption};
use std::collections::BTreeMap;

/// One level of the cascade above the organisation itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Region,
    Municipality,
    Locality,
    OrgType,
}

impl Level {
    /// The levels offered, in order, for schools and for management bodies.
    pub fn of(kind: OrgKind) -> &'static [Level] {
        match kind {
            OrgKind::School => &[Level::Region, Level::Municipality, Level::Locality, Level::OrgType],
            OrgKind::Authority => &[Level::Region, Level::Municipality],
        }
    }

    /// The form field suffix (`org_region`), the `id` suffix (`org-region`) and the
    /// `data-` attribute of the organisation options (`data-region`).
    pub fn key(self) -> &'static str {
        match self {
            Level::Region => "region",
            Level::Municipality => "municipality",
            Level::Locality => "locality",
            Level::OrgType => "type",
        }
    }

    /// The visible label, as in the regional instructions.
    pub fn label(self) -> &'static str {
        match self {
            Level::Region => "Регион",
            Level::Municipality => "Городской округ / Муниципальный район",
            Level::Locality => "Населенный пункт",
            Level::OrgType => "Тип ОО",
        }
    }

    /// The first option, meaning "no filter".
    pub fn placeholder(self) -> &'static str {
        match self {
            Level::Region => "Все регионы",
            Level::Municipality => "Все округа и районы",
            Level::Locality => "Все населенные пункты",
            Level::OrgType => "Все типы",
        }
    }

    fn value(self, o: &Organisation) -> &str {
        match self {
            Level::Region => &o.region,
            Level::Municipality => &o.municipality,
            Level::Locality => &o.locality,
            Level::OrgType => &o.org_type,
        }
    }
}

/// What was chosen at each level of one select's cascade (empty: nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chosen {
    pub region: String,
    pub municipality: String,
    pub locality: String,
    pub org_type: String,
}

impl Chosen {
    /// The posted choices of the cascade above the select named `select`
    /// (fields `{select}_region`, `{select}_municipality`, …).
    pub fn from_form<'a>(get: impl Fn(&str) -> Option<&'a str>, select: &str) -> Self {
        let field = |level: Level| get(&format!("{select}_{}", level.key())).unwrap_or_default().trim().to_owned();
        Self {
            region: field(Level::Region),
            municipality: field(Level::Municipality),
            locality: field(Level::Locality),
            org_type: field(Level::OrgType),
        }
    }

    fn get(&self, level: Level) -> &str {
        match level {
            Level::Region => &self.region,
            Level::Municipality => &self.municipality,
            Level::Locality => &self.locality,
            Level::OrgType => &self.org_type,
        }
    }
}

/// Both tabs of the form: the cascade of each select and the open tab.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tabs {
    pub school: Chosen,
    pub authority: Chosen,
    /// «Орган управления» was the open tab.
    pub authority_open: bool,
}

impl Tabs {
    /// The posted tab (`org_kind`) and cascades (`org_*`, `org_authority_*`).
    pub fn from_form<'a>(get: impl Fn(&str) -> Option<&'a str> + Copy) -> Self {
        Self {
            school: Chosen::from_form(get, "org"),
            authority: Chosen::from_form(get, "org_authority"),
            authority_open: get("org_kind") == Some("authority"),
        }
    }
}

/// The select of organisations of `kind` with its cascade for `chosen`. `refresh`:
/// the form offers «Показать» (else the filters are shown by JavaScript only).
pub fn cascade(orgs: &[Organisation], kind: OrgKind, chosen: &Chosen, refresh: bool) -> OrgChoice {
    let mut pool: Vec<&Organisation> = orgs.iter().filter(|o| o.kind == kind).collect();
    let mut filters = Vec::new();
    for &level in Level::of(kind) {
        let mut values: Vec<&str> = pool.iter().map(|o| level.value(o)).filter(|v| !v.is_empty()).collect();
        values.sort_unstable();
        values.dedup();
        let wanted = chosen.get(level);
        let effective = match values.as_slice() {
            _ if values.contains(&wanted) => wanted,
            [only] => only,
            _ => "",
        }
        .to_owned();
        let options =
            values.iter().map(|v| FilterOption { value: (*v).to_owned(), selected: *v == effective }).collect();
        if !effective.is_empty() {
            pool.retain(|o| level.value(o) == effective);
        }
        filters.push(OrgFilter { key: level.key(), label: level.label(), placeholder: level.placeholder(), options });
    }
    let mut groups: BTreeMap<String, Vec<OrgOption>> = BTreeMap::new();
    for o in orgs.iter().filter(|o| o.kind == kind) {
        let shown = pool.iter().any(|p| p.id == o.id);
        let label = if o.locality.is_empty() { o.name.clone() } else { format!("{} ({})", o.name, o.locality) };
        groups.entry(format!("{} — {}", o.region, o.municipality)).or_default().push(OrgOption {
            id: o.id.clone(),
            label,
            region: o.region.clone(),
            municipality: o.municipality.clone(),
            locality: o.locality.clone(),
            org_type: o.org_type.clone(),
            shown,
        });
    }
    let groups =
        groups.into_iter().map(|(label, orgs)| OrgGroup { shown: orgs.iter().any(|o| o.shown), label, orgs }).collect();
    OrgChoice { filters, groups, refresh }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(id: &str, kind: OrgKind, place: [&str; 4]) -> Organisation {
        let [region, municipality, locality, org_type] = place.map(str::to_owned);
        Organisation { id: id.into(), kind, region, municipality, locality, org_type, name: format!("Школа {id}") }
    }

    fn directory() -> Vec<Organisation> {
        use OrgKind::{Authority, School};
        vec![
            org("s1", School, ["Сахалинская область", "ГО Южно-Сахалинск", "Южно-Сахалинск", "Общеобразовательная"]),
            org("s2", School, ["Сахалинская область", "ГО Южно-Сахалинск", "Синегорск", "Общеобразовательная"]),
            org("s3", School, ["Сахалинская область", "ГО Южно-Сахалинск", "Южно-Сахалинск", "Дошкольная"]),
            org("s4", School, ["Сахалинская область", "Корсаковский ГО", "Корсаков", "Общеобразовательная"]),
            org("s5", School, ["Алтайский край", "ГО Барнаул", "Барнаул, г.", "Общеобразовательная"]),
            // The same municipality name in another region is another municipality.
            org("s6", School, ["Алтайский край", "Корсаковский ГО", "Корсаков", "Общеобразовательная"]),
            org("a1", Authority, ["Сахалинская область", "ГО Южно-Сахалинск", "Южно-Сахалинск", "Орган управления"]),
        ]
    }

    fn chosen(region: &str, municipality: &str, locality: &str, org_type: &str) -> Chosen {
        Chosen {
            region: region.into(),
            municipality: municipality.into(),
            locality: locality.into(),
            org_type: org_type.into(),
        }
    }

    /// (filter key, its options, the selected one or "").
    fn levels(c: &OrgChoice) -> Vec<(&str, Vec<&str>, &str)> {
        c.filters
            .iter()
            .map(|f| {
                let selected = f.options.iter().find(|o| o.selected).map_or("", |o| o.value.as_str());
                (f.key, f.options.iter().map(|o| o.value.as_str()).collect(), selected)
            })
            .collect()
    }

    fn shown(c: &OrgChoice) -> Vec<&str> {
        c.groups.iter().flat_map(|g| &g.orgs).filter(|o| o.shown).map(|o| o.id.as_str()).collect()
    }

    #[test]
    fn cascade_table() {
        let orgs = directory();
        let sakh = "Сахалинская область";
        let cases: Vec<(&str, Chosen, Vec<&str>, [&str; 4])> = vec![
            (
                "nothing chosen: everything",
                Chosen::default(),
                vec!["s5", "s6", "s1", "s2", "s3", "s4"],
                ["", "", "", ""],
            ),
            ("a region", chosen(sakh, "", "", ""), vec!["s1", "s2", "s3", "s4"], [sakh, "", "", ""]),
            (
                "a municipality",
                chosen(sakh, "ГО Южно-Сахалинск", "", ""),
                vec!["s1", "s2", "s3"],
                [sakh, "ГО Южно-Сахалинск", "", ""],
            ),
            (
                "a single locality is chosen by itself",
                chosen(sakh, "Корсаковский ГО", "", ""),
                vec!["s4"],
                [sakh, "Корсаковский ГО", "Корсаков", "Общеобразовательная"],
            ),
            (
                "down to the type",
                chosen(sakh, "ГО Южно-Сахалинск", "Южно-Сахалинск", "Дошкольная"),
                vec!["s3"],
                [sakh, "ГО Южно-Сахалинск", "Южно-Сахалинск", "Дошкольная"],
            ),
            (
                "a municipality of another region is dropped",
                chosen("Алтайский край", "ГО Южно-Сахалинск", "Южно-Сахалинск", ""),
                vec!["s5", "s6"],
                ["Алтайский край", "", "", "Общеобразовательная"],
            ),
            (
                "an unknown region is dropped",
                chosen("Нет такого", "", "", ""),
                vec!["s5", "s6", "s1", "s2", "s3", "s4"],
                ["", "", "", ""],
            ),
            (
                "a type without a locality filters too",
                chosen("", "", "", "Дошкольная"),
                vec!["s3"],
                ["", "", "", "Дошкольная"],
            ),
        ];
        for (what, chosen, want_shown, want_selected) in cases {
            let c = cascade(&orgs, OrgKind::School, &chosen, true);
            assert_eq!(shown(&c), want_shown, "{what}: shown");
            let selected: Vec<&str> = levels(&c).iter().map(|l| l.2).collect();
            assert_eq!(selected, want_selected, "{what}: selected");
        }
    }

    #[test]
    fn options_of_each_level_follow_the_levels_above() {
        let orgs = directory();
        let c = cascade(&orgs, OrgKind::School, &chosen("Сахалинская область", "", "", ""), true);
        let l = levels(&c);
        assert_eq!(l[0], ("region", vec!["Алтайский край", "Сахалинская область"], "Сахалинская область"));
        assert_eq!(l[1], ("municipality", vec!["ГО Южно-Сахалинск", "Корсаковский ГО"], ""));
        assert_eq!(l[2], ("locality", vec!["Корсаков", "Синегорск", "Южно-Сахалинск"], ""));
        assert_eq!(l[3], ("type", vec!["Дошкольная", "Общеобразовательная"], ""));
        assert_eq!(c.filters[1].label, "Городской округ / Муниципальный район");
        assert!(c.refresh);
    }

    #[test]
    fn groups_keep_every_organisation_and_mark_the_shown() {
        let orgs = directory();
        let c = cascade(&orgs, OrgKind::School, &chosen("Алтайский край", "ГО Барнаул", "", ""), false);
        let groups: Vec<(&str, bool, usize)> =
            c.groups.iter().map(|g| (g.label.as_str(), g.shown, g.orgs.len())).collect();
        assert_eq!(
            groups,
            vec![
                ("Алтайский край — ГО Барнаул", true, 1),
                ("Алтайский край — Корсаковский ГО", false, 1),
                ("Сахалинская область — ГО Южно-Сахалинск", false, 3),
                ("Сахалинская область — Корсаковский ГО", false, 1),
            ]
        );
        let s5 = &c.groups[0].orgs[0];
        assert_eq!((s5.label.as_str(), s5.locality.as_str()), ("Школа s5 (Барнаул, г.)", "Барнаул, г."));
        assert!(c.shows("s5") && !c.shows("s1") && !c.shows("nope"));
        assert!(!c.refresh);
    }

    #[test]
    fn management_bodies_have_region_and_municipality_only() {
        let orgs = directory();
        let c = cascade(&orgs, OrgKind::Authority, &Chosen::default(), true);
        let keys: Vec<&str> = c.filters.iter().map(|f| f.key).collect();
        assert_eq!(keys, ["region", "municipality"]);
        // One body: its region and municipality are chosen by themselves.
        assert_eq!(levels(&c)[0].2, "Сахалинская область");
        assert_eq!(levels(&c)[1].2, "ГО Южно-Сахалинск");
        assert_eq!(shown(&c), ["a1"]);
    }

    #[test]
    fn tabs_from_the_posted_form() {
        let form = [
            ("org_kind", "authority"),
            ("org_region", " Алтайский край "),
            ("org_type", "Дошкольная"),
            ("org_authority_municipality", "ГО Барнаул"),
        ];
        let get = |name: &str| form.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        let tabs = Tabs::from_form(get);
        assert!(tabs.authority_open);
        assert_eq!(tabs.school, chosen("Алтайский край", "", "", "Дошкольная"));
        assert_eq!(tabs.authority, chosen("", "ГО Барнаул", "", ""));
        assert_eq!(Tabs::from_form(|_| None), Tabs::default());
    }
}
