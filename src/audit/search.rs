//! Which audit rows a search asks for (pure): by kind, client, account, organisation,
//! token id (`jti`), request id and time range. `audit search` and the admin console
//! read the log page by page and keep the rows that [`Filter::matches`]; both read
//! the filter as typed through [`FilterText::parse`].

use super::AuditRecord;
use crate::clock::UnixTime;

/// Every field set must match; an empty filter matches every row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// The event's `kind`, e.g. `token_issued`.
    pub kind: Option<String>,
    pub client_id: Option<String>,
    /// An account id, found as the event's `account_id`, `staff_id` or `subject`.
    pub account_id: Option<String>,
    pub organisation_id: Option<String>,
    /// A token id (`jti`): `token_id` of `token_issued` and `token_revoked`.
    pub token_id: Option<String>,
    pub request_id: Option<String>,
    /// Rows at or after this time.
    pub since: Option<UnixTime>,
    /// Rows before this time.
    pub until: Option<UnixTime>,
}

impl Filter {
    pub fn matches(&self, row: &AuditRecord) -> bool {
        if self.kind.as_deref().is_some_and(|k| k != row.kind)
            || self.since.is_some_and(|s| row.at < s)
            || self.until.is_some_and(|u| row.at >= u)
        {
            return false;
        }
        let fields = [&self.client_id, &self.account_id, &self.organisation_id, &self.token_id, &self.request_id];
        if fields.iter().all(|f| f.is_none()) {
            return true;
        }
        let Ok(event) = serde_json::from_str::<serde_json::Value>(&row.data) else {
            return false;
        };
        let has = |names: &[&str], want: &Option<String>| {
            want.as_deref().is_none_or(|w| names.iter().any(|n| event.get(*n).and_then(|v| v.as_str()) == Some(w)))
        };
        has(&["client_id"], &self.client_id)
            && has(&["account_id", "staff_id", "subject"], &self.account_id)
            && has(&["organisation_id"], &self.organisation_id)
            && has(&["token_id"], &self.token_id)
            && has(&["request_id"], &self.request_id)
    }
}

/// One row as `audit export` and `audit search` print it (and the console exports it):
/// `seq`, `at`, `kind`, `event`, `prev_hash`, `hash`.
pub fn json_line(row: &AuditRecord) -> String {
    let event: serde_json::Value = serde_json::from_str(&row.data).unwrap_or(serde_json::Value::Null);
    serde_json::json!({"seq": row.seq, "at": row.at, "kind": row.kind, "event": event,
        "prev_hash": row.prev_hash, "hash": row.hash})
    .to_string()
}

/// A filter as typed: the flags of `audit search` and the fields of the console's form
/// (an empty value is no filter). One parser for both.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilterText {
    pub kind: Option<String>,
    pub client: Option<String>,
    pub account: Option<String>,
    pub org: Option<String>,
    pub jti: Option<String>,
    pub request_id: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
}

/// The time field a filter could not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadTime {
    Since,
    Until,
}

impl FilterText {
    /// The fields of a query string (`kind`, `client`, `account`, `org`, `jti`,
    /// `request_id`, `since`, `until`); other names are ignored.
    pub fn from_query(query: &str) -> Self {
        let mut t = Self::default();
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let slot = match name.as_ref() {
                "kind" => &mut t.kind,
                "client" => &mut t.client,
                "account" => &mut t.account,
                "org" => &mut t.org,
                "jti" => &mut t.jti,
                "request_id" => &mut t.request_id,
                "since" => &mut t.since,
                "until" => &mut t.until,
                _ => continue,
            };
            *slot = Some(value.into_owned());
        }
        t
    }

    /// The query string of the fields given (for the console's links), `&`-joined.
    pub fn to_query(&self) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in self.fields() {
            if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
                q.append_pair(name, v);
            }
        }
        q.finish()
    }

    fn fields(&self) -> [(&'static str, Option<&str>); 8] {
        [
            ("kind", self.kind.as_deref()),
            ("client", self.client.as_deref()),
            ("account", self.account.as_deref()),
            ("org", self.org.as_deref()),
            ("jti", self.jti.as_deref()),
            ("request_id", self.request_id.as_deref()),
            ("since", self.since.as_deref()),
            ("until", self.until.as_deref()),
        ]
    }

    /// The filter, values trimmed; a time that is not a date, an RFC 3339 time or
    /// unix seconds is refused.
    pub fn parse(&self) -> Result<Filter, BadTime> {
        let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        let at = |v: &Option<String>, bad: BadTime| text(v).map(|v| parse_time(&v).ok_or(bad)).transpose();
        Ok(Filter {
            kind: text(&self.kind),
            client_id: text(&self.client),
            account_id: text(&self.account),
            organisation_id: text(&self.org),
            token_id: text(&self.jti),
            request_id: text(&self.request_id),
            since: at(&self.since, BadTime::Since)?,
            until: at(&self.until, BadTime::Until)?,
        })
    }
}

