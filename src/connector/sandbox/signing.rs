//! The sandbox's token-signing key and its rotation (tests rotate it while the
//! server runs, as ESIA replaces its certificate): new tokens are signed with the
//! newest key; the sandbox's own REST still accepts tokens of every earlier key.

use super::state::{SandboxState, lock};
use crate::connector::signer::Signer;
use openssl::x509::X509;
use std::sync::Arc;

impl SandboxState {
    /// From now on, tokens are signed with `signer` (its certificate is what
    /// `/public/esia.pem` serves).
    pub fn rotate_token_signer(&self, signer: Arc<dyn Signer>) {
        lock(&self.0.rotated).push(signer);
    }

    /// The key tokens are signed with now.
    pub(super) fn token_signer(&self) -> Arc<dyn Signer> {
        lock(&self.0.rotated).last().cloned().unwrap_or_else(|| self.0.signer.clone())
    }

    /// Every certificate the sandbox has signed tokens with.
    pub(super) fn token_certificates(&self) -> Vec<X509> {
        let mut certs = vec![self.0.token_cert.clone()];
        certs.extend(lock(&self.0.rotated).iter().filter_map(|s| X509::from_der(s.certificate_der()).ok()));
        certs
    }

    /// The PEM of the certificate tokens are signed with now.
    pub fn current_certificate_pem(&self) -> anyhow::Result<Vec<u8>> {
        Ok(X509::from_der(self.token_signer().certificate_der())?.to_pem()?)
    }
}
