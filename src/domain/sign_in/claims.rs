//! The pure rules of the sign-in hook: reading claims through the attribute map, mapping roles,
//! naming individual accounts and working out what an update on login changes.
use serde_json::{Map, Value};

use crate::{
    domain::{
        configuration::AttributeMap,
        validate::{self, NAME_MAX},
    },
    error::{ErrorCode, FieldError},
};

pub const SUBJECT_MAX: usize = 1024;
/// The claim by which an IdP says whether it verified the email (OIDC Core §5.1).
pub const EMAIL_VERIFIED: &str = "email_verified";
pub const ROLES_MAX: usize = 100;

/// The contact attributes a set of claims carries; `None` means the claim was absent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attributes {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company_name: Option<String>,
    /// Provider roles, before mapping.
    pub roles: Option<Vec<String>>,
    /// Brightspace's Username and OrgDefinedId, when the configuration maps them.
    pub username: Option<String>,
    pub org_defined_id: Option<String>,
    /// Whether the email may be trusted: see [`email_verified`].
    pub email_verified: bool,
}

fn label(claim: &str) -> String {
    format!("claims.{claim}")
}

fn not_strings(claim: &str, value: &Value) -> FieldError {
    FieldError::new(
        label(claim),
        ErrorCode::Invalid,
        "must be a string or a list of strings",
        Some(&value.to_string()),
    )
}

/// A claim as one string: a string, or a list whose first element is one. Absent, null and
/// empty after trimming are `None`.
fn single(claims: &Map<String, Value>, claim: &str) -> Result<Option<String>, FieldError> {
    let value = match claims.get(claim) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) if items.is_empty() => return Ok(None),
        Some(Value::Array(items)) => &items[0],
        Some(v) => v,
    };
    match value {
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s.trim().to_owned())),
        other => Err(not_strings(claim, other)),
    }
}

/// A claim as a list of strings: a string is a list of one.
fn list(claims: &Map<String, Value>, claim: &str) -> Result<Option<Vec<String>>, FieldError> {
    let items = match claims.get(claim) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| not_strings(claim, v))
            })
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(not_strings(claim, other)),
    };
    if items.len() > ROLES_MAX {
        return Err(FieldError::new(
            label(claim),
            ErrorCode::TooLong,
            format!("must hold at most {ROLES_MAX} values"),
            Some(&format!("{} values", items.len())),
        ));
    }
    for item in &items {
        validate::optional_text(&label(claim), item, NAME_MAX)?;
    }
    Ok(Some(
        items
            .into_iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
    ))
}

/// Reads the mapped attributes out of `claims`, reporting every bad claim by its name.
pub fn read_claims(claims: &Value, map: &AttributeMap) -> Result<Attributes, Vec<FieldError>> {
    let Value::Object(claims) = claims else {
        return Err(vec![FieldError::new(
            "claims",
            ErrorCode::Invalid,
            "must be a JSON object of claim names to values",
            Some(&claims.to_string()),
        )]);
    };
    let mut errors = Vec::new();
    let mut keep =
        |r: Result<Option<String>, FieldError>| r.map_err(|e| errors.push(e)).ok().flatten();
    let email = keep(single(claims, &map.email).and_then(|email| {
        email
            .map(|e| validate::email(&label(&map.email), &e))
            .transpose()
    }));
    let name = |claim: &str| {
        single(claims, claim).and_then(|v| {
            v.map(|v| validate::required_text(&label(claim), &v, NAME_MAX))
                .transpose()
        })
    };
    let first_name = keep(name(&map.first_name));
    let last_name = keep(name(&map.last_name));
    let company_name = keep(name(&map.company_name));
    let mut mapped = |claim: &Option<String>| claim.as_deref().and_then(|c| keep(name(c)));
    let username = mapped(&map.username);
    let org_defined_id = mapped(&map.org_defined_id);
    let roles = list(claims, &map.roles)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let email_verified = email_verified(claims.get(EMAIL_VERIFIED));
    if errors.is_empty() {
        Ok(Attributes {
            email,
            first_name,
            last_name,
            company_name,
            roles,
            username,
            org_defined_id,
            email_verified,
        })
    } else {
        Err(errors)
    }
}

/// Email trust (PRODUCT §4): an email counts as verified when the IdP says nothing about it,
/// or says a clear yes: `true`, `"true"`, `1`, `"1"`, case and surrounding spaces aside, alone
/// or as the one element of a list (SAML attributes are lists). Anything else that is present,
/// `null` and `"yes"` included, is a no: fail closed, as a doubtful email must not take over a
/// contact.
pub fn email_verified(claim: Option<&Value>) -> bool {
    claim.is_none_or(clear_yes)
}

