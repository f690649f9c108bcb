//! rustls client configurations with libpq's three levels of certificate checking.
//!
//! rustls's stock verifier always checks the chain and the name, which is only libpq's
//! `verify-full`; `require` (no check) and `verify-ca` (chain only) need the custom
//! verifier below. The ring provider is always passed explicitly, so a second provider
//! appearing in the dependency tree cannot make rustls panic.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_cert_signed_by_trust_anchor, verify_server_name};
use rustls::crypto::{WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::params::{ClientCert, RootCert, Verification};

/// A certificate or key file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("could not read {what} {}: {message}: fix the file or point {setting} elsewhere", path.display())]
    Read {
        what: &'static str,
        setting: &'static str,
        path: PathBuf,
        message: String,
    },
    #[error("{what} {} holds no usable certificate: it must contain PEM \"BEGIN CERTIFICATE\" blocks", path.display())]
    NoCertificate { what: &'static str, path: PathBuf },
    #[error(
        "the OS trust store (sslrootcert=system) has no usable certificates{details}: install the CA bundle or give sslrootcert a file"
    )]
    NoSystemRoots { details: String },
    #[error("client certificate {} does not go with key {}: {source}", cert.display(), key.display())]
    ClientKey {
        cert: PathBuf,
        key: PathBuf,
        source: rustls::Error,
    },
}

/// A connector that checks the server's certificate as `verification` says, trusting
/// `root`, and presents `client` when given.
pub(crate) fn connector(
    verification: Verification,
    root: Option<&RootCert>,
    client: Option<&ClientCert>,
) -> Result<MakeRustlsConnect, TlsSetupError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let trust = match (verification, root) {
        (Verification::None, _) => None,
        (v, Some(root)) => Some(Trust::load(root, v == Verification::Full)?),
        (_, None) => unreachable!("resolve refuses certificate checks without a root certificate"),
    };
    let verifier = PgVerifier {
        algorithms: provider.signature_verification_algorithms,
        trust,
    };
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports TLS 1.2 and 1.3")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    let config = match client {
        None => builder.with_no_client_auth(),
        Some(ClientCert { cert, key }) => {
            let chain = read_certs(cert, "client certificate", "sslcert")?;
            let secret = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsSetupError::Read {
                what: "client key",
                setting: "sslkey",
                path: key.clone(),
                message: e.to_string(),
            })?;
            builder
                .with_client_auth_cert(chain, secret)
                .map_err(|source| TlsSetupError::ClientKey {
                    cert: cert.clone(),
                    key: key.clone(),
                    source,
                })?
        }
    };
    Ok(MakeRustlsConnect::new(config))
}

fn read_certs(
    path: &Path,
    what: &'static str,
    setting: &'static str,
) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let read_error = |e: rustls::pki_types::pem::Error| TlsSetupError::Read {
        what,
        setting,
        path: path.to_owned(),
        message: e.to_string(),
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(read_error)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(read_error)?;
    if certs.is_empty() {
        return Err(TlsSetupError::NoCertificate {
            what,
            path: path.to_owned(),
        });
    }
    Ok(certs)
}

#[derive(Debug)]
struct Trust {
    roots: RootCertStore,
    /// The root file's own certificates, accepted as the server's certificate as they are.
    pinned: Vec<CertificateDer<'static>>,
    check_name: bool,
}

impl Trust {
    fn load(root: &RootCert, check_name: bool) -> Result<Trust, TlsSetupError> {
        let mut roots = RootCertStore::empty();
        let pinned = match root {
            RootCert::File(path) => {
                let certs = read_certs(path, "root certificate file", "sslrootcert")?;
                let (added, _) = roots.add_parsable_certificates(certs.iter().cloned());
                if added == 0 {
                    return Err(TlsSetupError::NoCertificate {
                        what: "root certificate file",
                        path: path.clone(),
                    });
                }
                certs
            }
            RootCert::System => {
                let found = rustls_native_certs::load_native_certs();
                roots.add_parsable_certificates(found.certs);
                if roots.is_empty() {
                    let details = found
                        .errors
                        .iter()
                        .map(|e| format!(" ({e})"))
                        .collect::<String>();
                    return Err(TlsSetupError::NoSystemRoots { details });
                }
                Vec::new()
            }
        };
        Ok(Trust {
            roots,
            pinned,
            check_name,
        })
    }
}

#[derive(Debug)]
struct PgVerifier {
    algorithms: WebPkiSupportedAlgorithms,
    /// `None` accepts any certificate (libpq's `require`); the handshake signatures are
    /// still checked, so the peer must hold the certificate's key.
    trust: Option<Trust>,
}

impl ServerCertVerifier for PgVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(trust) = &self.trust else {
            return Ok(ServerCertVerified::assertion());
        };
        let cert = ParsedCertificate::try_from(end_entity)?;
        // webpki refuses a self-signed CA:TRUE certificate as the server's own even when it
        // is the configured root; libpq (OpenSSL) accepts it, and so do we, by exact match.
        if !trust
            .pinned
            .iter()
            .any(|p| p.as_ref() == end_entity.as_ref())
        {
            verify_server_cert_signed_by_trust_anchor(
                &cert,
                &trust.roots,
                intermediates,
                now,
                self.algorithms.all,
            )?;
        }
        if trust.check_name {
            verify_server_name(&cert, server_name)?;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
