//! The search key of a name (pure): `accounts.name_key` and the words of a console
//! search. SQLite's `lower()` knows ASCII only, so the key is stored already folded:
//! lower-case, `ё` → `е`, one space between the words of surname, given name and
//! patronymic (a hyphen or a dash separates words too, «Римский-Корсаков» is two).

/// The words of `s`, folded: lower-case, `ё` → `е`, letters and digits only.
fn words(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(|c: char| c.is_whitespace() || super::names::is_dash(c))
        .map(|w| {
            w.chars()
                .flat_map(char::to_lowercase)
                .map(|c| if c == 'ё' { 'е' } else { c })
                .filter(|c| c.is_alphanumeric())
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
}

/// `accounts.name_key`: «Фамилия Имя Отчество» folded, words joined by one space.
pub fn name_key(surname: &str, given_name: &str, patronymic: Option<&str>) -> String {
    [surname, given_name, patronymic.unwrap_or_default()].into_iter().flat_map(words).collect::<Vec<_>>().join(" ")
}

/// The words of a search query, folded as [`name_key`] folds names (so they hold no
/// `LIKE` wildcards); at most `MAX_SEARCH_WORDS`.
pub fn search_words(q: &str) -> Vec<String> {
    words(q).take(MAX_SEARCH_WORDS).collect()
}

/// Words of a query past this many are ignored.
pub const MAX_SEARCH_WORDS: usize = 4;

/// Whether every word of `query` is a prefix of some word of `key` (what the
/// store's search asks of `name_key`; the table tests state it in one place).
pub fn key_matches(key: &str, query: &[String]) -> bool {
    !query.is_empty() && query.iter().all(|q| key.split(' ').any(|w| w.starts_with(q.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_key_table() {
        let cases = [
            (("Иванова", "Мария", Some("Петровна")), "иванова мария петровна"),
            (("ЁЛКИНА", "Алёна", None), "елкина алена"),
            (("Римский-Корсаков", " Николай ", Some("")), "римский корсаков николай"),
            (("Д'Артаньян", "Шарль", Some("—")), "дартаньян шарль"),
            (("  Ли  ", "Вэй Мин", None), "ли вэй мин"),
            (("", "", None), ""),
        ];
        for ((s, g, p), want) in cases {
            assert_eq!(name_key(s, g, p), want, "{s} {g} {p:?}");
        }
    }

    #[test]
    fn search_words_fold_like_the_key_and_drop_wildcards() {
        assert_eq!(search_words("  ИВАНОВА  мар "), ["иванова", "мар"]);
        assert_eq!(search_words("Ёлкин%_ а"), ["елкин", "а"]);
        assert_eq!(search_words("%_"), Vec::<String>::new());
        assert_eq!(search_words("а б в г д е").len(), MAX_SEARCH_WORDS);
    }

    #[test]
    fn every_query_word_prefixes_some_key_word() {
        let key = name_key("Иванова", "Мария", Some("Петровна"));
        let cases = [
            ("иванова", true),
            ("ИВАН", true),
            ("мария иванова", true),
            ("пет мар", true),
            ("ванова", false),
            ("иванова ольга", false),
            ("", false),
        ];
        for (q, want) in cases {
            assert_eq!(key_matches(&key, &search_words(q)), want, "{q}");
        }
    }
}
