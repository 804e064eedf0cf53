//! The attack matrix, offline: a P-256 key and a self-signed certificate generated here, and
//! assertions signed with the crate's own signer over templates these tests control.
use base64::Engine;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::json;
use xml_sec::c14n::{C14nAlgorithm, C14nMode};
use xml_sec::xmldsig::{
    DigestAlgorithm, EcdsaP256SigningKey, ReferenceBuilder, SignContext, SignatureAlgorithm,
    SignatureBuilder, Transform,
};

use super::super::{PROOF_MAX, digest};
use super::*;

const SIGNATURE: &str = "<!--SIGNATURE-->";

/// An identity provider: its key and its certificate (PEM).
struct Idp {
    key: EcdsaP256SigningKey,
    pem: String,
}

impl Idp {
    fn new() -> Self {
        let key = rcgen::KeyPair::generate().unwrap();
        let certificate = rcgen::CertificateParams::new(vec!["idp.example".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        Self {
            key: EcdsaP256SigningKey::from_pkcs8_der(&key.serialize_der()).unwrap(),
            pem: certificate.pem(),
        }
    }

    fn certificates(&self) -> Vec<Certificate> {
        parse_certificates(&self.pem).unwrap()
    }

    /// Fills the signature template at [`SIGNATURE`] over the element `#id`.
    fn sign(&self, xml: &str, id: &str) -> String {
        let c14n = C14nAlgorithm::new(C14nMode::Exclusive1_0, false);
        let template = SignatureBuilder::new(c14n.clone(), SignatureAlgorithm::EcdsaSha256)
            .add_reference(
                ReferenceBuilder::new(DigestAlgorithm::Sha256)
                    .uri(format!("#{id}"))
                    .transform(Transform::Enveloped)
                    .transform(Transform::C14n(c14n)),
            )
            .build_template()
            .unwrap();
        SignContext::new(&self.key)
            .sign_template(&xml.replacen(SIGNATURE, &template, 1))
            .unwrap()
    }
}

/// What the assertion says; each test changes one thing.
#[derive(Clone)]
struct Assertion {
    id: String,
    issuer: String,
    audience: String,
    subject: String,
    issued: DateTime<Utc>,
    not_before: DateTime<Utc>,
    expires: DateTime<Utc>,
    in_response_to: String,
    recipient: String,
    attributes: String,
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl Assertion {
    fn new(now: DateTime<Utc>) -> Self {
        Self {
            id: "_a1".to_owned(),
            issuer: "https://idp.example".to_owned(),
            audience: "https://portal.example/sp".to_owned(),
            subject: "ada@example.com".to_owned(),
            issued: now - Duration::seconds(5),
            not_before: now - Duration::seconds(5),
            expires: now + Duration::seconds(300),
            in_response_to: "_req1".to_owned(),
            recipient: "https://autoprov.example/acs".to_owned(),
            attributes: r#"<saml:Attribute Name="email"><saml:AttributeValue>ada@example.com</saml:AttributeValue></saml:Attribute><saml:Attribute Name="groups"><saml:AttributeValue>staff</saml:AttributeValue><saml:AttributeValue>admins</saml:AttributeValue></saml:Attribute>"#.to_owned(),
        }
    }

    /// The assertion's XML with the signature placeholder after its issuer.
    fn xml(&self) -> String {
        format!(
            r#"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{id}" Version="2.0" IssueInstant="{issued}"><saml:Issuer>{issuer}</saml:Issuer>{SIGNATURE}<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">{subject}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData InResponseTo="{irt}" NotOnOrAfter="{expires}" Recipient="{recipient}"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="{nbf}" NotOnOrAfter="{expires}"><saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="{issued}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement>{attributes}</saml:AttributeStatement></saml:Assertion>"#,
            id = self.id,
            issued = iso(self.issued),
            issuer = self.issuer,
            subject = self.subject,
            irt = self.in_response_to,
            expires = iso(self.expires),
            recipient = self.recipient,
            nbf = iso(self.not_before),
            audience = self.audience,
            attributes = self.attributes,
        )
    }
}

/// A response around `inner` (assertions, extensions), as the IdP would send it.
fn response(inner: &str, issued: DateTime<Utc>) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1" Version="2.0" IssueInstant="{}" Destination="https://autoprov.example/acs" InResponseTo="_req1"><saml:Issuer>https://idp.example</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>{inner}</samlp:Response>"#,
        iso(issued)
    )
}

fn b64(xml: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(xml)
}

fn expected(now: DateTime<Utc>) -> Expected<'static> {
    Expected {
        issuer: "https://idp.example",
        audience: "https://portal.example/sp",
        now,
        skew: Duration::seconds(60),
        max_age: Duration::seconds(600),
        nonce: Some("_req1"),
        recipient: Some("https://autoprov.example/acs"),
    }
}

