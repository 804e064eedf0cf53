//! HTTPS: the certificate and key files (`--tls-cert`, `--tls-key`), read into a rustls
//! [`CertifiedKey`] and served through a resolver that SIGHUP reloads in place: open
//! connections keep the certificate they were made with, new handshakes get the new one, and a
//! pair that fails to load leaves the old one serving.
use std::{
    path::{Path, PathBuf},
    sync::{Arc, PoisonError, RwLock},
};

use chrono::{DateTime, Utc};
use rustls::{
    InconsistentKeys, ServerConfig,
    crypto::CryptoProvider,
    pki_types::{
        CertificateDer, PrivateKeyDer,
        pem::{self, PemObject},
    },
    server::{ClientHello, ResolvesServerCert},
    sign::CertifiedKey,
};
use sha2::{Digest, Sha256};
use tokio_rustls::TlsAcceptor;

/// The two files, as given on the command line or in the environment.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Why a certificate and key pair cannot be served. Every message names the file at fault.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not valid PEM: {reason}", path.display())]
    Pem { path: PathBuf, reason: String },
    #[error("{} holds no certificate (a PEM `CERTIFICATE` section)", path.display())]
    NoCertificate { path: PathBuf },
    #[error(
        "{} holds no private key (a PEM `PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY` section)",
        path.display()
    )]
    NoKey { path: PathBuf },
    #[error("cannot use the private key in {}: {reason}", path.display())]
    Key { path: PathBuf, reason: String },
    #[error(
        "the private key in {} does not match the certificate in {} (the first certificate of the file must be the server's own)",
        key.display(),
        cert.display()
    )]
    Mismatch { cert: PathBuf, key: PathBuf },
    #[error("cannot read the certificate in {}: {reason}", path.display())]
    Certificate { path: PathBuf, reason: String },
}

/// A pair that loaded, with what the log says about it.
pub struct Loaded {
    certified: Arc<CertifiedKey>,
    /// SHA-256 of the server's certificate, as `openssl x509 -fingerprint -sha256` prints it.
    fingerprint: String,
    validity: Option<Validity>,
    chain: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Validity {
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

async fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    tokio::fs::read(path)
        .await
        .map_err(|source| TlsError::Read {
            path: path.to_owned(),
            source,
        })
}

fn pem_error(path: &Path, error: &pem::Error) -> TlsError {
    let reason = match error {
        pem::Error::MissingSectionEnd { end_marker } => format!(
            "a section has no end line `{}`",
            String::from_utf8_lossy(end_marker)
        ),
        pem::Error::IllegalSectionStart { line } => format!(
            "a section starts with a malformed line `{}`",
            String::from_utf8_lossy(line)
        ),
        other => other.to_string(),
    };
    TlsError::Pem {
        path: path.to_owned(),
        reason,
    }
}

/// Reads both files and checks that the key is the certificate's.
pub async fn load(files: &TlsFiles) -> Result<Loaded, TlsError> {
    let cert_pem = read(&files.cert).await?;
    let key_pem = read(&files.key).await?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(&files.cert, &e))?;
    let Some(leaf) = chain.first() else {
        return Err(TlsError::NoCertificate {
            path: files.cert.clone(),
        });
    };
    let fingerprint = fingerprint(leaf);
    let validity = validity(leaf);
    // The first private key of the file, whichever of the three forms.
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| match e {
        pem::Error::NoItemsFound => TlsError::NoKey {
            path: files.key.clone(),
        },
        e => pem_error(&files.key, &e),
    })?;
    let signing_key = provider()
        .key_provider
        .load_private_key(key)
        .map_err(|e| TlsError::Key {
            path: files.key.clone(),
            reason: e.to_string(),
        })?;
    let chain_len = chain.len();
    let certified = CertifiedKey::new(chain, signing_key);
    certified.keys_match().map_err(|e| match e {
        rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch) => TlsError::Mismatch {
            cert: files.cert.clone(),
            key: files.key.clone(),
        },
        // The ring provider derives the public key of every key type it loads, so this is a
        // certificate it cannot parse.
        e => TlsError::Certificate {
            path: files.cert.clone(),
            reason: e.to_string(),
        },
    })?;
    Ok(Loaded {
        certified: Arc::new(certified),
        fingerprint,
        validity,
        chain: chain_len,
    })
}