/// `true`, `"true"`, `1`, `"1"`, case and surrounding spaces aside, alone or as the one element
/// of a list.
fn clear_yes(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_u64() == Some(1),
        Value::String(s) => {
            let s = s.trim();
            s.eq_ignore_ascii_case("true") || s == "1"
        }
        Value::Array(items) => {
            matches!(items.as_slice(), [one] if !one.is_array() && clear_yes(one))
        }
        Value::Null | Value::Object(_) => false,
    }
}

/// Email trust for an administrator's sign-in (PRODUCT §7), stricter than a learner's: every
/// claim whose name is `email_verified` in any case must be a clear yes (an IdP or a proxy
/// that spells it `Email_Verified` still means it), and at least one must be there, unless
/// the IdP is trusted for its emails (`trust_email`). A learner's account is one person's; an
/// administrator's is the platform.
pub fn admin_email_verified(claims: &Value, trust_email: bool) -> bool {
    let Value::Object(claims) = claims else {
        return false;
    };
    let mut said = claims
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case(EMAIL_VERIFIED))
        .map(|(_, value)| clear_yes(value))
        .peekable();
    match said.peek() {
        None => trust_email,
        Some(_) => said.all(|yes| yes),
    }
}

/// The email an operation needs, or the error naming the claim that should carry it.
pub fn required_email(attributes: &Attributes, map: &AttributeMap) -> Result<String, FieldError> {
    attributes.email.clone().ok_or_else(|| {
        FieldError::new(
            label(&map.email),
            ErrorCode::Blank,
            format!(
                "an email is needed to find or create the contact, and the `{}` claim is missing",
                map.email
            ),
            None,
        )
    })
}

/// Platform roles for provider roles: each mapped role once, in mapping order of the provider
/// roles; provider roles without a mapping are ignored; nothing mapped gives the default role.
pub fn map_roles(
    provider_roles: &[String],
    mappings: &[(String, String)],
    default_role: &str,
) -> Vec<String> {
    let mut roles: Vec<String> = Vec::new();
    for provider_role in provider_roles {
        if let Some((_, role)) = mappings.iter().find(|(p, _)| p == provider_role)
            && !roles.contains(role)
        {
            roles.push(role.clone());
        }
    }
    if roles.is_empty() {
        roles.push(default_role.to_owned());
    }
    roles
}

/// The name of the individual account made for a new contact: the contact's name, or its
/// email when the IdP sent no name.
pub fn individual_account_name(first_name: &str, last_name: &str, email: &str) -> String {
    let name = format!("{first_name} {last_name}").trim().to_owned();
    let name = if name.is_empty() {
        email.to_owned()
    } else {
        name
    };
    // Two names of up to NAME_MAX each must still fit an account name.
    name.chars()
        .take(NAME_MAX)
        .collect::<String>()
        .trim_end()
        .to_owned()
}

/// A contact's current values, as far as an update on login may touch them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactAttributes {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub roles: Vec<String>,
    pub username: Option<String>,
    pub org_defined_id: Option<String>,
}

/// What an update on login refreshes (`updateAttributesOnLogin`, `updateRolesOnLogin`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refreshed {
    pub attributes: bool,
    pub roles: bool,
}

/// What an update on login changes: the new values and the names of the changed attributes.
/// Absent claims change nothing; the account is never part of it.
pub fn refresh(
    current: &ContactAttributes,
    claimed: &Attributes,
    refreshed: Refreshed,
    mappings: &[(String, String)],
    default_role: &str,
) -> (ContactAttributes, Vec<&'static str>) {
    let mut next = current.clone();
    let mut changed = Vec::new();
    if refreshed.attributes {
        for (name, claim, value) in [
            ("email", &claimed.email, &mut next.email),
            ("firstName", &claimed.first_name, &mut next.first_name),
            ("lastName", &claimed.last_name, &mut next.last_name),
        ] {
            if let Some(claim) = claim
                && claim != value
            {
                value.clone_from(claim);
                changed.push(name);
            }
        }
        for (name, claim, value) in [
            ("username", &claimed.username, &mut next.username),
            (
                "orgDefinedId",
                &claimed.org_defined_id,
                &mut next.org_defined_id,
            ),
        ] {
            if claim.is_some() && claim != value {
                value.clone_from(claim);
                changed.push(name);
            }
        }
    }
    if !refreshed.roles {
        return (next, changed);
    }
    if let Some(provider_roles) = &claimed.roles {
        let roles = map_roles(provider_roles, mappings, default_role);
        if roles != current.roles {
            next.roles = roles;
            changed.push("roles");
        }
    }
    (next, changed)
}

