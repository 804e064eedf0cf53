//! Input validation shared by every use case. Each check names the field it refuses.
use crate::error::{ErrorCode, FieldError};

pub const NAME_MAX: usize = 200;
pub const EMAIL_MAX: usize = 320;
pub const ISSUER_MAX: usize = 2048;

/// A required, trimmed, single-line text of at most `max` characters.
pub fn required_text(label: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(FieldError::new(
            label,
            ErrorCode::Blank,
            "must not be blank",
            Some(raw),
        ));
    }
    let len = trimmed.chars().count();
    if len > max {
        return Err(FieldError::new(
            label,
            ErrorCode::TooLong,
            format!("must be at most {max} characters (got {len})"),
            Some(raw),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(FieldError::new(
            label,
            ErrorCode::Invalid,
            "must not contain control characters",
            Some(raw),
        ));
    }
    Ok(trimmed.to_owned())
}

/// An optional text: empty after trimming is stored as empty, over-long is refused.
pub fn optional_text(label: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    if raw.trim().is_empty() {
        return Ok(String::new());
    }
    required_text(label, raw, max)
}

/// A plausible email address: one `@`, non-empty local part, a dotted domain, no spaces.
/// Deliberately permissive beyond that: the IdP is the authority on its users' addresses.
pub fn email(label: &str, raw: &str) -> Result<String, FieldError> {
    let email = required_text(label, raw, EMAIL_MAX)?;
    let invalid = || {
        FieldError::new(
            label,
            ErrorCode::Invalid,
            "must be an email address like name@example.com",
            Some(raw),
        )
    };
    let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
    let ok = !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace);
    if ok { Ok(email) } else { Err(invalid()) }
}

/// The form under which emails are compared: Unicode lowercase.
pub fn fold_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The form under which company names match case-insensitively.
pub fn fold_name(name: &str) -> String {
    name.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_text_trims_and_refuses_blank() {
        assert_eq!(required_text("name", "  Acme  ", 10).unwrap(), "Acme");
        let err = required_text("name", "   ", 10).unwrap_err();
        assert_eq!(
            (err.code, err.label.as_deref()),
            (ErrorCode::Blank, Some("name"))
        );
    }

    #[test]
    fn required_text_counts_characters_not_bytes() {
        assert!(required_text("name", &"é".repeat(10), 10).is_ok());
        let err = required_text("name", &"é".repeat(11), 10).unwrap_err();
        assert_eq!(err.code, ErrorCode::TooLong);
        assert!(err.message.contains("10"));
    }

    #[test]
    fn required_text_refuses_control_characters() {
        let err = required_text("name", "a\u{0}b", 10).unwrap_err();
        assert_eq!(err.code, ErrorCode::Invalid);
    }

    #[test]
    fn email_accepts_ordinary_addresses() {
        assert_eq!(
            email("email", " Ann@Example.com ").unwrap(),
            "Ann@Example.com"
        );
        assert!(email("email", "a.b+c@sub.example.co.uk").is_ok());
    }

    #[test]
    fn email_refuses_malformed_addresses() {
        for bad in [
            "ann",
            "@example.com",
            "ann@",
            "ann@example",
            "ann@@example.com",
            "a nn@example.com",
            "ann@.com",
        ] {
            let err = email("email", bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::Invalid, "{bad}");
            assert_eq!(err.value.as_deref(), Some(bad));
        }
    }

    #[test]
    fn folding_is_unicode_aware() {
        assert_eq!(fold_email("ÅSA@Example.COM"), "åsa@example.com");
        assert_eq!(fold_name("  ÉCOLE Centrale "), "école centrale");
    }
}
