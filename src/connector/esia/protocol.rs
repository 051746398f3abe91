//! ESIA's wire details shared by the connector and the sandbox: the timestamp
//! format, the exact strings that are signed, `state` UUIDs, scope names and the
//! lenient decoding of `client_secret`.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

pub const AC_V2: &str = "/aas/oauth2/v2/ac";
pub const TE_V3: &str = "/aas/oauth2/v3/te";
pub const AC_V1: &str = "/aas/oauth2/ac";
pub const TE_V1: &str = "/aas/oauth2/te";
pub const LOGOUT: &str = "/idp/ext/Logout";
pub const PRNS: &str = "/rs/prns";

/// ESIA's logout URL (LO-05): `{base}/idp/ext/Logout?client_id=..&redirect_url=..`
/// (`redirect_url`, not `redirect_uri`; no signature).
pub fn logout_url(base_url: &str, client_id: &str, redirect_url: &str) -> Option<url::Url> {
    let mut url = url::Url::parse(&format!("{}{LOGOUT}", base_url.trim_end_matches('/'))).ok()?;
    url.query_pairs_mut().append_pair("client_id", client_id).append_pair("redirect_url", redirect_url);
    Some(url)
}

const TS_FORMAT: &[BorrowedFormatItem<'static>] =
    format_description!("[year].[month].[day] [hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute]");

/// `yyyy.MM.dd HH:mm:ss +0000` for a Unix time (UTC).
pub fn timestamp(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix).ok().and_then(|t| t.format(TS_FORMAT).ok()).unwrap_or_default()
}

/// Parses ESIA's timestamp (any offset) into Unix seconds.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    OffsetDateTime::parse(s, TS_FORMAT).ok().map(|t| t.unix_timestamp())
}

/// A fresh RFC 4122 v4 UUID, lowercase with dashes, from the crate's random source.
pub fn new_state() -> String {
    let bytes = crate::crypto::random_bytes();
    let mut b = [0u8; 16];
    b.copy_from_slice(&bytes[..16]);
    uuid::Builder::from_random_bytes(b).into_uuid().hyphenated().to_string()
}

/// ESIA's `state` shape: a lowercase-or-uppercase hyphenated UUID.
pub fn is_state(s: &str) -> bool {
    s.len() == 36 && uuid::Uuid::try_parse(s).is_ok()
}

/// v2/ac and v3/te: `client_id + scope + timestamp + state + redirect_uri [+ code]`.
pub fn signed_string_v2(client_id: &str, scope: &str, ts: &str, state: &str, redirect_uri: &str, code: &str) -> String {
    format!("{client_id}{scope}{ts}{state}{redirect_uri}{code}")
}

/// Legacy v1 (ac and te): `scope + timestamp + client_id + state`.
pub fn signed_string_v1(client_id: &str, scope: &str, ts: &str, state: &str) -> String {
    format!("{scope}{ts}{client_id}{state}")
}

/// Decodes a `client_secret` in any of base64url/base64, padded or not.
pub fn decode_secret(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(s)
        .or_else(|_| URL_SAFE.decode(s))
        .or_else(|_| STANDARD.decode(s))
        .or_else(|_| STANDARD_NO_PAD.decode(s))
        .ok()
}

/// A granted scope as it appears in tokens (`fullname?oid=1`, `http://esia.gosuslugi.ru/snils`)
/// reduced to its name.
pub fn scope_name(s: &str) -> &str {
    let s = s.strip_prefix("http://esia.gosuslugi.ru/").unwrap_or(s);
    s.split('?').next().unwrap_or(s)
}

/// Person scopes the sandbox knows (a request with anything else is ESIA-007006).
pub const KNOWN_SCOPES: &[&str] = &[
    "openid",
    "fullname",
    "birthdate",
    "gender",
    "snils",
    "inn",
    "birthplace",
    "id_doc",
    "medical_doc",
    "military_doc",
    "foreign_passport_doc",
    "drivers_licence_doc",
    "birth_cert_doc",
    "residence_doc",
    "temporary_residence_doc",
    "email",
    "mobile",
    "contacts",
    "addresses",
    "vehicles",
    "usr_org",
    "kid_fullname",
    "kid_birthdate",
    "kid_gender",
    "kid_snils",
    "kid_inn",
    "kid_birth_cert_doc",
    "kid_medical_doc",
];

/// `dd.MM.yyyy` → `YYYY-MM-DD`.
pub fn iso_date(esia: &str) -> Option<String> {
    let mut it = esia.trim().split('.');
    let (Some(d), Some(m), Some(y), None) = (it.next(), it.next(), it.next(), it.next()) else {
        return None;
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    (digits(d, 2) && digits(m, 2) && digits(y, 4)).then(|| format!("{y}-{m}-{d}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_round_trip() {
        let ts = timestamp(1_756_818_029);
        assert_eq!(ts, "2025.09.02 13:00:29 +0000");
        assert_eq!(parse_timestamp(&ts), Some(1_756_818_029));
        assert_eq!(parse_timestamp("2025.09.02 16:00:29 +0300"), Some(1_756_818_029));
    }

    #[test]
    fn signed_strings_and_helpers() {
        assert_eq!(signed_string_v2("C", "openid fullname", "T", "S", "R", ""), "Copenid fullnameTSR");
        assert_eq!(signed_string_v1("C", "openid", "T", "S"), "openidTCS");
        assert!(is_state(&new_state()));
        assert!(!is_state("not-a-uuid"));
        assert_eq!(scope_name("fullname?oid=1000"), "fullname");
        assert_eq!(iso_date("11.08.1985").as_deref(), Some("1985-08-11"));
        assert_eq!(iso_date("1985-08-11"), None);
        assert_eq!(decode_secret("-_8"), Some(vec![0xfb, 0xff]));
        assert_eq!(decode_secret("+/8="), Some(vec![0xfb, 0xff]));
    }
}
