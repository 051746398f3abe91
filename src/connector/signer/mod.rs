//! Request signing for ESIA (`client_secret`) and token signature checks:
//! the [`Signer`] trait, in-process OpenSSL keys (RSA, GOST through the engine),
//! an external command (CryptoPro and friends), and certificate helpers.

mod command;
mod openssl_key;
mod self_test;

pub use command::CommandSigner;
pub use openssl_key::{OpensslSigner, gost_digest, verify_with_cert};
pub use self_test::{SELF_TEST_MESSAGE, SelfTest, self_test, self_test_blocking};

use super::config::SignerConfig;
use openssl::x509::X509;
use std::path::Path;
use std::sync::Arc;

/// Why signing failed. The message never contains key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error("signing key or certificate unusable: {0}")]
    Key(String),
    #[error("signing failed: {0}")]
    Failed(String),
    #[error("signing command did not finish within {0} ms")]
    Timeout(u64),
    #[error("this signer cannot produce a CMS signature")]
    Unsupported,
}

/// Signature algorithms ESIA knows, named as in its JWT headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// GOST R 34.10-2012 (256-bit key) over Streebog-256, raw 64 bytes in OpenSSL order.
    Gost2012_256,
}

impl SigAlg {
    pub fn jwt_name(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Gost2012_256 => "GOST3410_2012_256",
        }
    }
    pub fn from_jwt_name(name: &str) -> Option<Self> {
        match name {
            "RS256" => Some(Self::Rs256),
            "GOST3410_2012_256" => Some(Self::Gost2012_256),
            _ => None,
        }
    }
}

/// Signs bytes with the relying party's key. Blocking: call it through [`sign_blocking`].
pub trait Signer: Send + Sync + std::fmt::Debug {
    /// The raw signature value (GOST: 64 bytes in OpenSSL order; RSA: PKCS#1 v1.5).
    fn sign(&self, data: &[u8]) -> Result<Vec<u8>, SignError>;
    /// DER of the certificate registered at ESIA for this key.
    fn certificate_der(&self) -> &[u8];
    /// The algorithm of [`Signer::sign`].
    fn algorithm(&self) -> SigAlg;
    /// Detached CMS (PKCS#7) signature for the legacy v1 API.
    fn sign_cms_detached(&self, _data: &[u8]) -> Result<Vec<u8>, SignError> {
        Err(SignError::Unsupported)
    }
}

/// Runs [`Signer::sign`] off the async runtime.
pub async fn sign_blocking(signer: Arc<dyn Signer>, data: Vec<u8>, cms: bool) -> Result<Vec<u8>, SignError> {
    tokio::task::spawn_blocking(move || if cms { signer.sign_cms_detached(&data) } else { signer.sign(&data) })
        .await
        .map_err(|e| SignError::Failed(format!("signing task: {e}")))?
}

/// `client_certificate_hash`: Streebog-256 of the certificate DER, uppercase hex.
pub fn certificate_hash(der: &[u8]) -> String {
    use streebog::Digest;
    hex::encode_upper(streebog::Streebog256::digest(der))
}

/// Certificates from a PEM file (one or more) or a DER file.
pub fn load_certificates(path: &Path) -> Result<Vec<X509>, SignError> {
    let bytes = crate::connector::files::read(path).map_err(|e| SignError::Key(format!("{}: {e}", path.display())))?;
    if let Ok(certs) = X509::stack_from_pem(&bytes)
        && !certs.is_empty()
    {
        return Ok(certs);
    }
    X509::from_der(&bytes)
        .map(|c| vec![c])
        .map_err(|e| SignError::Key(format!("{}: not a certificate: {}", path.display(), first_error(&e))))
}

/// Builds the signer described by the `[esia.signer]` section.
pub fn from_config(cfg: &SignerConfig) -> Result<Arc<dyn Signer>, SignError> {
    match cfg.kind.as_str() {
        "openssl" => Ok(Arc::new(OpensslSigner::from_files(&cfg.key_file, &cfg.cert_file)?)),
        "command" => Ok(Arc::new(CommandSigner::from_config(cfg)?)),
        other => Err(SignError::Key(format!("unknown signer kind `{other}`"))),
    }
}

pub(crate) fn first_error(e: &openssl::error::ErrorStack) -> String {
    e.errors()
        .first()
        .map(|x| x.reason().unwrap_or("unknown").to_string())
        .unwrap_or_else(|| "unknown OpenSSL error".into())
}

#[cfg(test)]
mod tests;
