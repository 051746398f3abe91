//! Signing through an external program (CryptoPro `csptest`/`cryptcp` wrappers,
//! `openssl dgst`, an HSM client): the message goes to stdin, the signature comes
//! from stdout (the raw signature, or a detached CMS with `esia.legacy_v1`), and the
//! program is killed when it overruns its timeout.

use super::{SigAlg, SignError, Signer, load_certificates};
use crate::connector::config::SignerConfig;
use base64::Engine as _;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Runs `command[0] command[1..]` per signature.
#[derive(Debug, Clone)]
pub struct CommandSigner {
    command: Vec<String>,
    timeout: Duration,
    base64_output: bool,
    reverse_bytes: bool,
    cert_der: Vec<u8>,
    alg: SigAlg,
}

impl CommandSigner {
    /// `output`: `raw` or `base64`; `reverse_bytes` for CryptoAPI's little-endian order.
    pub fn new(
        command: Vec<String>,
        timeout: Duration,
        base64_output: bool,
        reverse_bytes: bool,
        cert_der: Vec<u8>,
        alg: SigAlg,
    ) -> Result<Self, SignError> {
        if command.is_empty() {
            return Err(SignError::Key("signer command is empty".into()));
        }
        Ok(Self { command, timeout, base64_output, reverse_bytes, cert_der, alg })
    }

    pub fn from_config(cfg: &SignerConfig) -> Result<Self, SignError> {
        let cert = load_certificates(&cfg.cert_file)?
            .into_iter()
            .next()
            .ok_or_else(|| SignError::Key("no certificate".into()))?;
        let der = cert.to_der().map_err(|e| SignError::Key(super::first_error(&e)))?;
        let alg = match cfg.algorithm.as_str() {
            "RS256" => SigAlg::Rs256,
            _ => SigAlg::Gost2012_256,
        };
        let base64 = match cfg.command_output.as_str() {
            "raw" => false,
            "base64" => true,
            other => return Err(SignError::Key(format!("command_output `{other}`: use raw or base64"))),
        };
        Self::new(
            cfg.command.clone(),
            Duration::from_millis(cfg.command_timeout_ms),
            base64,
            cfg.reverse_bytes,
            der,
            alg,
        )
    }
}

impl Signer for CommandSigner {
    /// The raw signature the command prints, reversed when `reverse_bytes`.
    fn sign(&self, data: &[u8]) -> Result<Vec<u8>, SignError> {
        let mut sig = self.run(data)?;
        if self.reverse_bytes {
            sig.reverse();
        }
        Ok(sig)
    }

    /// With `esia.legacy_v1` the command prints a detached CMS (DER), used as is
    /// (`cryptcp -signf -der -detached`, docs/esia-production.md).
    fn sign_cms_detached(&self, data: &[u8]) -> Result<Vec<u8>, SignError> {
        self.run(data)
    }

    fn certificate_der(&self) -> &[u8] {
        &self.cert_der
    }

    fn algorithm(&self) -> SigAlg {
        self.alg
    }
}

impl CommandSigner {
    /// Runs the command once: `data` on stdin, the decoded stdout back.
    fn run(&self, data: &[u8]) -> Result<Vec<u8>, SignError> {
        let program = &self.command[0];
        let mut child = Command::new(program)
            .args(&self.command[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| SignError::Failed(format!("cannot start `{program}`: {e}")))?;
        let mut stdin = child.stdin.take().ok_or_else(|| SignError::Failed("no stdin".into()))?;
        let input = data.to_vec();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let mut stdout = child.stdout.take().ok_or_else(|| SignError::Failed("no stdout".into()))?;
        // The reader reports when stdout closes, i.e. when the program is done (or killed).
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stdout.by_ref().take(1 << 20).read_to_end(&mut buf);
            let _ = done_tx.send(());
            buf
        });
        let mut stderr = child.stderr.take().ok_or_else(|| SignError::Failed("no stderr".into()))?;
        let err_reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stderr.by_ref().take(4096).read_to_end(&mut buf);
            buf
        });
        if done_rx.recv_timeout(self.timeout).is_err() {
            let _ = child.kill();
            let _ = child.wait();
            return Err(SignError::Timeout(self.timeout.as_millis() as u64));
        }
        let status = child.wait().map_err(|e| SignError::Failed(format!("waiting for `{program}`: {e}")))?;
        let _ = writer.join();
        let out = reader.join().unwrap_or_default();
        let err = err_reader.join().unwrap_or_default();
        if !status.success() {
            let text: String = String::from_utf8_lossy(&err).chars().take(300).collect();
            return Err(SignError::Failed(format!("`{program}` exited with {status}: {}", text.trim())));
        }
        let sig = if self.base64_output {
            let text: String = String::from_utf8_lossy(&out).split_whitespace().collect();
            base64::engine::general_purpose::STANDARD
                .decode(text.as_bytes())
                .map_err(|e| SignError::Failed(format!("`{program}` printed no base64: {e}")))?
        } else {
            out
        };
        if sig.is_empty() {
            return Err(SignError::Failed(format!("`{program}` printed no signature")));
        }
        Ok(sig)
    }
}