/// The signed response carrying `assertion`, base64.
fn signed(idp: &Idp, assertion: &Assertion) -> String {
    let xml = response(&assertion.xml(), assertion.issued);
    b64(&idp.sign(&xml, &assertion.id))
}

struct Case {
    idp: Idp,
    now: DateTime<Utc>,
}

impl Case {
    fn new() -> Self {
        Self {
            idp: Idp::new(),
            // Whole seconds, as the assertion's instants are written.
            now: DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap(),
        }
    }

    fn verify(&self, response: &str) -> Result<Verified, Check> {
        verify(response, &self.idp.certificates(), &expected(self.now))
    }

    /// The answer for the default assertion changed by `change`.
    fn answer(&self, change: impl FnOnce(&mut Assertion)) -> Result<Verified, Check> {
        let mut assertion = Assertion::new(self.now);
        change(&mut assertion);
        self.verify(&signed(&self.idp, &assertion))
    }
}

#[test]
fn a_valid_response_gives_the_subject_and_the_attributes() {
    let case = Case::new();
    let verified = case.answer(|_| {}).unwrap();
    assert_eq!(verified.subject, "ada@example.com");
    assert_eq!(
        serde_json::Value::Object(verified.claims),
        json!({"email": "ada@example.com", "groups": ["staff", "admins"]})
    );
    assert_eq!(
        verified.replay_key,
        digest(&[b"saml".as_slice(), b"https://idp.example", b"_a1"])
    );
    // The earlier of expiry (now+300) and issue + max_age (now-5+600), plus skew.
    assert_eq!(
        verified.replay_until,
        case.now + Duration::seconds(300) + Duration::seconds(60)
    );
}

#[test]
fn the_same_assertion_twice_gives_the_same_replay_key() {
    let case = Case::new();
    let assertion = Assertion::new(case.now);
    let first = case.verify(&signed(&case.idp, &assertion)).unwrap();
    // Signed again (another ECDSA signature), wrapped in base64 lines: the same proof.
    let again = signed(&case.idp, &assertion);
    let wrapped: String = again
        .as_bytes()
        .chunks(76)
        .map(|l| format!("{}\r\n", std::str::from_utf8(l).unwrap()))
        .collect();
    let second = case.verify(&wrapped).unwrap();
    assert_eq!(first.replay_key, second.replay_key);
}

#[test]
fn either_certificate_of_a_rollover_verifies() {
    let case = Case::new();
    let next = Idp::new();
    let both = parse_certificates(&format!("{}{}", case.idp.pem, next.pem)).unwrap();
    assert_eq!(both.len(), 2);
    let assertion = Assertion::new(case.now);
    for idp in [&case.idp, &next] {
        let answer = verify(&signed(idp, &assertion), &both, &expected(case.now));
        assert!(answer.is_ok(), "{answer:?}");
    }
}

#[test]
fn an_unsigned_assertion_is_refused() {
    let case = Case::new();
    let assertion = Assertion::new(case.now);
    let xml = response(&assertion.xml().replace(SIGNATURE, ""), case.now);
    assert_eq!(case.verify(&b64(&xml)), Err(Check::Signature));
}

#[test]
fn a_signature_by_another_key_is_refused() {
    let case = Case::new();
    let other = Idp::new();
    let response = signed(&other, &Assertion::new(case.now));
    assert_eq!(case.verify(&response), Err(Check::Signature));
}

