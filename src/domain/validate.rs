//! Input validation shared by every use case. Each check names the field it refuses.
use unicode_normalization::UnicodeNormalization;

use crate::error::{ErrorCode, FieldError};

pub const NAME_MAX: usize = 200;
pub const EMAIL_MAX: usize = 320;
pub const ISSUER_MAX: usize = 2048;

/// A required, trimmed, single-line text of at most `max` characters.
pub fn required_text(label: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return refuse(label, raw, ErrorCode::Blank, "must not be blank");
    }
    let len = trimmed.chars().count();
    if len > max {
        let message = format!("must be at most {max} characters (got {len})");
        return refuse(label, raw, ErrorCode::TooLong, message);
    }
    if trimmed.chars().any(char::is_control) {
        let message = "must not contain control characters";
        return refuse(label, raw, ErrorCode::Invalid, message);
    }
    Ok(trimmed.to_owned())
}

/// The refusal of `raw`, the value of the field `label`.
fn refuse<T>(
    label: &str,
    raw: &str,
    code: ErrorCode,
    message: impl Into<String>,
) -> Result<T, FieldError> {
    Err(FieldError::new(label, code, message, Some(raw)))
}

/// An optional text: empty after trimming is stored as empty, over-long is refused.
pub fn optional_text(label: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    if raw.trim().is_empty() {
        return Ok(String::new());
    }
    required_text(label, raw, max)
}

/// A plausible email address: one `@`, non-empty local part, a dotted domain, no spaces,
/// both as sent and once folded (a full-width `＠` folds to `@`), and short enough to be
/// stored in both forms. Deliberately permissive beyond that: the IdP is the authority on its
/// users' addresses.
pub fn email(label: &str, raw: &str) -> Result<String, FieldError> {
    let email = required_text(label, raw, EMAIL_MAX)?;
    if let Some(c) = email.chars().find(|c| is_default_ignorable(*c)) {
        let code_point = u32::from(c);
        let message = format!("must not contain invisible characters (U+{code_point:04X})");
        return refuse(label, raw, ErrorCode::Invalid, message);
    }
    let folded = fold(&email);
    if !plausible_email(&email) || !plausible_email(&folded) {
        let message = "must be an email address like name@example.com";
        return refuse(label, raw, ErrorCode::Invalid, message);
    }
    fits_folded(label, raw, &folded, EMAIL_MAX)?;
    Ok(email)
}

fn plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace)
}

/// Unicode's Default_Ignorable_Code_Point ranges (DerivedCoreProperties.txt, as
/// `unicode-security` 0.1.3 tables them): characters a renderer shows as nothing, such as
/// U+200B ZERO WIDTH SPACE or U+00AD SOFT HYPHEN. An address holding one looks exactly like
/// the address without it.
const DEFAULT_IGNORABLE: &[(char, char)] = &[
    ('\u{ad}', '\u{ad}'),
    ('\u{34f}', '\u{34f}'),
    ('\u{61c}', '\u{61c}'),
    ('\u{115f}', '\u{1160}'),
    ('\u{17b4}', '\u{17b5}'),
    ('\u{180b}', '\u{180f}'),
    ('\u{200b}', '\u{200f}'),
    ('\u{202a}', '\u{202e}'),
    ('\u{2060}', '\u{206f}'),
    ('\u{3164}', '\u{3164}'),
    ('\u{fe00}', '\u{fe0f}'),
    ('\u{feff}', '\u{feff}'),
    ('\u{ffa0}', '\u{ffa0}'),
    ('\u{fff0}', '\u{fff8}'),
    ('\u{1bca0}', '\u{1bca3}'),
    ('\u{1d173}', '\u{1d17a}'),
    ('\u{e0000}', '\u{e0fff}'),
];

fn is_default_ignorable(c: char) -> bool {
    DEFAULT_IGNORABLE
        .iter()
        .any(|&(first, last)| (first..=last).contains(&c))
}

/// The confusable skeleton (Unicode TS #39, §4) of an email's folded form ([`fold`]): two
/// addresses that a reader cannot tell apart (Cyrillic `а` and Latin `a`, `rn` and `m`) share
/// it. A new address whose skeleton is another contact's, but which is not that contact's
/// address, is refused (`confusable`).
pub fn email_skeleton(folded: &str) -> String {
    unicode_security::skeleton(folded).collect()
}

/// A name that is compared folded (company names): [`required_text`], and its folded form
/// fits the same limit.
pub fn folded_name(label: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let name = required_text(label, raw, max)?;
    fits_folded(label, raw, &fold(&name), max)?;
    Ok(name)
}

/// Folding can lengthen text (`ß` → `ss`, `İ` → `i̇`): the folded form is stored too, so it
/// is held to the same limit.
fn fits_folded(label: &str, raw: &str, folded: &str, max: usize) -> Result<(), FieldError> {
    let len = folded.chars().count();
    if len > max {
        let message = format!("must be at most {max} characters once case-folded (got {len})");
        return refuse(label, raw, ErrorCode::TooLong, message);
    }
    Ok(())
}

/// The one form under which emails (and case-insensitive company names) are compared, on
/// every path: trimmed, NFKC, full Unicode case folding, NFKC again (folding can leave text
/// that is not NFKC-normal). So the Kelvin sign `K` is `k`, full-width `Ａ` is `a`, and `ß` is
/// `ss`: two addresses that only look different are the same address.
pub fn fold(text: &str) -> String {
    // Most addresses are ASCII, and for ASCII the three passes are lowercasing: NFKC leaves
    // every ASCII character as it is, and case folding maps only `A`-`Z` among them. Rendering
    // a page of SCIM users folds each address, and the passes cost a few per cent of its CPU.
    if text.is_ascii() {
        return text.trim().to_ascii_lowercase();
    }
    unicode_fold(text)
}

