use super::super::ScimType;
use super::*;
use serde_json::json;

const UID: &str = "2819c223-7f76-453a-919d-413861904646";
const MGR: &str = "26118915-6090-4610-87e4-49d8ca9f808d";

fn user() -> Value {
    json!({
        "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
        "id": UID,
        "externalId": "ext-1",
        "userName": "bjensen@example.com",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "displayName": "Babs Jensen",
        "title": "Tour Guide",
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}],
        "phoneNumbers": [{"value": "555-555-8377", "type": "work", "primary": true}],
        "active": true,
        "groups": [{"value": "e9e30dba-f08f-4109-8486-d5c6a331660a", "display": "Tour Guides"}],
        ENTERPRISE_SCHEMA: {
            "department": "Tour Operations",
            "employeeNumber": "701984",
            "organization": "Universal Studios",
            "manager": {"value": MGR}
        },
        "meta": {"resourceType": "User", "version": "W/\"1\""}
    })
}

/// A user as Entra first provisions one: no emails, no extension.
fn bare_user() -> Value {
    json!({
        "schemas": [USER_SCHEMA],
        "id": UID,
        "userName": "ryan@contoso.com",
        "active": true,
        "meta": {"resourceType": "User"}
    })
}

fn group() -> Value {
    json!({
        "schemas": [GROUP_SCHEMA],
        "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
        "displayName": "Tour Guides",
        "externalId": "g-1",
        "members": [
            {"value": "id1", "display": "One", "type": "User"},
            {"value": "id2", "display": "Two", "type": "User"}
        ],
        "meta": {"resourceType": "Group"}
    })
}

fn patch(ops: Value) -> Value {
    json!({"schemas": [PATCH_SCHEMA], "Operations": ops})
}

/// The kind of a test resource: a Group when its schemas say so.
fn kind_of(doc: &Value) -> Kind {
    match doc["schemas"].as_array() {
        Some(schemas) if schemas.contains(&json!(GROUP_SCHEMA)) => Kind::Group,
        _ => Kind::User,
    }
}

/// PATCH operations applied to a test resource as its kind.
trait Patched {
    /// `ops` applied, which must succeed.
    fn ok(&self, ops: Value) -> Value;
    /// `ops` applied, which must fail.
    fn err(&self, ops: Value) -> ScimError;
}

impl Patched for Value {
    fn ok(&self, ops: Value) -> Value {
        ok_body(self, patch(ops), kind_of(self))
    }

    fn err(&self, ops: Value) -> ScimError {
        err_body(self, patch(ops), kind_of(self))
    }
}

fn ok_body(doc: &Value, body: Value, kind: Kind) -> Value {
    match apply(doc, &body, kind) {
        Ok(v) => v,
        Err(e) => panic!("unexpected error: {e:?}"),
    }
}

fn err_body(doc: &Value, body: Value, kind: Kind) -> ScimError {
    match apply(doc, &body, kind) {
        Ok(v) => panic!("expected an error, got {v}"),
        Err(e) => e,
    }
}

fn member_ids(doc: &Value) -> Vec<&str> {
    doc["members"]
        .as_array()
        .map(|a| a.iter().filter_map(|m| m["value"].as_str()).collect())
        .unwrap_or_default()
}

mod providers;
mod semantics;