#[test]
fn a_value_changed_after_signing_is_refused() {
    let case = Case::new();
    let xml = case
        .idp
        .sign(&response(&Assertion::new(case.now).xml(), case.now), "_a1");
    let tampered = xml.replacen(">staff<", ">root<", 1);
    assert_ne!(tampered, xml);
    assert_eq!(case.verify(&b64(&tampered)), Err(Check::Signature));
}

#[test]
fn a_response_signature_alone_is_not_enough() {
    let case = Case::new();
    let assertion = Assertion::new(case.now);
    let xml = response(&assertion.xml().replace(SIGNATURE, ""), case.now).replacen(
        "</saml:Issuer>",
        &format!("</saml:Issuer>{SIGNATURE}"),
        1,
    );
    let whole = case.idp.sign(&xml, "_r1");
    assert_eq!(case.verify(&b64(&whole)), Err(Check::Signature));
}

#[test]
fn a_wrapped_signed_assertion_is_never_read() {
    let case = Case::new();
    let genuine = Assertion::new(case.now);
    let signed_xml = case.idp.sign(&response(&genuine.xml(), case.now), "_a1");
    let start = signed_xml.find("<saml:Assertion").unwrap();
    let end = signed_xml.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
    let signed_assertion = &signed_xml[start..end];
    let mut evil = Assertion::new(case.now);
    evil.id = "_evil".to_owned();
    evil.subject = "admin@example.com".to_owned();
    let evil = evil.xml().replace(SIGNATURE, "");
    // The signed assertion hidden in Extensions, then in the unsigned one's Advice, then in
    // its place with the same ID as the unsigned one: the unsigned one is never believed.
    let hidden = [
        response(&evil, case.now).replacen(
            "<samlp:Status>",
            &format!("<samlp:Extensions>{signed_assertion}</samlp:Extensions><samlp:Status>"),
            1,
        ),
        response(
            &evil.replacen(
                "<saml:Conditions",
                &format!("<saml:Advice>{signed_assertion}</saml:Advice><saml:Conditions"),
                1,
            ),
            case.now,
        ),
        response(
            &format!("{}{signed_assertion}", evil.replace("_evil", "_a1")),
            case.now,
        ),
        response(&format!("{evil}{signed_assertion}"), case.now),
    ];
    for xml in hidden {
        let answer = case.verify(&b64(&xml));
        assert_eq!(answer, Err(Check::Malformed), "{xml}");
    }
    // The crate alone, asked about the genuine ID in the first of them, says it verifies:
    // which element is read is ours to decide.
    let certificates = case.idp.certificates();
    let probe = response(&evil, case.now).replacen(
        "<samlp:Status>",
        &format!("<samlp:Extensions>{signed_assertion}</samlp:Extensions><samlp:Status>"),
        1,
    );
    assert_eq!(
        adapter::verify_signature(
            &probe,
            "_a1",
            envelope::Algorithm::EcdsaSha256,
            &certificates
        ),
        Ok(())
    );
}

#[test]
fn a_comment_inside_the_name_id_is_refused() {
    let case = Case::new();
    let answer = case.answer(|a| a.subject = "user@evil.com<!---->.example.com".to_owned());
    assert_eq!(answer, Err(Check::Subject));
    for subject in ["", "   ", &"x".repeat(SUBJECT_MAX + 1)] {
        let answer = case.answer(|a| a.subject = subject.to_owned());
        assert_eq!(answer, Err(Check::Subject), "{subject:?}");
    }
    let answer = case.answer(|a| {
        a.attributes =
            r#"<saml:Attribute Name="email"><saml:AttributeValue>a@evil.com<!---->.example.com</saml:AttributeValue></saml:Attribute>"#.to_owned()
    });
    assert_eq!(answer, Err(Check::Malformed));
}

