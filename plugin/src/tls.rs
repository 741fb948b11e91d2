//! go-plugin's AutoMTLS: gantry makes a one-run client certificate and hands it to the plugin
//! in `PLUGIN_CLIENT_CERT`; the plugin answers with its own certificate in the handshake line,
//! and that exact certificate is the only one the connection trusts (pinned, not chained to
//! any authority).
//!
//! go-plugin's servers sign with ECDSA P-521, which rustls verifies only through the aws-lc-rs
//! provider (ring has no P-521). Python plugins (the `tf` framework) present 1024-bit RSA
//! certificates, which webpki refuses as too small; the pin makes key size irrelevant (the
//! certificate is not vouched for by anyone, it is compared byte for byte), so RSA handshake
//! signatures are checked with the `rsa` crate, which takes any size.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::sync::Arc;

/// The certificate gantry presents to one plugin process.
pub struct ClientIdentity {
    pub cert_pem: String,
    cert_der: CertificateDer<'static>,
    key_der: Vec<u8>,
}

impl ClientIdentity {
    pub fn generate() -> Result<ClientIdentity, String> {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
            KeyUsagePurpose,
        };
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map_err(|e| format!("generating the plugin client key: {e}"))?;
        let mut params = CertificateParams::new(vec!["localhost".to_string()])
            .map_err(|e| format!("plugin client certificate: {e}"))?;
        params
            .distinguished_name
            .push(DnType::OrganizationName, "gantry");
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        // go-plugin puts this certificate in the server's client-CA pool: it must be a CA
        // certificate allowed to authenticate clients.
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
            KeyUsagePurpose::KeyCertSign,
        ];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ClientAuth,
            ExtendedKeyUsagePurpose::ServerAuth,
        ];
        let cert = params
            .self_signed(&key)
            .map_err(|e| format!("signing the plugin client certificate: {e}"))?;
        Ok(ClientIdentity {
            cert_pem: cert.pem(),
            cert_der: cert.der().clone(),
            key_der: key.serialize_der(),
        })
    }

    /// A TLS client that presents this identity and trusts only `server_der`.
    pub fn client_config(&self, server_der: Vec<u8>) -> Result<rustls::ClientConfig, String> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier = Arc::new(Pinned {
            cert: server_der,
            provider: provider.clone(),
        });
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()));
        let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_client_auth_cert(vec![self.cert_der.clone()], key)
            .map_err(|e| format!("plugin client certificate: {e}"))?;
        cfg.alpn_protocols = vec![b"h2".to_vec()];
        Ok(cfg)
    }
}

/// Whether `sig` is a valid signature of `message` under `key`.
fn check<S, V>(key: V, message: &[u8], sig: &[u8]) -> bool
where
    S: for<'a> TryFrom<&'a [u8]>,
    V: rsa::signature::Verifier<S>,
{
    S::try_from(sig).is_ok_and(|s| key.verify(message, &s).is_ok())
}

#[derive(Debug)]
struct Pinned {
    cert: Vec<u8>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl Pinned {
    fn check_rsa(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        use rsa::pkcs8::DecodePublicKey;
        let bad = |m: &str| rustls::Error::General(format!("plugin certificate: {m}"));
        let ee = webpki::EndEntityCert::try_from(cert).map_err(|e| bad(&e.to_string()))?;
        let spki = ee.subject_public_key_info();
        let key = rsa::RsaPublicKey::from_public_key_der(spki.as_ref())
            .map_err(|e| bad(&e.to_string()))?;
        let sig = dss.signature();
        use rsa::{pkcs1v15, pss};
        use sha2::{Sha256, Sha384, Sha512};
        let ok = match dss.scheme {
            SignatureScheme::RSA_PSS_SHA256 => {
                check::<pss::Signature, _>(pss::VerifyingKey::<Sha256>::new(key), message, sig)
            }
            SignatureScheme::RSA_PSS_SHA384 => {
                check::<pss::Signature, _>(pss::VerifyingKey::<Sha384>::new(key), message, sig)
            }
            SignatureScheme::RSA_PSS_SHA512 => {
                check::<pss::Signature, _>(pss::VerifyingKey::<Sha512>::new(key), message, sig)
            }
            SignatureScheme::RSA_PKCS1_SHA256 => check::<pkcs1v15::Signature, _>(
                pkcs1v15::VerifyingKey::<Sha256>::new(key),
                message,
                sig,
            ),
            SignatureScheme::RSA_PKCS1_SHA384 => check::<pkcs1v15::Signature, _>(
                pkcs1v15::VerifyingKey::<Sha384>::new(key),
                message,
                sig,
            ),
            SignatureScheme::RSA_PKCS1_SHA512 => check::<pkcs1v15::Signature, _>(
                pkcs1v15::VerifyingKey::<Sha512>::new(key),
                message,
                sig,
            ),
            _ => return Err(bad("unsupported signature scheme")),
        };
        if ok {
            Ok(HandshakeSignatureValid::assertion())
        } else {
            Err(bad("handshake signature does not verify"))
        }
    }

    fn is_rsa(scheme: SignatureScheme) -> bool {
        matches!(
            scheme,
            SignatureScheme::RSA_PSS_SHA256
                | SignatureScheme::RSA_PSS_SHA384
                | SignatureScheme::RSA_PSS_SHA512
                | SignatureScheme::RSA_PKCS1_SHA256
                | SignatureScheme::RSA_PKCS1_SHA384
                | SignatureScheme::RSA_PKCS1_SHA512
        )
    }
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.cert.as_slice() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "the plugin presented a certificate other than the one in its handshake".into(),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        if Self::is_rsa(dss.scheme) {
            return self.check_rsa(message, cert, dss);
        }
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        if Self::is_rsa(dss.scheme) {
            return self.check_rsa(message, cert, dss);
        }
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
