//! Unit tests of the signers.
use super::*;

#[test]
fn streebog_certificate_hash_matches_standard_vector() {
    // GOST R 34.11-2012 test vector M1 (256-bit), as produced by OpenSSL's gost engine.
    let m1 = b"012345678901234567890123456789012345678901234567890123456789012";
    assert_eq!(certificate_hash(m1), "9D151EEFD8590B89DAA6BA6CB74AF9275DD051026BB149A452FD84E5E57B5500");
}