#[test]
fn a_doctype_or_a_processing_instruction_is_refused_before_parsing() {
    let case = Case::new();
    let xml = case
        .idp
        .sign(&response(&Assertion::new(case.now).xml(), case.now), "_a1");
    let body = xml.trim_start_matches(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let attacks = [
        format!(r#"<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>{body}"#),
        format!(
            r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>{}"#,
            body.replacen("ada@example.com<", "&b;<", 1)
        ),
        format!(r#"<?xml-stylesheet href="x"?>{body}"#),
        body.replacen("<saml:Subject>", "<saml:Subject><?pi x?>", 1),
    ];
    for attack in attacks {
        assert_eq!(case.verify(&b64(&attack)), Err(Check::Doctype), "{attack}");
    }
}

#[test]
fn times_are_checked_with_the_skew() {
    let case = Case::new();
    let s = Duration::seconds;
    let now = case.now;
    let answer = case.answer(|a| a.expires = now - s(61));
    assert_eq!(answer, Err(Check::Expired));
    let answer = case.answer(|a| a.not_before = now + s(61));
    assert_eq!(answer, Err(Check::NotYetValid));
    let answer = case.answer(|a| {
        a.issued = now - s(700);
        a.not_before = now - s(700);
    });
    assert_eq!(answer, Err(Check::TooOld));
    assert!(case.answer(|a| a.expires = now - s(30)).is_ok());
}

#[test]
fn issuer_audience_nonce_and_recipient_must_be_the_expected_ones() {
    let case = Case::new();
    let answer = case.answer(|a| a.issuer = "https://other.example".to_owned());
    assert_eq!(answer, Err(Check::Issuer));
    let answer = case.answer(|a| a.audience = "https://other.example/sp".to_owned());
    assert_eq!(answer, Err(Check::Audience));
    let answer = case.answer(|a| a.in_response_to = "_req2".to_owned());
    assert_eq!(answer, Err(Check::Nonce));
    let answer = case.answer(|a| a.recipient = "https://evil.example/acs".to_owned());
    assert_eq!(answer, Err(Check::Recipient));
    // Without a nonce or recipient to expect, neither is checked.
    let assertion = Assertion {
        in_response_to: "_req2".to_owned(),
        recipient: "https://other.example/acs".to_owned(),
        ..Assertion::new(case.now)
    };
    let lenient = Expected {
        nonce: None,
        recipient: None,
        ..expected(case.now)
    };
    let answer = verify(
        &signed(&case.idp, &assertion),
        &case.idp.certificates(),
        &lenient,
    );
    assert!(answer.is_ok(), "{answer:?}");
}

#[test]
fn malformed_responses_are_refused() {
    let case = Case::new();
    assert_eq!(case.verify("not base64 at all!"), Err(Check::Malformed));
    assert_eq!(case.verify(&b64("<not-xml")), Err(Check::Malformed));
    assert_eq!(
        case.verify(&"A".repeat(PROOF_MAX + 4)),
        Err(Check::Malformed)
    );
    let xml = case
        .idp
        .sign(&response(&Assertion::new(case.now).xml(), case.now), "_a1");
    let failed = xml.replace("status:Success", "status:Requester");
    assert_eq!(case.verify(&b64(&failed)), Err(Check::Malformed));
    let none = response("", case.now);
    assert_eq!(case.verify(&b64(&none)), Err(Check::Malformed));
    let encrypted = response(
        r#"<saml:EncryptedAssertion><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#"/></saml:EncryptedAssertion>"#,
        case.now,
    );
    assert_eq!(case.verify(&b64(&encrypted)), Err(Check::Malformed));
}

#[test]
fn certificates_are_one_or_two_certificate_blocks() {
    let idp = Idp::new();
    assert_eq!(parse_certificates(&idp.pem).unwrap().len(), 1);
    let three = format!("{0}{0}{0}", idp.pem);
    assert!(
        parse_certificates(&three)
            .unwrap_err()
            .contains("at most 2")
    );
    assert!(parse_certificates("").is_err());
    assert!(parse_certificates("garbage").is_err());
    let key = rcgen::KeyPair::generate().unwrap().serialize_pem();
    assert!(
        parse_certificates(&key)
            .unwrap_err()
            .contains("PRIVATE KEY")
    );
    let broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    assert!(parse_certificates(broken).is_err());
}
