//! A SCIM Group (RFC 7643 §4.2) of one configuration: a display name, an external id and
//! members, who are users of the same configuration.
use serde::{
    Serialize, Serializer,
    ser::{SerializeMap, SerializeSeq},
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{
    GROUP_SCHEMA, ScimError,
    project::Selection,
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

/// Whether a create or replace body sends `members` (an empty list included): the client
/// specified them, so the answer shows them (RFC 7643 §7 `returned: request`).
pub fn sends_members(body: &Value) -> bool {
    body.as_object()
        .is_some_and(|body| member(body, "members").is_some())
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

/// A group's `members` as returned: each member's `value`, `type` and `$ref` (as the
/// selection keeps them), the same as [`render`] writes. They are written out one by one, from
/// their ids, as the response is serialized ([`WithMembers`]): a group of 100,000 members is
/// 100,000 ids in memory (1.6 MB) and its answer, never 100,000 JSON objects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Members {
    ids: Vec<Uuid>,
    /// `{base}/Users/`: each member's `$ref` is this and its id.
    users: String,
    value: bool,
    kind: bool,
    reference: bool,
}

impl Members {
    /// The members `ids` (in the order given), with the sub-attributes `selection` keeps.
    pub fn new(ids: Vec<Uuid>, base: &str, selection: &Selection) -> Self {
        Self {
            ids,
            users: format!("{base}/Users/"),
            value: selection.keeps_sub("members", "value"),
            kind: selection.keeps_sub("members", "type"),
            reference: selection.keeps_sub("members", "$ref"),
        }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

impl Serialize for Members {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let fields = usize::from(self.value) + usize::from(self.kind) + usize::from(self.reference);
        let mut seq = serializer.serialize_seq(Some(self.ids.len()))?;
        for id in &self.ids {
            seq.serialize_element(&Member {
                id,
                of: self,
                fields,
            })?;
        }
        seq.end()
    }
}

/// One member of [`Members`], written as [`render`] writes it.
struct Member<'a> {
    id: &'a Uuid,
    of: &'a Members,
    fields: usize,
}

impl Serialize for Member<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.fields))?;
        if self.of.value {
            map.serialize_entry("value", &self.id.hyphenated())?;
        }
        if self.of.kind {
            map.serialize_entry("type", "User")?;
        }
        if self.of.reference {
            let reference = format_args!("{}{}", self.of.users, self.id.hyphenated());
            map.serialize_entry("$ref", &reference)?;
        }
        map.end()
    }
}

/// A rendered group (an object) with its members written in before `meta` (or last when
/// there is none), as [`render`] places them.
pub struct WithMembers<'a> {
    pub body: &'a Value,
    pub members: &'a Members,
}

impl Serialize for WithMembers<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Some(body) = self.body.as_object() else {
            return self.body.serialize(serializer);
        };
        let mut map = serializer.serialize_map(Some(body.len() + 1))?;
        let mut written = false;
        for (key, value) in body {
            if key == "meta" && !written {
                map.serialize_entry("members", self.members)?;
                written = true;
            }
            map.serialize_entry(key, value)?;
        }
        if !written {
            map.serialize_entry("members", self.members)?;
        }
        map.end()
    }
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

    /// The members written as the body is serialized read as [`render`] writes them.
    #[test]
    fn streamed_members_read_as_rendered_ones() {
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let meta = Meta {
            resource_type: "Group",
            created: chrono::Utc::now(),
            last_modified: chrono::Utc::now(),
            location: "https://x/scim/v2/Groups/1".into(),
        };
        let data = GroupData {
            display_name: "Sales".into(),
            ..Default::default()
        };
        let base = "https://x/scim/v2";
        let rendered = render(Uuid::nil(), &data, Some(&ids), base, &meta);
        let bare = render(Uuid::nil(), &data, None, base, &meta);
        let all = Selection::default();
        let members = Members::new(ids.clone(), base, &all);
        let streamed = serde_json::to_string(&WithMembers {
            body: &bare,
            members: &members,
        })
        .unwrap();
        // The same keys in the same order.
        assert_eq!(streamed, rendered.to_string());
        let value_only = Selection::parse(Some("members.value"), None).unwrap();
        let members = Members::new(ids.clone(), base, &value_only);
        let streamed: Value = serde_json::from_str(
            &serde_json::to_string(&WithMembers {
                body: &bare,
                members: &members,
            })
            .unwrap(),
        )
        .unwrap();
        assert_eq!(streamed["members"][2], json!({"value": ids[2].to_string()}));
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
