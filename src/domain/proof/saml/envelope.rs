//! From the posted base64 to the one signed assertion: decoding, the refusal of DTDs and
//! processing instructions, the response's shape, and the shape of the assertion's signature.
use std::collections::HashSet;

use base64::Engine;
use roxmltree::{Document, Node, NodeType, ParsingOptions};

use super::super::PROOF_MAX;
use super::Check;

pub(super) const PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
pub(super) const ASSERTION: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
pub(super) const EXCLUSIVE_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
pub(super) const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";

/// The most nodes a response may have: a large attribute statement stays far below.
const NODES_MAX: u32 = 20_000;

/// The signature algorithms accepted on an assertion.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Algorithm {
    RsaSha256,
    EcdsaSha256,
}

/// The posted response as XML text: base64 (line breaks and spaces ignored), within
/// [`PROOF_MAX`], UTF-8, without DTD or processing instruction.
pub(super) fn decode(response: &str) -> Result<String, Check> {
    if response.len() > PROOF_MAX {
        return Err(Check::Malformed);
    }
    let compact: Vec<u8> = response
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| Check::Malformed)?;
    let xml = String::from_utf8(bytes).map_err(|_| Check::Malformed)?;
    refuse_declarations(&xml)?;
    Ok(xml)
}

/// Refuses, on the text itself and before any parser, what could make a parser expand or
/// fetch anything: a document type (and with it entity declarations) or a processing
/// instruction other than the XML declaration. Conservative: the same text inside a comment
/// or a CDATA section is refused too; no IdP sends either there.
fn refuse_declarations(xml: &str) -> Result<(), Check> {
    let body = xml.strip_prefix('\u{feff}').unwrap_or(xml);
    let body = match body.strip_prefix("<?xml") {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_whitespace()) => {
            let end = rest.find("?>").ok_or(Check::Malformed)?;
            &rest[end + 2..]
        }
        _ => body,
    };
    let lower = body.to_ascii_lowercase();
    let declarations = [
        "<!doctype",
        "<!entity",
        "<!element",
        "<!attlist",
        "<!notation",
        "<?",
    ];
    if declarations.iter().any(|d| lower.contains(d)) {
        return Err(Check::Doctype);
    }
    Ok(())
}

/// Parses the XML: DTDs refused (again), a node budget, no processing instruction.
pub(super) fn parse(xml: &str) -> Result<Document<'_>, Check> {
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: NODES_MAX,
        ..ParsingOptions::default()
    };
    let document = Document::parse_with_options(xml, options).map_err(|e| match e {
        roxmltree::Error::DtdDetected => Check::Doctype,
        _ => Check::Malformed,
    })?;
    if document
        .descendants()
        .any(|n| n.node_type() == NodeType::PI)
    {
        return Err(Check::Doctype);
    }
    Ok(document)
}

/// Whether `node` is the element `name` of namespace `namespace`.
pub(super) fn is(node: Node<'_, '_>, namespace: &str, name: &str) -> bool {
    node.is_element()
        && node.tag_name().namespace() == Some(namespace)
        && node.tag_name().name() == name
}

/// The first child element `name` of namespace `namespace`.
pub(super) fn child<'a, 'input>(
    node: Node<'a, 'input>,
    namespace: &str,
    name: &str,
) -> Option<Node<'a, 'input>> {
    node.children().find(|n| is(*n, namespace, name))
}

/// The child elements `name` of namespace `namespace`.
pub(super) fn children<'a, 'input>(
    node: Node<'a, 'input>,
    namespace: &'static str,
    name: &'static str,
) -> impl Iterator<Item = Node<'a, 'input>> {
    node.children().filter(move |n| is(*n, namespace, name))
}

/// The response's one assertion, whose own signature is to be verified.
pub(super) struct SignedAssertion<'a, 'input> {
    pub response: Node<'a, 'input>,
    pub assertion: Node<'a, 'input>,
    /// The assertion's `ID`, unique in the document, named by its signature's reference.
    pub id: &'a str,
    pub algorithm: Algorithm,
}

