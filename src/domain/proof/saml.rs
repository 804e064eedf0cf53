//! SAML 2.0 responses: an XML-DSig signed assertion checked against the IdP's certificates.
//!
//! The order of the checks, each answering its own [`Check`]:
//! 1. [`envelope`]: base64 and size ([`Check::Malformed`]); any `<!DOCTYPE`, entity, element or
//!    attribute-list declaration, or processing instruction is refused on the text before a
//!    parser sees it ([`Check::Doctype`]: no entity is ever expanded, no XXE, no billion laughs);
//!    the response must be a `samlp:Response` with a `Success` status carrying exactly one
//!    `saml:Assertion`, as its own child, and every `ID` in the document must be unique
//!    ([`Check::Malformed`]). Encrypted assertions are not supported: a response carrying an
//!    `EncryptedAssertion` is refused as malformed.
//! 2. The assertion must carry its own enveloped `<ds:Signature>`, with one `<Reference>` naming
//!    the assertion's `ID`, only the enveloped-signature and exclusive c14n (without comments)
//!    transforms, SHA-256 digest, RSA-SHA256 or ECDSA-SHA256 signature ([`Check::Signature`]);
//!    then [`adapter`] verifies that very signature with one of the certificates (two during a
//!    rollover). A signature over the response alone is not enough.
//! 3. [`assertion`]: every value is read from the element the signature covers (the one
//!    assertion, found by us, whose unique `ID` the reference names), so a signed assertion
//!    moved elsewhere next to an unsigned one (signature wrapping) is never what is read:
//!    issuer, audience, times, `InResponseTo`, `Recipient`/`Destination`, `NameID` (a comment
//!    inside it is refused, never truncated at), then the attribute statement.
//!
//! Why `xml-sec` (pinned, verification features only): pure Rust (no libxmlsec1, no C
//! toolchain), its verification-only build pulls neither signing, encryption, PKCS#11 nor
//! post-quantum code (`saml-rs` 0.6 pulls ML-DSA/SLH-DSA through `bergshamra` even without its
//! default features, about twice the dependencies); it takes the caller's trusted key (the
//! document's `KeyInfo` is never trusted), an explicit start node (the assertion's `ID`), a
//! transform allow-list, and refuses DTDs on its own. Its attack behaviour is not taken on
//! trust: every rule above is enforced here and tested in `tests`, so the crate only answers
//! "does this signature verify with this key", behind [`adapter`], and can be replaced.
use chrono::{DateTime, Utc};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::{Check, Expected, Verified};

mod adapter;
mod assertion;
mod envelope;
#[cfg(test)]
mod tests;

/// One signing certificate of an identity provider (DER).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certificate(pub Vec<u8>);

/// How many certificates an IdP may hold at once: the current one and the next.
pub const MAX_CERTIFICATES: usize = 2;

/// The longest `NameID` believed, in characters.
pub const SUBJECT_MAX: usize = 1024;

/// The kind of public key a certificate holds, for the signature algorithm it may verify.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum KeyKind {
    Rsa,
    P256,
}

/// A certificate's public key: its `SubjectPublicKeyInfo` (DER) and kind.
struct PublicKey {
    kind: KeyKind,
    spki: Vec<u8>,
}

impl Certificate {
    /// The certificate's public key, when it is an RSA or P-256 key; the error says why not.
    fn public_key(&self) -> Result<PublicKey, String> {
        const RSA: &str = "1.2.840.113549.1.1.1";
        const EC: &str = "1.2.840.10045.2.1";
        const P256: &str = "1.2.840.10045.3.1.7";
        let (rest, certificate) = X509Certificate::from_der(&self.0)
            .map_err(|e| format!("must hold X.509 certificates ({e})"))?;
        if !rest.is_empty() {
            return Err("must hold X.509 certificates (trailing bytes after one)".to_owned());
        }
        let spki = certificate.public_key();
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok())
            .map(|oid| oid.to_id_string());
        let kind = match spki.algorithm.algorithm.to_id_string().as_str() {
            RSA => KeyKind::Rsa,
            EC if curve.as_deref() == Some(P256) => KeyKind::P256,
            other => {
                return Err(format!(
                    "must hold an RSA or ECDSA P-256 key (this one is {other})"
                ));
            }
        };
        Ok(PublicKey {
            kind,
            spki: spki.raw.to_vec(),
        })
    }
}

/// The IdP's signing certificates from PEM text (one or two `CERTIFICATE` blocks, for
/// rollover); the error says what is wrong with them.
pub fn parse_certificates(pem: &str) -> Result<Vec<Certificate>, String> {
    let mut certificates = Vec::new();
    for block in x509_parser::pem::Pem::iter_from_buffer(pem.as_bytes()) {
        let block = block.map_err(|e| format!("must be PEM CERTIFICATE blocks ({e})"))?;
        if block.label != "CERTIFICATE" {
            return Err(format!(
                "must hold CERTIFICATE blocks only, not {} (never a private key)",
                block.label
            ));
        }
        let certificate = Certificate(block.contents);
        certificate.public_key()?;
        certificates.push(certificate);
    }
    match certificates.len() {
        0 => Err("must hold one or two PEM CERTIFICATE blocks".to_owned()),
        n if n > MAX_CERTIFICATES => Err(format!(
            "must hold at most {MAX_CERTIFICATES} certificates (the current one and the next), not {n}"
        )),
        _ => Ok(certificates),
    }
}

/// Verifies a base64 `SAMLResponse` against `certificates`: see the module's documentation for
/// the checks and their order.
pub fn verify(
    response: &str,
    certificates: &[Certificate],
    expected: &Expected<'_>,
) -> Result<Verified, Check> {
    let xml = envelope::decode(response)?;
    let document = envelope::parse(&xml)?;
    let signed = envelope::SignedAssertion::find(&document)?;
    adapter::verify_signature(&xml, signed.id, signed.algorithm, certificates)?;
    assertion::check(&signed, expected)
}

/// An `xs:dateTime` attribute of `node` (SAML requires UTC); absent: `None`.
fn instant(node: roxmltree::Node<'_, '_>, name: &str) -> Result<Option<DateTime<Utc>>, Check> {
    node.attribute(name)
        .map(|value| {
            DateTime::parse_from_rfc3339(value.trim())
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| Check::Malformed)
        })
        .transpose()
}
