//! SNILS (страховой номер индивидуального лицевого счёта): normalisation, the
//! official checksum, and the keyed hash that is all propusk ever stores of it.

/// The highest number (first nine digits) that carries no checked checksum.
const UNCHECKED_UP_TO: u64 = 1_001_998;

/// Accepts `XXX-XXX-XXX YY` or 11 digits with spaces/hyphens anywhere; returns the
/// 11 digits when the checksum is valid.
pub fn normalise(s: &str) -> Option<String> {
    let mut digits = String::with_capacity(11);
    for c in s.trim().chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '\u{a0}' => {}
            _ => return None,
        }
    }
    if digits.len() != 11 {
        return None;
    }
    let d: Vec<u64> = digits.bytes().map(|b| u64::from(b - b'0')).collect();
    let number = d[..9].iter().fold(0u64, |acc, x| acc * 10 + x);
    if number <= UNCHECKED_UP_TO {
        return Some(digits);
    }
    let sum: u64 = d[..9].iter().enumerate().map(|(i, x)| x * (9 - i as u64)).sum();
    let expected = checksum(sum);
    let given = d[9] * 10 + d[10];
    (expected == given).then_some(digits)
}

/// The official rule: below 100 the sum itself; 100 and 101 give 00; above 101 the
/// remainder mod 101, to which the same rule applies.
fn checksum(sum: u64) -> u64 {
    match sum {
        0..=99 => sum,
        100 | 101 => 0,
        _ => {
            let r = sum % 101;
            if r == 100 { 0 } else { r }
        }
    }
}

/// Hex HMAC-SHA256 of a normalised SNILS under the installation's SNILS key.
pub fn keyed_hash(key: &[u8; 32], normalised: &str) -> String {
    hex::encode(crate::crypto::hmac_sha256(key, normalised.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_table() {
        let cases: &[(&str, Option<&str>)] = &[
            ("112-233-445 95", Some("11223344595")),
            ("123-456-789 64", Some("12345678964")),
            ("12345678964", Some("12345678964")),
            (" 123 456 789 64 ", Some("12345678964")),
            ("123-456-789-64", Some("12345678964")),
            ("123-456-789 65", None),
            ("112-233-445 94", None),
            ("123-456-789 6", None),
            ("123-456-789 644", None),
            ("123-456-78a 64", None),
            ("", None),
            // Numbers up to 001-001-998 are not checked.
            ("001-001-998 00", Some("00100199800")),
            ("000-000-001 99", Some("00000000199")),
            // Just above the limit the checksum applies: 0*9+0*8+1*7+0*6+0*5+1*4+9*3+9*2+9*1 = 65.
            ("001-001-999 65", Some("00100199965")),
            ("001-001-999 00", None),
        ];
        for (input, want) in cases {
            assert_eq!(normalise(input).as_deref(), *want, "input {input:?}");
        }
    }

    #[test]
    fn checksum_rule() {
        assert_eq!(checksum(95), 95);
        assert_eq!(checksum(100), 0);
        assert_eq!(checksum(101), 0);
        assert_eq!(checksum(165), 64);
        assert_eq!(checksum(201), 0); // 201 mod 101 = 100 → 00
        assert_eq!(checksum(202), 0);
        assert_eq!(checksum(203), 1);
    }

    #[test]
    fn keyed_hash_depends_on_key() {
        let a = keyed_hash(&[1; 32], "11223344595");
        assert_eq!(a.len(), 64);
        assert_eq!(a, keyed_hash(&[1; 32], "11223344595"));
        assert_ne!(a, keyed_hash(&[2; 32], "11223344595"));
        assert!(!a.contains("11223344595"));
    }
}
