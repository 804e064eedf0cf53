//! The settings of one brand's use of one identity provider, and their validation.
use std::collections::HashSet;

use crate::error::{ErrorCode, FieldError};

use super::{
    stored::{StoredEnum, stored_enum},
    validate::{NAME_MAX, required_text},
};

stored_enum! {
    /// How the company claim is compared with company names.
    pub enum CompanyMatch in "identity_provider_configuration.company_match" {
        /// Byte-equal after trimming surrounding whitespace.
        Exact = "exact",
        /// Equal after trimming and folding (NFKC and Unicode case folding).
        CaseInsensitive = "caseInsensitive",
    }
}

stored_enum! {
    /// Whether the sign-in hook believes claims without the IdP's signed proof (PRODUCT §4.1).
    pub enum ProofPolicy in "identity_provider_configuration.proof_policy" {
        /// Bare subject and claims are accepted (as before proofs existed); a proof sent is
        /// still verified.
        Optional = "optional",
        /// Only a verified proof signs anyone in.
        Required = "required",
    }
}

stored_enum! {
    /// Which claim finds an existing contact that has no credential of the subject (a known
    /// credential always comes first). Brightspace's "User/Name ID mapping" (seed 003).
    pub enum MatchBy in "identity_provider_configuration.match_by" {
        /// The subject's credential only: no claim links an existing contact.
        Subject = "subject",
        /// The email claim (the default, as before the choice existed).
        Email = "email",
        /// The Username claim (`attributeMap.username`), compared folded.
        Username = "username",
        /// The OrgDefinedId claim (`attributeMap.orgDefinedId`), compared exactly.
        OrgDefinedId = "orgDefinedId",
    }
}

/// Which claim feeds which contact field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttributeMap {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub company_name: String,
    pub roles: String,
    /// Brightspace's Username and OrgDefinedId: not mapped unless set, so that claims an IdP
    /// already sends change nothing until a configuration asks for them.
    pub username: Option<String>,
    pub org_defined_id: Option<String>,
}

impl Default for AttributeMap {
    fn default() -> Self {
        Self {
            email: "email".into(),
            first_name: "given_name".into(),
            last_name: "family_name".into(),
            company_name: "company".into(),
            roles: "roles".into(),
            username: None,
            org_defined_id: None,
        }
    }
}

/// The attribute-map changes of one create or update; `None` keeps the current claim name.
#[derive(Clone, Debug, Default)]
pub struct AttributeMapPatch {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company_name: Option<String>,
    pub roles: Option<String>,
    /// `Some(None)`: an explicit null, which unmaps it.
    pub username: Option<Option<String>>,
    pub org_defined_id: Option<Option<String>>,
}

pub const DEFAULT_ROLE: &str = "learner";
pub const ROLE_MAX: usize = 100;

impl AttributeMap {
    /// Applies `patch`, validating each claim name it sets.
    pub fn patched(&self, patch: &AttributeMapPatch) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut pick = |label: &str, current: &str, new: &Option<String>| match new {
            None => current.to_owned(),
            Some(raw) => match required_text(&format!("attributeMap.{label}"), raw, NAME_MAX) {
                Ok(v) => v,
                Err(e) => {
                    errors.push(e);
                    current.to_owned()
                }
            },
        };
        let mut pick_optional =
            |label: &str, current: &Option<String>, new: &Option<Option<String>>| match new {
                None => current.clone(),
                Some(None) => None,
                Some(Some(raw)) => Some(pick(
                    label,
                    current.as_deref().unwrap_or(""),
                    &Some(raw.clone()),
                )),
            };
        let username = pick_optional("username", &self.username, &patch.username);
        let org_defined_id =
            pick_optional("orgDefinedId", &self.org_defined_id, &patch.org_defined_id);
        let map = Self {
            email: pick("email", &self.email, &patch.email),
            first_name: pick("firstName", &self.first_name, &patch.first_name),
            last_name: pick("lastName", &self.last_name, &patch.last_name),
            company_name: pick("companyName", &self.company_name, &patch.company_name),
            roles: pick("roles", &self.roles, &patch.roles),
            username,
            org_defined_id,
        };
        if errors.is_empty() {
            Ok(map)
        } else {
            Err(errors)
        }
    }
}

