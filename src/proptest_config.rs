//! The case count of the property tests (`proptest_*`): `PROPTEST_CASES`, 64 when
//! unset, so that `cargo test` stays quick and a longer run is one variable away
//! (docs/testing.md).

use proptest::test_runner::Config;

/// Cases per property when `PROPTEST_CASES` is not set.
pub const DEFAULT_CASES: u32 = 64;

/// The configuration every property test of the crate runs with.
pub fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_CASES);
    Config { cases, ..Config::default() }
}