impl<'a, 'input> SignedAssertion<'a, 'input> {
    /// The one assertion of a successful response, and the shape of its signature.
    pub(super) fn find(document: &'a Document<'input>) -> Result<Self, Check> {
        let response = document.root_element();
        if !is(response, PROTOCOL, "Response") {
            return Err(Check::Malformed);
        }
        let status = child(response, PROTOCOL, "Status")
            .and_then(|s| child(s, PROTOCOL, "StatusCode"))
            .and_then(|c| c.attribute("Value"));
        if status != Some(SUCCESS) {
            return Err(Check::Malformed);
        }
        if document
            .descendants()
            .any(|n| is(n, ASSERTION, "EncryptedAssertion"))
        {
            return Err(Check::Malformed);
        }
        // Every assertion of the document counts, wherever it hides (Extensions, an
        // Object, another assertion's Advice): exactly one, the response's own child.
        let mut assertions = document
            .descendants()
            .filter(|n| is(*n, ASSERTION, "Assertion"));
        let (Some(assertion), None) = (assertions.next(), assertions.next()) else {
            return Err(Check::Malformed);
        };
        if assertion.parent() != Some(response) {
            return Err(Check::Malformed);
        }
        unique_ids(document)?;
        let id = assertion.attribute("ID").ok_or(Check::Malformed)?;
        let algorithm = signature_shape(assertion, id)?;
        Ok(Self {
            response,
            assertion,
            id,
            algorithm,
        })
    }
}

/// No two elements share an ID (`ID`, `Id`, `id`, `xml:id`: what XML-DSig implementations
/// resolve a reference with), so the reference names one element only.
fn unique_ids(document: &Document<'_>) -> Result<(), Check> {
    let mut seen = HashSet::new();
    for node in document.descendants().filter(|n| n.is_element()) {
        for attribute in node.attributes() {
            if matches!(attribute.name(), "ID" | "Id" | "id") && !seen.insert(attribute.value()) {
                return Err(Check::Malformed);
            }
        }
    }
    Ok(())
}

/// The assertion's own enveloped signature: exactly one `Signature` inside the assertion, its
/// child, with exclusive c14n, one reference to `#id` with only the enveloped-signature and
/// exclusive c14n transforms and a SHA-256 digest, and an allowed signature algorithm.
fn signature_shape(assertion: Node<'_, '_>, id: &str) -> Result<Algorithm, Check> {
    let mut signatures = assertion
        .descendants()
        .filter(|n| is(*n, DSIG, "Signature"));
    let (Some(signature), None) = (signatures.next(), signatures.next()) else {
        return Err(Check::Signature);
    };
    if signature.parent() != Some(assertion) {
        return Err(Check::Signature);
    }
    let signed_info = child(signature, DSIG, "SignedInfo").ok_or(Check::Signature)?;
    let algorithm_of =
        |name: &'static str| child(signed_info, DSIG, name).and_then(|n| n.attribute("Algorithm"));
    if algorithm_of("CanonicalizationMethod") != Some(EXCLUSIVE_C14N) {
        return Err(Check::Signature);
    }
    let algorithm = match algorithm_of("SignatureMethod") {
        Some(RSA_SHA256) => Algorithm::RsaSha256,
        Some(ECDSA_SHA256) => Algorithm::EcdsaSha256,
        _ => return Err(Check::Signature),
    };
    let mut references = children(signed_info, DSIG, "Reference");
    let (Some(reference), None) = (references.next(), references.next()) else {
        return Err(Check::Signature);
    };
    if reference.attribute("URI") != Some(format!("#{id}").as_str()) {
        return Err(Check::Signature);
    }
    let transforms = child(reference, DSIG, "Transforms").ok_or(Check::Signature)?;
    let mut enveloped = false;
    for transform in transforms.children().filter(|n| n.is_element()) {
        if !is(transform, DSIG, "Transform") {
            return Err(Check::Signature);
        }
        match transform.attribute("Algorithm") {
            Some(ENVELOPED) => enveloped = true,
            Some(EXCLUSIVE_C14N) => {}
            _ => return Err(Check::Signature),
        }
    }
    let digest = child(reference, DSIG, "DigestMethod").and_then(|n| n.attribute("Algorithm"));
    if !enveloped || digest != Some(SHA256) {
        return Err(Check::Signature);
    }
    Ok(algorithm)
}
