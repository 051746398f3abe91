//! Configuration rules: defaults, the reference file, the issuer, key names in errors.

use super::validate::validate_issuer;
use super::*;

#[test]
fn defaults_are_valid() {
    Config::default().validate().unwrap();
}

#[test]
fn issuer_rules() {
    assert!(validate_issuer("https://id.example.ru").is_ok());
    assert!(validate_issuer("http://127.0.0.1:8080").is_ok());
    assert!(validate_issuer("http://id.example.ru").is_err());
    assert!(validate_issuer("http://127.attacker.example").is_err(), "AZ-13: a name is not a loopback literal");
    assert!(validate_issuer("http://[::1]:8080").is_ok());
    assert!(validate_issuer("https://id.example.ru/").is_err());
    assert!(validate_issuer("https://id.example.ru?x=1").is_err());
    assert!(validate_issuer("id.example.ru").is_err());
}

#[test]
fn the_reference_file_is_valid_and_holds_the_defaults() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/default.toml");
    let loaded = Config::load(Some(&path)).unwrap();
    let json = |c: &Config| serde_json::to_value(c).unwrap();
    // Its relative paths, like the defaults', resolve against the file's directory.
    let mut defaults = Config::default();
    super::paths::resolve(&mut defaults, &super::paths::config_dir(&path));
    assert_eq!(json(&loaded), json(&defaults), "config/default.toml states the built-in defaults");
}

#[test]
fn bad_value_names_the_key() {
    let mut c = Config::default();
    c.database.url = "mysql://x".into();
    assert_eq!(c.validate().unwrap_err().key, "database.url");
}

#[test]
fn acquire_timeout_is_bounded_and_short_by_default() {
    let d = DatabaseConfig::default();
    assert!(d.acquire_timeout_ms <= 2000, "a readiness probe must see an outage quickly");
    assert_eq!(d.pool().acquire_timeout, std::time::Duration::from_millis(d.acquire_timeout_ms));
    for (ms, ok) in [(0, false), (49, false), (50, true), (2000, true), (60_000, true), (60_001, false)] {
        let mut c = Config::default();
        c.database.acquire_timeout_ms = ms;
        match c.validate() {
            Ok(()) => assert!(ok, "{ms} ms accepted"),
            Err(e) => {
                assert!(!ok, "{ms} ms refused");
                assert_eq!(e.key, "database.acquire_timeout_ms");
            }
        }
    }
}

#[test]
fn a_login_outlives_esias_second_factor() {
    let mut c = Config::default();
    c.session.flow_ttl_secs = 899;
    assert_eq!(c.validate().unwrap_err().key, "session.flow_ttl_secs");
    let esia =
        crate::connector::EsiaConfig::for_sandbox("http://127.0.0.1:8080/esia-sandbox", "http://127.0.0.1:8080/cb");
    let mut c = Config { esia, ..Config::default() };
    c.validate().unwrap();
    c.esia.state_ttl_secs = c.session.flow_ttl_secs + 1;
    assert_eq!(c.validate().unwrap_err().key, "esia.state_ttl_secs");
    c.esia.state_ttl_secs = 600;
    assert_eq!(c.validate().unwrap_err().key, "esia.state_ttl_secs");
    c.esia.state_ttl_secs = 900;
    c.esia.certificates_reload_secs = 0;
    assert_eq!(c.validate().unwrap_err().key, "esia.certificates_reload_secs");
    c.esia.certificates_reload_secs = 30;
    c.esia.ca_bundle_only = true;
    assert_eq!(c.validate().unwrap_err().key, "esia.ca_bundle_only");
    c.esia.ca_bundle_only = false;
    c.esia.certificates.clear();
    assert_eq!(c.validate().unwrap_err().key, "esia.certificates");
    c.esia.certificates_dir = Some("esia-certs".into());
    c.validate().unwrap();
}

#[test]
fn par_lifetime_is_bounded() {
    for (secs, ok) in [(0, false), (1, true), (60, true), (600, true), (601, false)] {
        let mut c = Config::default();
        c.tokens.par_ttl_secs = secs;
        match c.validate() {
            Ok(()) => assert!(ok, "{secs} s accepted"),
            Err(e) => {
                assert!(!ok, "{secs} s refused");
                assert_eq!(e.key, "tokens.par_ttl_secs");
            }
        }
    }
}
