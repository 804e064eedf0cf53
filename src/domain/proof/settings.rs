//! Validation of what an identity provider and a configuration store for signed proofs: each
//! check names the input field it refuses.
use super::{oidc, saml};
use crate::{
    domain::validate::{ISSUER_MAX, required_text},
    error::{ErrorCode, FieldError},
};

/// The most a stored JWKS or certificate text may weigh (bytes).
pub const KEY_TEXT_MAX: usize = 64 * 1024;
/// The clock skew an identity provider may be allowed, in seconds.
pub const SKEW_RANGE: std::ops::RangeInclusive<i32> = 0..=600;
/// The ages a proof may be allowed to reach, in seconds.
pub const MAX_AGE_RANGE: std::ops::RangeInclusive<i32> = 1..=86_400;

fn invalid(label: &str, message: impl Into<String>, value: &str) -> FieldError {
    let shown: String = value.chars().take(200).collect();
    FieldError::new(label, ErrorCode::Invalid, message, Some(&shown))
}

fn weighed(label: &str, raw: &str) -> Result<(), FieldError> {
    if raw.len() > KEY_TEXT_MAX {
        return Err(FieldError::new(
            label,
            ErrorCode::TooLong,
            format!("must be at most {KEY_TEXT_MAX} bytes (got {})", raw.len()),
            None,
        ));
    }
    Ok(())
}

/// A JWKS document: stored as sent once it parses and holds at least one key.
pub fn jwks(label: &str, raw: &str) -> Result<String, FieldError> {
    weighed(label, raw)?;
    let set = oidc::parse_jwks(raw).map_err(|e| invalid(label, e, raw))?;
    if set.keys.is_empty() {
        return Err(invalid(label, "must hold at least one key", raw));
    }
    // A key no algorithm could use would be stored and then fail every token it signed.
    oidc::check_keys(&set).map_err(|e| invalid(label, e, raw))?;
    Ok(raw.to_owned())
}

/// Where a JWKS is published: an `https://` URL, or `http://` on a loopback host (a local
/// proxy, development, tests), where no network is crossed.
pub fn jwks_url(label: &str, raw: &str) -> Result<String, FieldError> {
    let url = required_text(label, raw, ISSUER_MAX)?;
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(invalid(label, "must be an https:// URL", raw));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let hostname = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.split(':').next().unwrap_or_default(),
    };
    let loopback = hostname == "localhost"
        || hostname
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match scheme.to_ascii_lowercase().as_str() {
        _ if hostname.is_empty() => Err(invalid(label, "must name a host", raw)),
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        _ => Err(invalid(
            label,
            "must be an https:// URL (http:// only on a loopback host)",
            raw,
        )),
    }
}

/// PEM signing certificates (one or two).
pub fn signing_certificates(label: &str, raw: &str) -> Result<String, FieldError> {
    weighed(label, raw)?;
    saml::parse_certificates(raw).map_err(|e| invalid(label, e, raw))?;
    Ok(raw.trim().to_owned())
}

/// The algorithms an IdP may sign with, stored comma-separated: known names only, no
/// duplicates, at least one.
pub fn allowed_algorithms(label: &str, names: &[String]) -> Result<String, FieldError> {
    if names.is_empty() {
        return Err(FieldError::new(
            label,
            ErrorCode::Blank,
            "must name at least one algorithm",
            None,
        ));
    }
    for (i, name) in names.iter().enumerate() {
        if !oidc::ALGORITHMS.contains(&name.as_str()) {
            return Err(invalid(
                &format!("{label}[{i}]"),
                format!(
                    "is not an allowed algorithm (one of {}; `none` and HMAC never are)",
                    oidc::ALGORITHMS.join(", ")
                ),
                name,
            ));
        }
        if names[..i].contains(name) {
            return Err(invalid(&format!("{label}[{i}]"), "is listed twice", name));
        }
    }
    Ok(names.join(","))
}

/// The stored list as names.
pub fn algorithm_names(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Seconds within `range`.
pub fn seconds(
    label: &str,
    value: i32,
    range: std::ops::RangeInclusive<i32>,
) -> Result<i32, FieldError> {
    if range.contains(&value) {
        return Ok(value);
    }
    Err(invalid(
        label,
        format!(
            "must be between {} and {} seconds",
            range.start(),
            range.end()
        ),
        &value.to_string(),
    ))
}

/// An audience (OIDC client ID, SAML SP entity ID) or a SAML recipient URL.
pub fn audience(label: &str, raw: &str) -> Result<String, FieldError> {
    required_text(label, raw, ISSUER_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwks_urls_are_https_or_loopback_http() {
        let cases = [
            ("https://idp.example/.well-known/jwks.json", true),
            ("HTTPS://idp.example/keys", true),
            ("http://127.0.0.1:8080/jwks", true),
            ("http://localhost/jwks", true),
            ("http://[::1]:9000/jwks", true),
            ("http://idp.example/jwks", false),
            ("http://127.0.0.1.evil.example/jwks", false),
            ("http://user@evil.example/jwks", false),
            ("ftp://idp.example/jwks", false),
            ("idp.example/jwks", false),
            ("https:///jwks", false),
        ];
        for (url, ok) in cases {
            let answer = jwks_url("jwksUrl", url);
            assert_eq!(answer.is_ok(), ok, "{url}: {answer:?}");
        }
    }

    #[test]
    fn algorithms_are_known_listed_once_and_never_hmac_or_none() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            allowed_algorithms("a", &names(&["RS256", "ES256"])).as_deref(),
            Ok("RS256,ES256")
        );
        for bad in [&["HS256"][..], &["none"], &["RS256", "RS256"], &[]] {
            let error = allowed_algorithms("a", &names(bad)).unwrap_err();
            assert!(error.label.unwrap().starts_with('a'), "{bad:?}");
        }
        assert_eq!(algorithm_names("RS256,EdDSA"), names(&["RS256", "EdDSA"]));
    }

    #[test]
    fn seconds_stay_in_range() {
        assert_eq!(seconds("s", 60, SKEW_RANGE), Ok(60));
        assert!(seconds("s", -1, SKEW_RANGE).is_err());
        assert!(seconds("s", 0, MAX_AGE_RANGE).is_err());
    }

    #[test]
    fn a_jwks_must_parse_and_hold_a_key() {
        assert!(jwks("jwks", r#"{"keys": []}"#).is_err());
        assert!(jwks("jwks", "not json").is_err());
        let one = r#"{"keys": [{"kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0", "kid": "k1"}]}"#;
        assert_eq!(jwks("jwks", one).as_deref(), Ok(one));
        // A P-256 key whose y coordinate is missing, an unknown curve: refused, naming the key.
        let broken = r#"{"keys": [{"kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "kid": "k1"}]}"#;
        let refused = jwks("jwks", broken).expect_err("a key without y");
        assert!(
            refused.message.contains("key 0 (EC)"),
            "{}",
            refused.message
        );
        let curve = r#"{"keys": [{"kty": "EC", "crv": "P-521", "x": "AA", "y": "AA"}]}"#;
        assert!(jwks("jwks", curve).is_err());
    }
}