/// A time as typed: unix seconds, a date `YYYY-MM-DD` (its midnight UTC) or an RFC 3339 time.
pub fn parse_time(s: &str) -> Option<UnixTime> {
    use time::format_description::well_known::Rfc3339;
    let s = s.trim();
    if let Ok(n) = s.parse::<i64>() {
        return Some(n);
    }
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t.unix_timestamp());
    }
    let date = time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(at: i64, kind: &str, data: serde_json::Value) -> AuditRecord {
        AuditRecord {
            seq: 1,
            at,
            kind: kind.into(),
            data: data.to_string(),
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn filter_table() {
        let issued = row(
            100,
            "token_issued",
            serde_json::json!({"kind": "token_issued", "client_id": "demo-diary", "subject": "acc-1",
                "token_id": "jti-1", "request_id": "req-1"}),
        );
        let granted = row(
            200,
            "role_granted",
            serde_json::json!({"kind": "role_granted", "account_id": "acc-2", "organisation_id": "org-a"}),
        );
        let f = |edit: fn(&mut Filter)| {
            let mut f = Filter::default();
            edit(&mut f);
            f
        };
        let cases: Vec<(Filter, bool, bool)> = vec![
            (Filter::default(), true, true),
            (f(|f| f.kind = Some("token_issued".into())), true, false),
            (f(|f| f.client_id = Some("demo-diary".into())), true, false),
            (f(|f| f.account_id = Some("acc-1".into())), true, false),
            (f(|f| f.account_id = Some("acc-2".into())), false, true),
            (f(|f| f.organisation_id = Some("org-a".into())), false, true),
            (f(|f| f.token_id = Some("jti-1".into())), true, false),
            (f(|f| f.token_id = Some("jti-2".into())), false, false),
            (f(|f| f.request_id = Some("req-1".into())), true, false),
            (f(|f| f.since = Some(150)), false, true),
            (f(|f| f.until = Some(150)), true, false),
            (f(|f| f.until = Some(100)), false, false),
            (
                f(|f| {
                    f.kind = Some("token_issued".into());
                    f.token_id = Some("jti-1".into());
                    f.since = Some(100);
                }),
                true,
                false,
            ),
        ];
        for (i, (filter, a, b)) in cases.iter().enumerate() {
            assert_eq!(filter.matches(&issued), *a, "case {i} token_issued");
            assert_eq!(filter.matches(&granted), *b, "case {i} role_granted");
        }
    }

    #[test]
    fn typed_filters_parse_one_way() {
        assert_eq!(parse_time("100"), Some(100));
        assert_eq!(parse_time("1970-01-02"), Some(86_400));
        assert_eq!(parse_time("1970-01-01T00:01:00Z"), Some(60));
        assert_eq!(parse_time("1970-01-01T03:00:00+03:00"), Some(0));
        assert_eq!(parse_time("вчера"), None);
        assert_eq!(parse_time("2026-13-01"), None);
        let t = FilterText::from_query("kind=token_issued&jti=+j1+&client=&since=1970-01-02&before=9");
        let f = t.parse().unwrap();
        assert_eq!(
            (f.kind.as_deref(), f.token_id.as_deref(), f.client_id, f.since),
            (Some("token_issued"), Some("j1"), None, Some(86_400))
        );
        assert_eq!(t.to_query(), "kind=token_issued&jti=+j1+&since=1970-01-02");
        assert_eq!(FilterText { until: Some("x".into()), ..FilterText::default() }.parse(), Err(BadTime::Until));
        assert_eq!(FilterText { since: Some("1.1.2026".into()), ..FilterText::default() }.parse(), Err(BadTime::Since));
        assert_eq!(FilterText::default().parse(), Ok(Filter::default()));
    }
}
