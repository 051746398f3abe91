//! Tests of the pushed request's DPoP key: the proof's key and `dpop_jkt` agree or one stands alone.
#![allow(clippy::unwrap_used)]

use super::*;

const A: &str = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
const B: &str = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

#[test]
fn rfc9449_10_1_the_proof_becomes_dpop_jkt_and_both_must_agree() {
    assert_eq!(proved_key(None, None).unwrap(), None, "neither");
    assert_eq!(proved_key(None, Some(A.into())).unwrap().as_deref(), Some(A), "the proof's key is added");
    assert_eq!(proved_key(Some(A), None).unwrap(), None, "the parameter stays as given");
    assert_eq!(proved_key(Some(A), Some(A.into())).unwrap(), None, "agreeing: nothing to add");
    let e = proved_key(Some(A), Some(B.into())).unwrap_err();
    assert_eq!(e.code.as_str(), "invalid_dpop_proof");
}

#[test]
fn stored_form_drops_credentials_and_adds_the_proved_key() {
    let form = stored_form(b"client_id=x&client_secret=s&scope=openid", "mobile", Some(A));
    assert_eq!(form, format!("scope=openid&client_id=mobile&dpop_jkt={A}"));
    assert_eq!(stored_form(b"scope=openid", "mobile", None), "scope=openid&client_id=mobile");
}
