//! In-process keys through the `openssl` crate: RSA-SHA256 always, GOST R 34.10-2012
//! when OpenSSL was started with the gost engine (`OPENSSL_CONF=keys/openssl-gost.cnf`).

use super::{SigAlg, SignError, Signer, first_error};
use openssl::cms::{CMSOptions, CmsContentInfo};
use openssl::hash::MessageDigest;
use openssl::pkey::{HasPublic, Id, PKey, PKeyRef, Private};
use openssl::sign::{Signer as OsslSigner, Verifier};
use openssl::x509::{X509, X509Ref};
use std::path::Path;

/// `NID_id_GostR3410_2012_256`.
const NID_GOST2012_256: i32 = 979;

const ENGINE_HINT: &str = "GOST needs OpenSSL's gost engine: install libengine-gost-openssl and start with OPENSSL_CONF=keys/openssl-gost.cnf";

/// Streebog-256 as an OpenSSL digest (only with the gost engine loaded).
pub fn gost_digest() -> Option<MessageDigest> {
    MessageDigest::from_name("md_gost12_256")
}

fn alg_of<T: HasPublic>(key: &PKeyRef<T>) -> Result<SigAlg, SignError> {
    let id = key.id();
    if id == Id::RSA {
        Ok(SigAlg::Rs256)
    } else if id.as_raw() == NID_GOST2012_256 {
        Ok(SigAlg::Gost2012_256)
    } else {
        Err(SignError::Key(format!("unsupported key type (nid {})", id.as_raw())))
    }
}

fn digest_for(alg: SigAlg) -> Result<MessageDigest, SignError> {
    match alg {
        SigAlg::Rs256 => Ok(MessageDigest::sha256()),
        SigAlg::Gost2012_256 => gost_digest().ok_or_else(|| SignError::Key(ENGINE_HINT.into())),
    }
}

/// A private key and its certificate held in process memory.
pub struct OpensslSigner {
    key: PKey<Private>,
    cert: X509,
    cert_der: Vec<u8>,
    alg: SigAlg,
}

impl std::fmt::Debug for OpensslSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpensslSigner").field("alg", &self.alg).finish_non_exhaustive()
    }
}

impl OpensslSigner {
    pub fn from_pem(key_pem: &[u8], cert_pem: &[u8]) -> Result<Self, SignError> {
        let key = PKey::private_key_from_pem(key_pem).map_err(|e| {
            SignError::Key(format!("private key: {} ({ENGINE_HINT} if it is a GOST key)", first_error(&e)))
        })?;
        let cert = X509::from_pem(cert_pem).map_err(|e| SignError::Key(format!("certificate: {}", first_error(&e))))?;
        let alg = alg_of(&key)?;
        digest_for(alg)?;
        let cert_key =
            cert.public_key().map_err(|e| SignError::Key(format!("certificate key: {}", first_error(&e))))?;
        if !key.public_eq(&cert_key) {
            return Err(SignError::Key("the certificate does not belong to the private key".into()));
        }
        let cert_der = cert.to_der().map_err(|e| SignError::Key(first_error(&e)))?;
        Ok(Self { key, cert, cert_der, alg })
    }

    pub fn from_files(key: &Path, cert: &Path) -> Result<Self, SignError> {
        let k = crate::connector::files::read(key).map_err(|e| SignError::Key(format!("{}: {e}", key.display())))?;
        let c = crate::connector::files::read(cert).map_err(|e| SignError::Key(format!("{}: {e}", cert.display())))?;
        Self::from_pem(&k, &c)
    }
}

impl Signer for OpensslSigner {
    fn sign(&self, data: &[u8]) -> Result<Vec<u8>, SignError> {
        let md = digest_for(self.alg)?;
        let mut s = OsslSigner::new(md, &self.key).map_err(|e| SignError::Failed(first_error(&e)))?;
        s.sign_oneshot_to_vec(data).map_err(|e| SignError::Failed(first_error(&e)))
    }

    fn certificate_der(&self) -> &[u8] {
        &self.cert_der
    }

    fn algorithm(&self) -> SigAlg {
        self.alg
    }

    fn sign_cms_detached(&self, data: &[u8]) -> Result<Vec<u8>, SignError> {
        let flags = CMSOptions::DETACHED | CMSOptions::BINARY | CMSOptions::NOATTR;
        let cms = CmsContentInfo::sign(Some(&self.cert), Some(&self.key), None, Some(data), flags)
            .map_err(|e| SignError::Failed(first_error(&e)))?;
        cms.to_der().map_err(|e| SignError::Failed(first_error(&e)))
    }
}

/// Checks a raw signature (RS256 or GOST, per `alg`) with the certificate's key.
/// `Ok(false)` for a wrong signature; `Err` when the key does not fit `alg`.
pub fn verify_with_cert(cert: &X509Ref, alg: SigAlg, data: &[u8], sig: &[u8]) -> Result<bool, SignError> {
    let key = cert.public_key().map_err(|e| SignError::Key(first_error(&e)))?;
    if alg_of(&key)? != alg {
        return Err(SignError::Key(format!("certificate key does not fit {}", alg.jwt_name())));
    }
    let md = digest_for(alg)?;
    let mut v = Verifier::new(md, &key).map_err(|e| SignError::Failed(first_error(&e)))?;
    Ok(v.verify_oneshot(sig, data).unwrap_or(false))
}