fn fingerprint(cert: &CertificateDer<'_>) -> String {
    Sha256::digest(cert.as_ref())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

impl Loaded {
    /// Logs which certificate is now served, and warns when it is not valid today: clients
    /// will refuse it, but serving it is the operator's call (a clock may be wrong).
    fn log(&self, files: &TlsFiles, what: &str) {
        let not_after = self.validity.map(|v| v.not_after.to_rfc3339());
        tracing::info!(
            cert = %files.cert.display(),
            key = %files.key.display(),
            sha256 = %self.fingerprint,
            not_after = not_after.as_deref().unwrap_or("unknown"),
            chain = self.chain,
            "{what}"
        );
        let now = Utc::now();
        match self.validity {
            Some(v) if v.not_after < now => tracing::warn!(
                cert = %files.cert.display(),
                not_after = %v.not_after.to_rfc3339(),
                "the TLS certificate has expired; clients will refuse it"
            ),
            Some(v) if v.not_before > now => tracing::warn!(
                cert = %files.cert.display(),
                not_before = %v.not_before.to_rfc3339(),
                "the TLS certificate is not valid yet; clients will refuse it"
            ),
            _ => {}
        }
    }
}

/// Hands every handshake the current certificate.
#[derive(Debug)]
struct Resolver(RwLock<Arc<CertifiedKey>>);

impl Resolver {
    fn current(&self) -> Arc<CertifiedKey> {
        // A panic while holding the lock cannot leave a half-written `Arc`.
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn replace(&self, certified: Arc<CertifiedKey>) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = certified;
    }
}

impl ResolvesServerCert for Resolver {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

/// The served pair and the acceptor that serves it.
#[derive(Clone)]
pub struct Tls {
    files: TlsFiles,
    resolver: Arc<Resolver>,
    acceptor: TlsAcceptor,
}

impl Tls {
    /// Loads the pair (an error stops the start) and builds the server configuration: TLS 1.2
    /// and 1.3, HTTP/2 or HTTP/1.1 by ALPN.
    pub async fn load(files: TlsFiles) -> Result<Self, TlsError> {
        let loaded = load(&files).await?;
        loaded.log(&files, "loaded the TLS certificate");
        let resolver = Arc::new(Resolver(RwLock::new(loaded.certified)));
        let mut config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Key {
                path: files.key.clone(),
                reason: e.to_string(),
            })?
            .with_no_client_auth()
            .with_cert_resolver(resolver.clone());
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Self {
            files,
            resolver,
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }

    pub fn acceptor(&self) -> TlsAcceptor {
        self.acceptor.clone()
    }

    /// Reads both files again; on success new handshakes get the new pair, on failure the
    /// old one stays and the error is logged (and returned).
    pub async fn reload(&self) -> Result<(), TlsError> {
        match load(&self.files).await {
            Ok(loaded) => {
                self.resolver.replace(loaded.certified.clone());
                loaded.log(&self.files, "reloaded the TLS certificate");
                Ok(())
            }
            Err(e) => {
                tracing::error!(
                    error = %e,
                    "cannot reload the TLS certificate; still serving the previous one"
                );
                Err(e)
            }
        }
    }

    /// Reloads on every SIGHUP until the process ends. `hangup` is installed by the caller
    /// before the address is announced: SIGHUP's default action ends the process.
    #[cfg(unix)]
    pub fn reload_on(self, mut hangup: tokio::signal::unix::Signal) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            while hangup.recv().await.is_some() {
                tracing::info!("SIGHUP: reloading the TLS certificate");
                // A failure is logged by `reload`.
                self.reload().await.ok();
            }
        })
    }
}

/// The certificate's validity (RFC 5280 §4.1), for the log: `None` when it cannot be read.
fn validity(cert: &CertificateDer<'_>) -> Option<Validity> {
    let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref()).ok()?;
    let at = |time: x509_parser::time::ASN1Time| DateTime::from_timestamp(time.timestamp(), 0);
    Some(Validity {
        not_before: at(parsed.validity().not_before)?,
        not_after: at(parsed.validity().not_after)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(not_after: (i32, u8, u8)) -> (CertificateDer<'static>, String) {
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params.not_before = rcgen::date_time_ymd(2020, 1, 2);
        params.not_after = rcgen::date_time_ymd(not_after.0, not_after.1, not_after.2);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        (cert.der().clone(), key.serialize_pem())
    }

    #[test]
    fn validity_reads_utc_and_generalized_times() {
        // RFC 5280: UTCTime up to 2049, GeneralizedTime from 2050.
        for (year, month, day) in [(2030, 6, 7), (2051, 12, 31)] {
            let (cert, _) = pair((year, month, day));
            let validity = validity(&cert).unwrap();
            assert_eq!(
                validity.not_before.to_rfc3339(),
                "2020-01-02T00:00:00+00:00"
            );
            assert_eq!(
                validity.not_after.date_naive(),
                chrono::NaiveDate::from_ymd_opt(year, month.into(), day.into()).unwrap()
            );
        }
    }

    #[test]
    fn validity_of_garbage_is_none() {
        for bytes in [
            &b""[..],
            b"\x30",
            b"\x30\x85\0\0\0\0\0",
            b"\x30\x03\x02\x01\x01",
        ] {
            assert_eq!(validity(&CertificateDer::from(bytes.to_vec())), None);
        }
    }

    #[test]
    fn fingerprint_is_colon_separated_upper_hex() {
        let print = fingerprint(&CertificateDer::from(b"abc".to_vec()));
        assert_eq!(print.len(), 32 * 3 - 1);
        assert!(print.starts_with("BA:78:16:BF:"), "{print}");
    }
}
