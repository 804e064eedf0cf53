//! A SCIM Group (RFC 7643 §4.2) of one configuration: a display name, an external id and
//! members, who are users of the same configuration.
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{
    GROUP_SCHEMA, ScimError,
    user::{Meta, check_schemas, elements, member, object, text},
};

const DISPLAY_NAME_MAX: usize = 400;
const EXTERNAL_ID_MAX: usize = 1024;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupData {
    pub display_name: String,
    pub external_id: Option<String>,
    /// SCIM user ids, each once, in the order sent.
    pub members: Vec<Uuid>,
    /// Member values that cannot be user ids. They are ignored, as members that are not users
    /// of the configuration are: an IdP that pushes a group before its users (or a member we
    /// never received) must not lose the whole group.
    pub ignored: Vec<String>,
}

/// Reads a Group from a create, replace or patched representation.
pub fn parse(body: &Value) -> Result<GroupData, ScimError> {
    let body = object(body, "Group")?;
    check_schemas(body, GROUP_SCHEMA)?;
    let display_name = text(body, "displayName", "displayName", DISPLAY_NAME_MAX)?
        .ok_or_else(|| ScimError::invalid_value("displayName: required, and may not be blank"))?;
    let mut members = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut ignored = Vec::new();
    for (i, m) in elements(body, "members")?.iter().enumerate() {
        let path = format!("members[{i}]");
        let m = m.as_object().ok_or_else(|| {
            ScimError::invalid_value(format!("{path}: must be an object with a value"))
        })?;
        if member(m, "type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.eq_ignore_ascii_case("group"))
        {
            return Err(ScimError::invalid_value(format!(
                "{path}.type: groups cannot be members of groups here"
            )));
        }
        let raw = text(m, "value", &format!("{path}.value"), EXTERNAL_ID_MAX)?
            .ok_or_else(|| ScimError::invalid_value(format!("{path}.value: required")))?;
        match Uuid::parse_str(&raw) {
            Ok(id) if seen.insert(id) => members.push(id),
            Ok(_) => {}
            Err(_) => ignored.push(raw),
        }
    }
    Ok(GroupData {
        external_id: text(body, "externalId", "externalId", EXTERNAL_ID_MAX)?,
        display_name,
        members,
        ignored,
    })
}

/// A Group as we return it; `members` are user ids, or `None` when the caller asked not to
/// see them (they may be many). A member is returned as it is written (value, `$ref`, type),
/// so what a client PATCHes in reads back the same.
pub fn render(
    id: Uuid,
    group: &GroupData,
    members: Option<&[Uuid]>,
    base: &str,
    meta: &Meta,
) -> Value {
    let mut body = Map::new();
    body.insert("schemas".into(), json!([GROUP_SCHEMA]));
    body.insert("id".into(), id.to_string().into());
    body.insert("displayName".into(), group.display_name.clone().into());
    if let Some(e) = &group.external_id {
        body.insert("externalId".into(), e.clone().into());
    }
    if let Some(members) = members {
        let members: Vec<Value> = members
            .iter()
            .map(|id| {
                json!({
                    "value": id.to_string(),
                    "type": "User",
                    "$ref": format!("{base}/Users/{id}"),
                })
            })
            .collect();
        body.insert("members".into(), members.into());
    }
    body.insert("meta".into(), meta.to_json());
    body.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_user_ids_without_duplicates() {
        let a = Uuid::now_v7();
        let g = parse(&json!({
            "schemas": [GROUP_SCHEMA],
            "displayName": "Sales",
            "members": [{"value": a.to_string(), "display": "x"}, {"value": a.to_string()}]
        }))
        .unwrap();
        assert_eq!(g.members, vec![a]);
        assert_eq!(g.display_name, "Sales");
    }

    #[test]
    fn bad_members_name_the_element() {
        let g = parse(&json!({"displayName": "x", "members": [{"value": "nope"}]})).unwrap();
        assert_eq!(g.ignored, vec!["nope".to_owned()]);
        assert!(g.members.is_empty());
        let e =
            parse(&json!({"displayName": "x", "members": [{"display": "no value"}]})).unwrap_err();
        assert!(e.detail.contains("members[0].value"), "{}", e.detail);
        let e = parse(&json!({"displayName": "x", "members": [{"value": Uuid::now_v7().to_string(), "type": "Group"}]})).unwrap_err();
        assert!(e.detail.contains("members[0].type"), "{}", e.detail);
        assert!(
            parse(&json!({"members": []}))
                .unwrap_err()
                .detail
                .contains("displayName")
        );
    }
}
