//! The current school year of «Персональные настройки» («Учебный год: 2026/2027»):
//! a school year starts on 1 September (UTC) and ends on 31 August.

use crate::clock::UnixTime;

/// The school year `now` falls in, as `YYYY/YYYY`.
pub fn school_year(now: UnixTime) -> String {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(now) else {
        return String::new();
    };
    let start = if u8::from(t.month()) >= 9 { t.year() } else { t.year() - 1 };
    format!("{start}/{}", start + 1)
}

#[cfg(test)]
mod tests {
    use super::school_year;

    /// Unix time of `YYYY-MM-DD hh:mm:ss` UTC.
    fn at(date: &str, clock: &str) -> i64 {
        let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
        time::PrimitiveDateTime::parse(&format!("{date} {clock}"), &format).unwrap().assume_utc().unix_timestamp()
    }

    #[test]
    fn school_year_starts_on_the_first_of_september() {
        let cases = [
            (("2026-08-31", "23:59:59"), "2025/2026"),
            (("2026-09-01", "00:00:00"), "2026/2027"),
            (("2026-12-02", "01:00:00"), "2026/2027"),
            (("2027-01-01", "00:00:00"), "2026/2027"),
            (("2027-05-31", "12:00:00"), "2026/2027"),
            (("2022-10-15", "08:00:00"), "2022/2023"),
        ];
        for ((date, clock), want) in cases {
            assert_eq!(school_year(at(date, clock)), want, "{date} {clock}");
        }
    }

    #[test]
    fn out_of_range_time_gives_nothing() {
        assert_eq!(school_year(i64::MAX), "");
    }
}