fn unicode_fold(text: &str) -> String {
    let compatible: String = text.trim().nfkc().collect();
    caseless::default_case_fold_str(&compatible)
        .nfkc()
        .collect()
}

/// The path of the first string (value or object key) in `value` that holds a control
/// character, e.g. `claims.name` or `emails[0].value`; `None` when there is none. Doors run it
/// over whole request bodies and arguments before anything else, so that a NUL (which
/// PostgreSQL cannot store in text) or any other control character is refused with the field's
/// name, whatever use case the body was for. Values under an `opaque` key are not searched:
/// they are whole documents (an employee file) that their own parser checks row by row.
pub fn control_character_at(value: &serde_json::Value, opaque: &[&str]) -> Option<String> {
    fn has_control(text: &str) -> bool {
        text.chars().any(char::is_control)
    }
    fn walk(value: &serde_json::Value, path: &mut String, opaque: &[&str]) -> bool {
        match value {
            serde_json::Value::String(text) => has_control(text),
            serde_json::Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                let found = walk(item, path, opaque);
                if !found {
                    path.truncate(len);
                }
                found
            }),
            serde_json::Value::Object(fields) => fields.iter().any(|(key, item)| {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                if has_control(key) {
                    // The key itself, shown without the character.
                    path.extend(key.chars().filter(|c| !c.is_control()));
                    return true;
                }
                path.push_str(key);
                let found = !opaque.contains(&key.as_str()) && walk(item, path, opaque);
                if !found {
                    path.truncate(len);
                }
                found
            }),
            _ => false,
        }
    }
    let mut path = String::new();
    walk(value, &mut path, opaque).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_characters_are_refused_in_emails() {
        for bad in [
            "ad\u{200B}a@example.com",
            "ada\u{AD}@example.com",
            "ada@exam\u{2060}ple.com",
            "\u{FEFF}ada@example.com",
        ] {
            let err = email("email", bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::Invalid, "{bad:?}");
            assert!(err.message.contains("invisible"), "{}", err.message);
        }
    }

    #[test]
    fn look_alike_addresses_share_a_skeleton() {
        let latin = email_skeleton(&fold("paypal@example.com"));
        // Cyrillic а (U+0430) for Latin a; `rn` for `m`.
        assert_eq!(email_skeleton(&fold("p\u{430}ypal@example.com")), latin);
        assert_eq!(
            email_skeleton(&fold("rnary@example.com")),
            email_skeleton(&fold("mary@example.com"))
        );
        assert_ne!(email_skeleton(&fold("ada@example.com")), latin);
    }

    #[test]
    fn control_characters_are_found_with_their_path() {
        use serde_json::json;
        let strict = |v: &serde_json::Value| control_character_at(v, &[]);
        assert_eq!(strict(&json!({"a": "ok", "b": [1, "x"]})), None);
        assert_eq!(
            strict(&json!({"claims": {"name": "a\u{0}b"}})).as_deref(),
            Some("claims.name")
        );
        assert_eq!(
            strict(&json!({"emails": [{"value": "ok"}, {"value": "\u{1b}[31m"}]})).as_deref(),
            Some("emails[1].value")
        );
        assert_eq!(
            strict(&json!({"in": {"k\u{0}ey": 1}})).as_deref(),
            Some("in.key")
        );
        assert_eq!(strict(&json!("line\nbreak")).as_deref(), Some(""));
        let input = json!({"file": "a,b\r\nc,\u{0}d\n", "fileName": "x\ny"});
        assert_eq!(
            control_character_at(&input, &["file"]).as_deref(),
            Some("fileName")
        );
    }

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
        assert_eq!(fold("ÅSA@Example.COM"), "åsa@example.com");
        assert_eq!(fold("  ÉCOLE Centrale "), "école centrale");
    }

    #[test]
    fn ascii_text_folds_as_the_unicode_passes_fold_it() {
        let every_ascii: String = (0u8..=127).map(char::from).collect();
        assert_eq!(fold(&every_ascii), unicode_fold(&every_ascii));
        for c in (0u8..=127).map(char::from) {
            let text = format!(" \t{c}Ab{c}Z@Example.COM{c}\n ");
            assert_eq!(fold(&text), unicode_fold(&text), "{text:?}");
        }
    }

    #[test]
    fn look_alike_addresses_fold_to_one() {
        // Kelvin sign, full-width letters and a full-width at sign, sharp s.
        assert_eq!(fold("\u{212A}im@example.com"), "kim@example.com");
        assert_eq!(
            fold("\u{FF21}da\u{FF20}example.com"),
            fold("ada@example.com")
        );
        assert_eq!(fold("STRASSE@example.com"), fold("straße@example.com"));
        // Decomposed and composed forms are one address.
        assert_eq!(
            fold("Jose\u{301}@example.com"),
            fold("jos\u{E9}@example.com")
        );
    }

    #[test]
    fn lengths_are_checked_after_folding() {
        // 300 dotted capital Is are 300 characters, but 600 once folded.
        let raw = format!("{}@example.com", "\u{130}".repeat(300));
        let err = email("email", &raw).unwrap_err();
        assert_eq!(err.code, ErrorCode::TooLong);
        assert_eq!(err.label.as_deref(), Some("email"));
        let err = folded_name("name", &"\u{DF}".repeat(150), NAME_MAX).unwrap_err();
        assert_eq!(err.code, ErrorCode::TooLong);
        assert!(folded_name("name", &"\u{DF}".repeat(100), NAME_MAX).is_ok());
    }

    #[test]
    fn an_address_must_stay_plausible_once_folded() {
        let err = email("email", "a\u{FF20}b@example.com").unwrap_err();
        assert_eq!(err.code, ErrorCode::Invalid);
    }
}
