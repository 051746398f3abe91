//! Legacy password hashes (PHC strings): argon2id for everything new, and
//! verification of what schools bring along (argon2i, bcrypt, PBKDF2-SHA256).

use crate::crypto::SecretString;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::{Arc, LazyLock, Mutex, mpsc};

/// Why a password could not be hashed or checked. A wrong password is not an
/// error: it is `Verified { ok: false, .. }`.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// The stored hash is not one of the supported formats.
    #[error("unsupported password hash format")]
    UnknownFormat,
    /// The stored hash has a known prefix but cannot be parsed.
    #[error("malformed password hash: {0}")]
    Malformed(String),
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// The outcome of [`verify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub ok: bool,
    /// The hash is not argon2id with the current parameters: replace it after a
    /// successful login.
    pub needs_rehash: bool,
}

/// A hash of the string `propusk-dummy-password` with the current parameters, used by
/// [`burn`] so that an unknown login costs as much time as a known one (AB-03).
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$cHJvcHVzay1kdW1teS1zYWx0$Q5zr2OFtTm+pEzg7DA0lF7+L9PTIq+hiGFcLvMby3fY";

/// argon2id with the OWASP parameters (m = 19456 KiB, t = 2, p = 1).
fn current() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::DEFAULT)
}

/// The kind of a stored hash, by its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashKind {
    Argon2,
    Bcrypt,
    Pbkdf2,
}

/// Recognises a supported PHC/MCF prefix (`$argon2id$`, `$argon2i$`, `$2a$`, `$2b$`,
/// `$2y$`, `$pbkdf2-sha256$`). Used by the directory import to tell a hash from a
/// plain password.
pub fn hash_kind(phc: &str) -> Option<HashKind> {
    if phc.starts_with("$argon2id$") || phc.starts_with("$argon2i$") {
        Some(HashKind::Argon2)
    } else if phc.starts_with("$2a$") || phc.starts_with("$2b$") || phc.starts_with("$2y$") {
        Some(HashKind::Bcrypt)
    } else if phc.starts_with("$pbkdf2-sha256$") {
        Some(HashKind::Pbkdf2)
    } else {
        None
    }
}

/// Checks that a stored hash is well-formed (without a password).
pub fn check_format(phc: &str) -> Result<HashKind, PasswordError> {
    let kind = hash_kind(phc).ok_or(PasswordError::UnknownFormat)?;
    match kind {
        HashKind::Argon2 => {
            let parsed = PasswordHash::new(phc).map_err(|e| PasswordError::Malformed(e.to_string()))?;
            Params::try_from(&parsed).map_err(|e| PasswordError::Malformed(e.to_string()))?;
        }
        HashKind::Pbkdf2 => {
            let parsed = PasswordHash::new(phc).map_err(|e| PasswordError::Malformed(e.to_string()))?;
            pbkdf2::Params::try_from(&parsed).map_err(|e| PasswordError::Malformed(e.to_string()))?;
        }
        HashKind::Bcrypt => {
            if phc.len() != 60 {
                return Err(PasswordError::Malformed("bcrypt hash must be 60 characters".into()));
            }
        }
    }
    Ok(kind)
}

/// The threads that hash and verify passwords: one per CPU this process may use,
/// started on first use and kept. Each verification holds m = 19 MiB while it runs;
/// on threads of their own the buffers are reused by the next job instead of being
/// left behind in whichever allocator arena a blocking-pool thread had, so the memory
/// passwords take is the pool's (CPUs × 19 MiB) rather than the logins in flight's. A
/// burst of parallel logins waits its turn; more at once would not end sooner on
/// CPU-bound work.
static WORKERS: LazyLock<Option<mpsc::Sender<Job>>> = LazyLock::new(start_workers);

type Job = Box<dyn FnOnce() + Send>;

