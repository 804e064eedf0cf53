//! The one place that knows the XML-DSig crate (`xml-sec`): whether the signature of the
//! element with a given `ID` verifies with one of the IdP's certificates. Everything else (which
//! element that is, which transforms and algorithms, what is read afterwards) is decided by the
//! callers, so replacing the crate means rewriting this file only.
use xml_sec::XmlBackend;
use xml_sec::xmldsig::{
    DsigStatus, KeyTrustEvidence, SignatureAlgorithm, VerificationKey, VerifyContext,
};

use super::envelope::{Algorithm, ENVELOPED, EXCLUSIVE_C14N};
use super::{Certificate, Check, KeyKind};

/// Verifies the first `<ds:Signature>` below the element whose ID is `id` in `xml`, signed with
/// `algorithm`, against each certificate in turn (two during a rollover): one must verify it,
/// with every reference's digest. Only the certificates are trusted, never the document's
/// `KeyInfo`; a certificate whose key cannot make `algorithm` signatures is skipped.
pub(super) fn verify_signature(
    xml: &str,
    id: &str,
    algorithm: Algorithm,
    certificates: &[Certificate],
) -> Result<(), Check> {
    let (wanted, signature_algorithm) = match algorithm {
        Algorithm::RsaSha256 => (KeyKind::Rsa, SignatureAlgorithm::RsaSha256),
        Algorithm::EcdsaSha256 => (KeyKind::P256, SignatureAlgorithm::EcdsaSha256),
    };
    for certificate in certificates {
        let Ok(public) = certificate.public_key() else {
            continue;
        };
        if public.kind != wanted {
            continue;
        }
        let key = VerificationKey {
            algorithm: signature_algorithm,
            public_key_bytes: public.spki,
            // The certificate is trusted as configured: no chain, no validity dates (IdPs
            // sign with long-expired self-signed certificates as a matter of course).
            certificate_der: None,
            name: None,
        };
        let context = VerifyContext::new()
            .key(&key)
            .xml_backend(XmlBackend::Roxmltree)
            .start_node_id(id)
            .allowed_transforms([ENVELOPED, EXCLUSIVE_C14N]);
        let Ok(result) = context.verify(xml) else {
            continue;
        };
        let references_hold = !result.signed_info_references.is_empty()
            && result
                .signed_info_references
                .iter()
                .all(|r| matches!(r.status, DsigStatus::Valid));
        if matches!(result.status, DsigStatus::Valid)
            && matches!(result.key_trust, KeyTrustEvidence::CallerTrusted)
            && references_hold
        {
            return Ok(());
        }
    }
    Err(Check::Signature)
}