/// Validates the subject the IdP asserts.
pub fn subject(raw: &str) -> Result<String, FieldError> {
    if raw.trim().is_empty() {
        return Err(FieldError::new(
            "subject",
            ErrorCode::Blank,
            "must not be blank",
            Some(raw),
        ));
    }
    if raw.chars().count() > SUBJECT_MAX {
        return Err(FieldError::new(
            "subject",
            ErrorCode::TooLong,
            format!("must be at most {SUBJECT_MAX} characters"),
            Some(raw),
        ));
    }
    // Subjects are compared exactly: no trimming, as IdPs define them.
    Ok(raw.to_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map() -> AttributeMap {
        AttributeMap::default()
    }

    #[test]
    fn reads_default_claims() {
        let a = read_claims(
            &json!({"email": " Ada@Example.com ", "given_name": "Ada", "family_name": "Lovelace", "company": " Acme ", "roles": ["Staff", "Student"]}),
            &map(),
        )
        .unwrap();
        assert_eq!(a.email.as_deref(), Some("Ada@Example.com"));
        assert_eq!(a.company_name.as_deref(), Some("Acme"));
        assert_eq!(a.roles, Some(vec!["Staff".into(), "Student".into()]));
        assert!(a.email_verified);
    }

    #[test]
    fn absent_claims_are_none_and_a_string_role_is_a_list() {
        let a = read_claims(&json!({"roles": "Staff"}), &map()).unwrap();
        assert_eq!(a.email, None);
        assert_eq!(a.first_name, None);
        assert_eq!(a.roles, Some(vec!["Staff".into()]));
    }

    #[test]
    fn a_custom_attribute_map_names_the_claims_in_errors() {
        let custom = AttributeMap {
            email: "mail".into(),
            ..map()
        };
        let errs = read_claims(&json!({"mail": "nope", "given_name": 7}), &custom).unwrap_err();
        let labels: Vec<_> = errs.iter().map(|e| e.label.clone().unwrap()).collect();
        assert_eq!(labels, ["claims.mail", "claims.given_name"]);
    }

    #[test]
    fn claims_must_be_an_object() {
        let errs = read_claims(&json!(["email"]), &map()).unwrap_err();
        assert_eq!(errs[0].label.as_deref(), Some("claims"));
    }

    #[test]
    fn over_long_values_are_refused() {
        let errs = read_claims(&json!({"given_name": "x".repeat(201)}), &map()).unwrap_err();
        assert_eq!(errs[0].code, ErrorCode::TooLong);
        let many: Vec<String> = (0..101).map(|i| format!("r{i}")).collect();
        let errs = read_claims(&json!({"roles": many}), &map()).unwrap_err();
        assert_eq!(errs[0].label.as_deref(), Some("claims.roles"));
    }

    #[test]
    fn only_a_clear_yes_verifies_an_email() {
        let unverified = [
            json!(false),
            json!("false"),
            json!("FALSE"),
            json!(" false"),
            json!(["false"]),
            json!("0"),
            json!(0),
            json!(2),
            json!(-1),
            json!(0.5),
            json!(null),
            json!("yes"),
            json!(""),
            json!([]),
            json!(["true", "false"]),
            json!([["true"]]),
            json!({"value": true}),
        ];
        for v in unverified {
            let a = read_claims(&json!({"email_verified": v}), &map()).unwrap();
            assert!(!a.email_verified, "{v} must not verify");
        }
        let verified = [
            json!(true),
            json!("true"),
            json!(" TRUE "),
            json!(["true"]),
            json!([true]),
            json!(1),
            json!("1"),
            json!([" 1 "]),
        ];
        for v in verified {
            let a = read_claims(&json!({"email_verified": v}), &map()).unwrap();
            assert!(a.email_verified, "{v} must verify");
        }
        let absent = read_claims(&json!({"email": "a@x.io"}), &map()).unwrap();
        assert!(absent.email_verified, "an IdP that says nothing is trusted");
    }

    #[test]
    fn an_administrator_email_needs_a_yes_in_every_spelling_or_a_trusted_idp() {
        for (claims, trusted, verified) in [
            (json!({"email_verified": true}), false, true),
            (json!({"email_verified": ["TRUE"]}), false, true),
            (json!({}), false, false),
            (json!({}), true, true),
            (json!({"email_verified": false}), true, false),
            (
                json!({"email_verified": true, "Email_Verified": false}),
                false,
                false,
            ),
            (
                json!({"email_verified": true, "EMAIL_VERIFIED": "no"}),
                true,
                false,
            ),
            (json!({"EMAIL_VERIFIED": "1"}), false, true),
            (json!({"email_verified": null}), true, false),
        ] {
            assert_eq!(
                admin_email_verified(&claims, trusted),
                verified,
                "{claims} trusted={trusted}"
            );
        }
    }

    #[test]
    fn role_mapping_dedups_ignores_unmapped_and_falls_back() {
        let m = vec![
            ("Staff".to_string(), "instructor".to_string()),
            ("Faculty".to_string(), "instructor".to_string()),
            ("Admin".to_string(), "administrator".to_string()),
        ];
        let got = map_roles(
            &[
                "Faculty".into(),
                "Other".into(),
                "Staff".into(),
                "Admin".into(),
            ],
            &m,
            "learner",
        );
        assert_eq!(got, ["instructor", "administrator"]);
        assert_eq!(map_roles(&["Other".into()], &m, "learner"), ["learner"]);
        assert_eq!(map_roles(&[], &m, "student"), ["student"]);
    }

    #[test]
    fn individual_accounts_are_named_after_the_contact() {
        assert_eq!(
            individual_account_name("Ada", "Lovelace", "a@x.io"),
            "Ada Lovelace"
        );
        assert_eq!(
            individual_account_name("", "Lovelace", "a@x.io"),
            "Lovelace"
        );
        assert_eq!(individual_account_name("", "", "a@x.io"), "a@x.io");
        let long = individual_account_name(&"a".repeat(150), &"b".repeat(150), "a@x.io");
        assert_eq!(long.chars().count(), NAME_MAX);
    }

    #[test]
    fn refresh_changes_only_present_and_different_claims() {
        let current = ContactAttributes {
            email: "a@x.io".into(),
            first_name: "Ada".into(),
            last_name: "L".into(),
            roles: vec!["learner".into()],
            username: Some("ada".into()),
            org_defined_id: None,
        };
        let claimed = Attributes {
            first_name: Some("Ada".into()),
            last_name: Some("Lovelace".into()),
            roles: Some(vec!["Staff".into()]),
            ..Default::default()
        };
        let mappings = vec![("Staff".to_string(), "instructor".to_string())];
        let both = Refreshed {
            attributes: true,
            roles: true,
        };
        let (next, changed) = refresh(&current, &claimed, both, &mappings, "learner");
        assert_eq!(changed, ["lastName", "roles"]);
        assert_eq!(next.email, "a@x.io");
        assert_eq!(next.roles, ["instructor"]);
        assert_eq!(
            next.username.as_deref(),
            Some("ada"),
            "an absent claim keeps it"
        );
        let (_, changed) = refresh(&current, &Attributes::default(), both, &mappings, "learner");
        assert!(changed.is_empty());
    }

    /// Seed 003: "Update attributes on login" and "Update role on login" are apart.
    #[test]
    fn attributes_and_roles_are_refreshed_apart() {
        let current = ContactAttributes {
            email: "a@x.io".into(),
            first_name: "Ada".into(),
            last_name: "L".into(),
            roles: vec!["learner".into()],
            username: None,
            org_defined_id: Some("E-1".into()),
        };
        let claimed = Attributes {
            last_name: Some("Lovelace".into()),
            roles: Some(vec!["Staff".into()]),
            username: Some("ada.l".into()),
            org_defined_id: Some("E-2".into()),
            ..Default::default()
        };
        let mappings = vec![("Staff".to_string(), "instructor".to_string())];
        let only = |attributes, roles| {
            let (next, changed) = refresh(
                &current,
                &claimed,
                Refreshed { attributes, roles },
                &mappings,
                "learner",
            );
            (next, changed)
        };
        let (next, changed) = only(true, false);
        assert_eq!(changed, ["lastName", "username", "orgDefinedId"]);
        assert_eq!(next.roles, ["learner"]);
        assert_eq!(next.org_defined_id.as_deref(), Some("E-2"));
        let (next, changed) = only(false, true);
        assert_eq!(changed, ["roles"]);
        assert_eq!((next.last_name.as_str(), next.username), ("L", None));
        assert!(only(false, false).1.is_empty());
    }

    #[test]
    fn username_and_org_defined_id_are_read_only_when_mapped() {
        let claims = json!({"email": "a@x.io", "Username": " ada.l ", "UserId": "E-7"});
        let unmapped = read_claims(&claims, &map()).unwrap();
        assert_eq!((unmapped.username, unmapped.org_defined_id), (None, None));
        let mapped = AttributeMap {
            username: Some("Username".into()),
            org_defined_id: Some("UserId".into()),
            ..map()
        };
        let read = read_claims(&claims, &mapped).unwrap();
        assert_eq!(read.username.as_deref(), Some("ada.l"));
        assert_eq!(read.org_defined_id.as_deref(), Some("E-7"));
        let bad = read_claims(&json!({"UserId": 7}), &mapped).unwrap_err();
        assert_eq!(bad[0].label.as_deref(), Some("claims.UserId"));
    }

    #[test]
    fn subjects_are_required_bounded_and_exact() {
        assert_eq!(subject(" abc ").unwrap(), " abc ");
        assert_eq!(subject("  ").unwrap_err().code, ErrorCode::Blank);
        assert_eq!(
            subject(&"s".repeat(1025)).unwrap_err().code,
            ErrorCode::TooLong
        );
    }
}