fn start_workers() -> Option<mpsc::Sender<Job>> {
    let (tx, rx) = mpsc::channel::<Job>();
    let rx = Arc::new(Mutex::new(rx));
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut started = 0;
    for i in 0..cpus {
        let rx = rx.clone();
        let spawned = std::thread::Builder::new().name(format!("propusk-argon2-{i}")).spawn(move || {
            loop {
                // The lock is held only while taking a job, never while running it.
                let job = match rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                let Ok(job) = job else { return };
                // A job that panics costs its caller an error, not the pool a thread.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
            }
        });
        started += usize::from(spawned.is_ok());
    }
    (started > 0).then_some(tx)
}

/// Runs `work` on a password thread and waits for it without blocking the runtime.
async fn on_worker<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, PasswordError> {
    let stopped = || PasswordError::Hash("the password threads are not running".into());
    let (done, result) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = done.send(work());
    });
    let workers = WORKERS.as_ref().ok_or_else(stopped)?;
    workers.send(job).map_err(|_| stopped())?;
    result.await.map_err(|_| stopped())
}

/// Hashes a password with argon2id and the current parameters (on the blocking pool).
pub async fn hash(password: &SecretString) -> Result<String, PasswordError> {
    let password = password.clone();
    on_worker(move || hash_blocking(password.expose())).await?
}

fn hash_blocking(password: &str) -> Result<String, PasswordError> {
    let salt = crate::crypto::random_bytes();
    current()
        .hash_password_with_salt(password.as_bytes(), &salt[..16])
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Verifies a password against a stored hash (on the blocking pool).
pub async fn verify(phc: &str, password: &SecretString) -> Result<Verified, PasswordError> {
    let (phc, password) = (phc.to_owned(), password.clone());
    on_worker(move || verify_blocking(&phc, password.expose())).await?
}

/// Spends the time of one verification against a dummy argon2id hash; the result
/// is thrown away. Used when the login does not exist (AB-03).
pub async fn burn(password: &SecretString) {
    let password = password.clone();
    let _ = on_worker(move || verify_blocking(DUMMY_HASH, password.expose())).await;
}

fn verify_blocking(phc: &str, password: &str) -> Result<Verified, PasswordError> {
    match check_format(phc)? {
        HashKind::Argon2 => {
            let parsed = PasswordHash::new(phc).map_err(|e| PasswordError::Malformed(e.to_string()))?;
            let ok = match current().verify_password(password.as_bytes(), &parsed) {
                Ok(()) => true,
                Err(argon2::password_hash::Error::PasswordInvalid) => false,
                Err(e) => return Err(PasswordError::Malformed(e.to_string())),
            };
            Ok(Verified { ok, needs_rehash: !is_current(&parsed) })
        }
        HashKind::Bcrypt => {
            let ok = bcrypt::verify(password.as_bytes(), phc).map_err(|e| PasswordError::Malformed(e.to_string()))?;
            Ok(Verified { ok, needs_rehash: true })
        }
        HashKind::Pbkdf2 => {
            let parsed = PasswordHash::new(phc).map_err(|e| PasswordError::Malformed(e.to_string()))?;
            let ok = match pbkdf2::Pbkdf2::default().verify_password(password.as_bytes(), &parsed) {
                Ok(()) => true,
                Err(argon2::password_hash::Error::PasswordInvalid) => false,
                Err(e) => return Err(PasswordError::Malformed(e.to_string())),
            };
            Ok(Verified { ok, needs_rehash: true })
        }
    }
}

/// argon2id, version 0x13, m/t/p as in [`Params::DEFAULT`].
fn is_current(parsed: &PasswordHash) -> bool {
    if parsed.algorithm.as_str() != "argon2id" || parsed.version != Some(0x13) {
        return false;
    }
    match Params::try_from(parsed) {
        Ok(p) => {
            p.m_cost() == Params::DEFAULT_M_COST
                && p.t_cost() == Params::DEFAULT_T_COST
                && p.p_cost() == Params::DEFAULT_P_COST
        }
        Err(_) => false,
    }
}

#[cfg(test)]
#[path = "password_tests.rs"]
mod tests;
