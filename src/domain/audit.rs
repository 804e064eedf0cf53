//! The audit log's rules: who acted, and what an admin change did, field by field. Secrets
//! and derived columns are never recorded; references are shown as global IDs, which a
//! client can look up with `node(id:)`.
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{
    access::Caller,
    id::{NodeKind, encode},
    stored::stored_enum,
};

stored_enum! {
    /// The kind of entity an admin change was made to.
    pub enum AuditEntity in "audit_event.entity_type" {
        Brand = "brand",
        IdentityProvider = "identityProvider",
        IdentityProviderConfiguration = "identityProviderConfiguration",
        Company = "company",
        Account = "account",
        Contact = "contact",
        ApiToken = "apiToken",
        Administrator = "administrator",
        AdminProvisioningRule = "adminProvisioningRule",
        EmployeeSync = "employeeSync",
        HrisConnection = "hrisConnection",
    }
}

/// Who made a change: an API token (its ID and its name at the time), or the service itself
/// (the first start, the command line), which has a name only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub token_id: Option<Uuid>,
    pub name: String,
    /// The administrator whose session the token is (or was created from): what it creates
    /// is bound to that administrator too.
    pub administrator_id: Option<Uuid>,
}

impl From<Caller<'_>> for Actor {
    fn from(caller: Caller<'_>) -> Self {
        match caller {
            Caller::Token(principal) => Self {
                token_id: Some(principal.token_id),
                name: principal.token_name.clone(),
                administrator_id: principal.administrator_id,
            },
            Caller::Operator(name) => Self::system(name),
        }
    }
}

impl Actor {
    pub fn system(name: &str) -> Self {
        Self {
            token_id: None,
            name: name.to_owned(),
            administrator_id: None,
        }
    }
}

/// Never recorded: the row's own ID (the event names it), secrets, and columns derived from
/// others.
const HIDDEN: &[&str] = &[
    "id",
    "secretHash",
    "passwordHash",
    "emailFolded",
    "nameFolded",
    "createdAt",
    "updatedAt",
];

/// Columns holding the UUID of another entity, and that entity's kind.
fn reference(field: &str) -> Option<NodeKind> {
    Some(match field {
        "brandId" => NodeKind::Brand,
        "identityProviderId" | "signInIdentityProviderId" => NodeKind::IdentityProvider,
        "companyId" => NodeKind::Company,
        "accountId" | "defaultAccountId" => NodeKind::Account,
        "contactId" => NodeKind::Contact,
        "ruleId" => NodeKind::AdminProvisioningRule,
        "administratorId" => NodeKind::Administrator,
        _ => return None,
    })
}

/// `snake_case` column name to the API's `camelCase`.
pub fn camel(column: &str) -> String {
    let mut out = String::with_capacity(column.len());
    let mut upper = false;
    for c in column.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn shown(field: &str, value: &Value) -> Value {
    match (
        reference(field),
        value.as_str().and_then(|s| Uuid::parse_str(s).ok()),
    ) {
        (Some(kind), Some(id)) => json!(encode(kind, id)),
        _ => value.clone(),
    }
}

/// What changed between two versions of a row (`None`: the row did not exist, before a
/// create or after a delete): `{field: {"before": old, "after": new}}` for each field that
/// differs, without hidden fields. A create has no `before`, a delete no `after`.
pub fn changes(
    before: Option<&Map<String, Value>>,
    after: Option<&Map<String, Value>>,
) -> Map<String, Value> {
    let fields = before
        .into_iter()
        .chain(after)
        .flat_map(|row| row.keys())
        .filter(|field| !HIDDEN.contains(&field.as_str()));
    let mut out = Map::new();
    for field in fields {
        if out.contains_key(field) {
            continue;
        }
        // A row that does not exist has every field null: a create (or delete) records
        // only the fields it sets (or cleared), not `null → null`.
        let old = before
            .and_then(|row| row.get(field))
            .unwrap_or(&Value::Null);
        let new = after.and_then(|row| row.get(field)).unwrap_or(&Value::Null);
        if old == new {
            continue;
        }
        let mut change = Map::new();
        if before.is_some() {
            change.insert("before".into(), shown(field, old));
        }
        if after.is_some() {
            change.insert("after".into(), shown(field, new));
        }
        out.insert(field.clone(), Value::Object(change));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn an_update_records_only_what_changed() {
        let before = row(json!({"id": "x", "name": "Acme", "autoProvisionLearners": true}));
        let after = row(json!({"id": "x", "name": "Acme", "autoProvisionLearners": false}));
        assert_eq!(
            Value::Object(changes(Some(&before), Some(&after))),
            json!({"autoProvisionLearners": {"before": true, "after": false}})
        );
        assert!(changes(Some(&before), Some(&before)).is_empty());
    }

    #[test]
    fn creates_and_deletes_have_one_side_and_never_show_secrets() {
        let token = row(json!({"id": "x", "name": "ci", "secretHash": "abc", "role": "owner"}));
        assert_eq!(
            Value::Object(changes(None, Some(&token))),
            json!({"name": {"after": "ci"}, "role": {"after": "owner"}})
        );
        assert_eq!(
            Value::Object(changes(Some(&token), None)),
            json!({"name": {"before": "ci"}, "role": {"before": "owner"}})
        );
    }

    #[test]
    fn a_create_or_delete_records_no_field_that_is_null() {
        let token = row(json!({"id": "x", "name": "ci", "brandId": null, "expiresAt": null}));
        assert_eq!(
            Value::Object(changes(None, Some(&token))),
            json!({"name": {"after": "ci"}})
        );
        assert_eq!(
            Value::Object(changes(Some(&token), None)),
            json!({"name": {"before": "ci"}})
        );
    }

    #[test]
    fn references_are_global_ids_and_nulls_are_kept() {
        let id = Uuid::now_v7();
        let before = row(json!({"defaultAccountId": id.to_string()}));
        let after = row(json!({"defaultAccountId": null}));
        assert_eq!(
            Value::Object(changes(Some(&before), Some(&after))),
            json!({"defaultAccountId": {"before": encode(NodeKind::Account, id), "after": null}})
        );
    }

    #[test]
    fn column_names_become_camel_case() {
        assert_eq!(camel("default_account_id"), "defaultAccountId");
        assert_eq!(camel("name"), "name");
    }
}
