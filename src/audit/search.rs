//! Which audit rows a search asks for (pure): by kind, client, account, organisation,
//! token id (`jti`), request id and time range. `audit search` and the admin console
//! read the log page by page and keep the rows that [`Filter::matches`].

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
}
