//! What the signed assertion says, checked against what is expected. Every value comes from
//! the assertion whose signature was verified (and, for `Destination`, `InResponseTo` and the
//! issuer, also from the unsigned response around it when it states them).
use chrono::{DateTime, Utc};
use roxmltree::Node;
use serde_json::{Map, Value};

use super::super::{check_times, digest, replay_until};
use super::envelope::{ASSERTION, SignedAssertion, child, children};
use super::{Check, Expected, SUBJECT_MAX, Verified, instant};

const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

/// Checks the signed assertion, in the order of [`Check`]'s documentation: issuer, audience,
/// times, `InResponseTo`, recipient, subject; then reads the attribute statement.
pub(super) fn check(
    signed: &SignedAssertion<'_, '_>,
    expected: &Expected<'_>,
) -> Result<Verified, Check> {
    let SignedAssertion {
        response,
        assertion,
        id,
        ..
    } = *signed;

    let issuer = child(assertion, ASSERTION, "Issuer")
        .map(|n| text(n).map_err(|_| Check::Issuer))
        .transpose()?;
    let response_issuer = child(response, ASSERTION, "Issuer")
        .map(|n| text(n).map_err(|_| Check::Issuer))
        .transpose()?;
    if issuer.as_deref().map(str::trim) != Some(expected.issuer)
        || response_issuer.is_some_and(|i| i.trim() != expected.issuer)
    {
        return Err(Check::Issuer);
    }

    let conditions = child(assertion, ASSERTION, "Conditions");
    let mut restrictions = conditions
        .into_iter()
        .flat_map(|c| children(c, ASSERTION, "AudienceRestriction"))
        .peekable();
    if restrictions.peek().is_none() {
        return Err(Check::Audience);
    }
    for restriction in restrictions {
        let audiences = children(restriction, ASSERTION, "Audience");
        if !audiences
            .filter_map(|a| text(a).ok())
            .any(|a| a.trim() == expected.audience)
        {
            return Err(Check::Audience);
        }
    }

    let subject = child(assertion, ASSERTION, "Subject").ok_or(Check::Subject)?;
    let bearers: Vec<Node<'_, '_>> = children(subject, ASSERTION, "SubjectConfirmation")
        .filter(|c| c.attribute("Method") == Some(BEARER))
        .map(|c| child(c, ASSERTION, "SubjectConfirmationData").ok_or(Check::Malformed))
        .collect::<Result<_, _>>()?;
    if bearers.is_empty() {
        return Err(Check::Malformed);
    }
    let issued = instant(assertion, "IssueInstant")?.ok_or(Check::TooOld)?;
    let not_before = conditions
        .map(|c| instant(c, "NotBefore"))
        .transpose()?
        .flatten();
    let mut expiries = vec![
        conditions
            .map(|c| instant(c, "NotOnOrAfter"))
            .transpose()?
            .flatten(),
    ];
    for data in &bearers {
        expiries.push(instant(*data, "NotOnOrAfter")?);
    }
    let expires: Option<DateTime<Utc>> = expiries.into_iter().flatten().min();
    check_times(issued, not_before, expires, expected)?;

    if let Some(nonce) = expected.nonce {
        let answered = |n: Node<'_, '_>| n.attribute("InResponseTo") == Some(nonce);
        if !bearers.iter().all(|d| answered(*d))
            || response
                .attribute("InResponseTo")
                .is_some_and(|r| r != nonce)
        {
            return Err(Check::Nonce);
        }
    }
    if let Some(recipient) = expected.recipient
        && (!bearers
            .iter()
            .all(|d| d.attribute("Recipient") == Some(recipient))
            || response
                .attribute("Destination")
                .is_some_and(|d| d != recipient))
    {
        return Err(Check::Recipient);
    }

    let name_id = child(subject, ASSERTION, "NameID").ok_or(Check::Subject)?;
    let subject = text(name_id).map_err(|_| Check::Subject)?.trim().to_owned();
    if subject.is_empty() || subject.chars().count() > SUBJECT_MAX {
        return Err(Check::Subject);
    }

    let claims = attributes(assertion)?;
    let issuer = expected.issuer;
    Ok(Verified {
        subject,
        claims,
        replay_until: replay_until(expires, issued, expected),
        replay_key: digest(&[b"saml", issuer.as_bytes(), id.as_bytes()]),
    })
}

/// The text of an element made of text only. A comment inside (`user@evil.com<!---->.example.com`:
/// canonicalization drops it, so the signature still verifies) or a child element is refused:
/// reading around it would believe only part of what was signed.
fn text(node: Node<'_, '_>) -> Result<String, ()> {
    let mut text = String::new();
    for part in node.children() {
        if !part.is_text() {
            return Err(());
        }
        text.push_str(part.text().unwrap_or_default());
    }
    Ok(text)
}

/// One claim per `<Attribute Name>` of the assertion's attribute statements: a string when it
/// has one value, a list of strings otherwise.
fn attributes(assertion: Node<'_, '_>) -> Result<Map<String, Value>, Check> {
    let mut named: Vec<(String, Vec<String>)> = Vec::new();
    for statement in children(assertion, ASSERTION, "AttributeStatement") {
        for attribute in children(statement, ASSERTION, "Attribute") {
            let name = attribute.attribute("Name").ok_or(Check::Malformed)?;
            let values = children(attribute, ASSERTION, "AttributeValue")
                .map(|v| text(v).map_err(|_| Check::Malformed))
                .collect::<Result<Vec<_>, _>>()?;
            match named.iter_mut().find(|(n, _)| n == name) {
                Some((_, known)) => known.extend(values),
                None => named.push((name.to_owned(), values)),
            }
        }
    }
    Ok(named
        .into_iter()
        .map(|(name, mut values)| {
            let value = if values.len() == 1 {
                Value::String(values.remove(0))
            } else {
                Value::Array(values.into_iter().map(Value::String).collect())
            };
            (name, value)
        })
        .collect())
}