/// A configuration that matches contacts by a claim must say which claim carries it.
pub fn match_claim_mapped(match_by: MatchBy, map: &AttributeMap) -> Result<(), FieldError> {
    let (mapped, field) = match match_by {
        MatchBy::Subject | MatchBy::Email => return Ok(()),
        MatchBy::Username => (&map.username, "attributeMap.username"),
        MatchBy::OrgDefinedId => (&map.org_defined_id, "attributeMap.orgDefinedId"),
    };
    match mapped {
        Some(_) => Ok(()),
        None => Err(FieldError::new(
            "matchBy",
            ErrorCode::Invalid,
            format!(
                "matching by {} needs {field}: the claim that carries it",
                match_by.as_str()
            ),
            Some(match_by.as_str()),
        )),
    }
}

/// A platform role name: a letter, then letters, digits, `_` or `-`.
pub fn role_name(label: &str, raw: &str) -> Result<String, FieldError> {
    let role = required_text(label, raw, ROLE_MAX)?;
    let mut chars = role.chars();
    let well_formed = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if well_formed {
        Ok(role)
    } else {
        Err(FieldError::new(
            label,
            ErrorCode::Invalid,
            "must start with a letter and contain only letters, digits, `_` and `-`",
            Some(raw),
        ))
    }
}

/// Validates role mappings: each provider role appears once and maps to one well-formed role;
/// several provider roles may map to the same role.
pub fn role_mappings(raw: &[(String, String)]) -> Result<Vec<(String, String)>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    let mut mappings = Vec::with_capacity(raw.len());
    for (i, (provider_role, role)) in raw.iter().enumerate() {
        let provider_label = format!("roleMappings[{i}].providerRole");
        let provider = required_text(&provider_label, provider_role, NAME_MAX);
        let role = role_name(&format!("roleMappings[{i}].role"), role);
        match (provider, role) {
            (Ok(provider), Ok(role)) => {
                if seen.insert(provider.clone()) {
                    mappings.push((provider, role));
                } else {
                    errors.push(FieldError::new(
                        provider_label,
                        ErrorCode::AlreadyExists,
                        "each provider role may be mapped only once",
                        Some(provider_role),
                    ));
                }
            }
            (p, r) => errors.extend(p.err().into_iter().chain(r.err())),
        }
    }
    if errors.is_empty() {
        Ok(mappings)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(raw: &[(&str, &str)]) -> Vec<(String, String)> {
        raw.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn several_provider_roles_may_share_a_role() {
        let ok = role_mappings(&pairs(&[
            ("Staff", "instructor"),
            ("Faculty", "instructor"),
        ]));
        assert_eq!(ok.unwrap().len(), 2);
    }

    #[test]
    fn a_provider_role_maps_to_one_role_only() {
        let errs =
            role_mappings(&pairs(&[("Staff", "instructor"), ("Staff", "learner")])).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(
            errs[0].label.as_deref(),
            Some("roleMappings[1].providerRole")
        );
        assert_eq!(errs[0].code, ErrorCode::AlreadyExists);
    }

    #[test]
    fn malformed_roles_are_named_by_index() {
        let errs = role_mappings(&pairs(&[("", "learner"), ("Staff", "has space")])).unwrap_err();
        let labels: Vec<_> = errs.iter().map(|e| e.label.clone().unwrap()).collect();
        assert_eq!(
            labels,
            ["roleMappings[0].providerRole", "roleMappings[1].role"]
        );
    }

    #[test]
    fn attribute_map_patch_keeps_omitted_and_validates_set() {
        let base = AttributeMap::default();
        let patched = base
            .patched(&AttributeMapPatch {
                email: Some(" mail ".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(patched.email, "mail");
        assert_eq!(patched.first_name, "given_name");
        let errs = base
            .patched(&AttributeMapPatch {
                roles: Some("".into()),
                ..Default::default()
            })
            .unwrap_err();
        assert_eq!(errs[0].label.as_deref(), Some("attributeMap.roles"));
    }
}
