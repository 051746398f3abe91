//! Conformance checks: a `private_key_jwt` client's JWK Set (RFC 7523 §2.2) is stored
//! and changed (its assertions seen: `seen.rs`).

use super::fixtures::*;
use super::harness::{T0, TestDb};
use crate::store::*;

pub async fn client_jwks_round_trip(db: &mut TestDb) {
    let s = db.store();
    let keys = r#"{"keys":[{"kty":"EC","crv":"P-256","x":"x","y":"y"}]}"#;
    let c = Client {
        secret_hash: None,
        auth_method: AuthMethod::PrivateKeyJwt,
        jwks: Some(keys.into()),
        ..client("by-key")
    };
    s.insert_client(&c, &event()).await.unwrap();
    assert_eq!(s.client("by-key").await.unwrap(), Some(c.clone()));
    let rotated = Client { jwks: Some(r#"{"keys":[]}"#.into()), updated_at: T0 + 1, ..c.clone() };
    let want = rotated.clone();
    assert_eq!(s.change_client("by-key", &|_| Some(want.clone()), &event()).await.unwrap(), Some(rotated.clone()));
    assert_eq!(s.client("by-key").await.unwrap(), Some(rotated));
    assert_eq!(s.client("rp").await.unwrap(), None);
    s.insert_client(&client("rp"), &event()).await.unwrap();
    assert_eq!(s.client("rp").await.unwrap().unwrap().jwks, None, "a client without keys");
}
