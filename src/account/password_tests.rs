//! Tests of legacy password hashes: one known hash per supported format.

use super::*;
use argon2::password_hash::CustomizedPasswordHasher;

fn pw(s: &str) -> SecretString {
    SecretString::new(s)
}

#[tokio::test]
async fn argon2id_round_trip_is_current() {
    let phc = hash(&pw("Demo-2026!")).await.unwrap();
    assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    assert_eq!(verify(&phc, &pw("Demo-2026!")).await.unwrap(), Verified { ok: true, needs_rehash: false });
    assert_eq!(verify(&phc, &pw("demo-2026!")).await.unwrap(), Verified { ok: false, needs_rehash: false });
}

#[tokio::test]
async fn dummy_hash_is_valid_and_current() {
    let v = verify(DUMMY_HASH, &pw("propusk-dummy-password")).await.unwrap();
    assert_eq!(v, Verified { ok: true, needs_rehash: false });
    burn(&pw("anything")).await;
}

#[tokio::test]
async fn argon2_with_old_params_or_argon2i_needs_rehash() {
    let weak = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(4096, 3, 1, None).unwrap());
    let phc = weak.hash_password_with_salt(b"secret", b"0123456789abcdef").unwrap().to_string();
    assert_eq!(verify(&phc, &pw("secret")).await.unwrap(), Verified { ok: true, needs_rehash: true });

    let phc = current()
        .hash_password_customized(b"secret", b"0123456789abcdef", Some("argon2i"), None, Params::DEFAULT)
        .unwrap()
        .to_string();
    assert!(phc.starts_with("$argon2i$"), "{phc}");
    assert_eq!(verify(&phc, &pw("secret")).await.unwrap(), Verified { ok: true, needs_rehash: true });
    assert!(!verify(&phc, &pw("Secret")).await.unwrap().ok);
}

#[tokio::test]
async fn bcrypt_variants_verify_and_need_rehash() {
    let phc = bcrypt::hash("secret", 4).unwrap();
    for prefix in ["$2a$", "$2b$", "$2y$"] {
        let variant = format!("{prefix}{}", &phc[4..]);
        assert_eq!(verify(&variant, &pw("secret")).await.unwrap(), Verified { ok: true, needs_rehash: true });
        assert!(!verify(&variant, &pw("wrong")).await.unwrap().ok);
    }
    // A published test vector ($2a$, password "U*U").
    let known = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW";
    assert!(verify(known, &pw("U*U")).await.unwrap().ok);
}

#[tokio::test]
async fn pbkdf2_sha256_verifies_and_needs_rehash() {
    let params = pbkdf2::Params::new_with_output_len(1000, 32).unwrap();
    let phc = pbkdf2::Pbkdf2::default()
        .hash_password_customized(b"secret", b"saltsaltsaltsalt", None, None, params)
        .unwrap()
        .to_string();
    assert!(phc.starts_with("$pbkdf2-sha256$i=1000"), "{phc}");
    assert_eq!(verify(&phc, &pw("secret")).await.unwrap(), Verified { ok: true, needs_rehash: true });
    assert!(!verify(&phc, &pw("secreT")).await.unwrap().ok);
    // The crate's own reference vector.
    let known = "$pbkdf2-sha256$i=4096,l=40$c2FsdFNBTFRzYWx0U0FMVHNhbHRTQUxUc2FsdFNBTFRzYWx0$NIyJ28vTKy8y2BS4EW6EzysXNH68GAAYHE4qH7jdU+HGNVGMfaxH6Q";
    assert!(verify(known, &pw("passwordPASSWORDpassword")).await.unwrap().ok);
}

#[tokio::test]
async fn unknown_and_malformed_hashes_are_errors() {
    assert!(matches!(verify("plain", &pw("x")).await, Err(PasswordError::UnknownFormat)));
    assert!(matches!(verify("$md5$abc", &pw("x")).await, Err(PasswordError::UnknownFormat)));
    assert!(matches!(verify("$argon2id$garbage", &pw("x")).await, Err(PasswordError::Malformed(_))));
    assert!(matches!(verify("$2b$04$short", &pw("x")).await, Err(PasswordError::Malformed(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hashing_runs_at_most_one_per_cpu_at_once() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let tasks: Vec<_> = (0..cpus * 4)
        .map(|_| {
            let (running, most) = (running.clone(), most.clone());
            tokio::spawn(on_worker(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                let start = Instant::now();
                while start.elapsed() < Duration::from_millis(20) {
                    std::hint::spin_loop();
                }
                running.fetch_sub(1, Ordering::SeqCst);
            }))
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert!(most.load(Ordering::SeqCst) <= cpus, "at most {cpus} at once, saw {}", most.load(Ordering::SeqCst));
}
