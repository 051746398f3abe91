//! Name normalisation and the matching key: how a school record and an ESIA
//! person are compared (case, spaces, hyphens/dashes and ё/е do not matter).

/// Lower-case, `ё` → `е`, with every space, hyphen and dash removed.
pub fn normalise_name(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && !is_dash(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ё' { 'е' } else { c })
        .collect()
}

pub(crate) fn is_dash(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}'
            | '\u{2011}'
            | '\u{2012}'
            | '\u{2013}'
            | '\u{2014}'
            | '\u{2015}'
            | '\u{2212}'
            | '\u{fe58}'
            | '\u{fe63}'
            | '\u{ff0d}'
            | '\u{00ad}'
    )
}

/// Hex HMAC-SHA256 of `surname|given|patronymic|birth_date` (normalised names, ISO
/// date; an absent patronymic is empty): the indexed key of the ESIA matching journey.
pub fn match_key(key: &[u8; 32], surname: &str, given: &str, patronymic: Option<&str>, birth_date_iso: &str) -> String {
    let material = format!(
        "{}|{}|{}|{}",
        normalise_name(surname),
        normalise_name(given),
        normalise_name(patronymic.unwrap_or_default()),
        birth_date_iso.trim()
    );
    hex::encode(crate::crypto::hmac_sha256(key, material.as_bytes()))
}

/// «Фамилия Имя Отчество» (missing or empty parts left out).
pub fn full_name(surname: &str, given_name: &str, patronymic: Option<&str>) -> String {
    [Some(surname), Some(given_name), patronymic]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// «Фамилия И. О.» for the page header (the full name when there is no surname).
pub fn short_name(surname: &str, given_name: &str, patronymic: Option<&str>) -> String {
    let surname = surname.trim();
    if surname.is_empty() {
        return full_name(given_name.trim(), "", patronymic.map(str::trim));
    }
    let initials = [Some(given_name), patronymic]
        .into_iter()
        .flatten()
        .filter_map(|s| s.trim().chars().next())
        .map(|c| format!(" {}.", c.to_uppercase()))
        .collect::<String>();
    format!("{surname}{initials}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_name_table() {
        let cases = [
            (("Иванова", "Мария", Some("Петровна")), "Иванова М. П."),
            (("Иванова", "мария", None), "Иванова М."),
            (("Римский-Корсаков", " Николай ", Some("")), "Римский-Корсаков Н."),
            (("", "Мария", Some("Петровна")), "Мария Петровна"),
            ((" Ёлкина ", "Ёлка", Some("Ёловна")), "Ёлкина Ё. Ё."),
        ];
        for ((surname, given, patronymic), want) in cases {
            assert_eq!(short_name(surname, given, patronymic), want);
        }
    }

    #[test]
    fn normalise_name_table() {
        let cases = [
            ("Пётр", "петр"),
            ("ПЁТР", "петр"),
            ("Петр", "петр"),
            ("  Иванова  ", "иванова"),
            ("Римский-Корсаков", "римскийкорсаков"),
            ("Римский – Корсаков", "римскийкорсаков"),
            ("Римский—корсаков", "римскийкорсаков"),
            ("Анна  Мария", "аннамария"),
            ("Оглы\u{a0}Мамедов", "оглымамедов"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(normalise_name(input), want, "input {input:?}");
        }
    }

    #[test]
    fn match_key_ignores_case_yo_spaces_and_hyphens() {
        let k = [9u8; 32];
        let a = match_key(&k, "Петров", "Пётр", Some("Петрович"), "1979-01-30");
        assert_eq!(a, match_key(&k, "ПЕТРОВ", "петр", Some(" Петрович "), "1979-01-30"));
        assert_eq!(a.len(), 64);
        let b = match_key(&k, "Римский-Корсаков", "Николай", None, "1844-03-18");
        assert_eq!(b, match_key(&k, "римский корсаков", "НИКОЛАЙ", Some(""), "1844-03-18"));
    }

    #[test]
    fn match_key_separates_fields_and_dates() {
        let k = [9u8; 32];
        let a = match_key(&k, "Петров", "Пётр", Some("Петрович"), "1979-01-30");
        assert_ne!(a, match_key(&k, "Петров", "Пётр", Some("Петрович"), "1979-01-31"));
        assert_ne!(a, match_key(&k, "Петров", "Пётр", None, "1979-01-30"));
        assert_ne!(a, match_key(&[8u8; 32], "Петров", "Пётр", Some("Петрович"), "1979-01-30"));
        assert_ne!(match_key(&k, "Ан", "на", None, "2000-01-01"), match_key(&k, "Анн", "а", None, "2000-01-01"));
    }
}
