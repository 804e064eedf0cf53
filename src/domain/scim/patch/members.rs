//! The membership PATCH: the one IdPs send whenever a person joins or leaves a group (Entra's
//! `{"op":"Add","path":"members","value":[{"value":"<id>"}]}`, Okta's
//! `{"op":"remove","path":"members[value eq \"<id>\"]"}`). Read on the message alone, it says
//! which users end up in the group and which out of it, so the service can write those
//! memberships without reading, rendering or patching a group that may have 100,000 members.
use std::collections::HashMap;

use uuid::Uuid;

use super::limits::{is_members, value_eq};
use super::*;

/// What a membership PATCH does: the users it adds and the users it removes, each once, in
/// the order first named. A user named by several operations ends as the last one says (an
/// add then a remove of the same user removes it), as applying them in order would.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberChanges {
    pub added: Vec<Uuid>,
    pub removed: Vec<Uuid>,
}

impl MemberChanges {
    /// Every user named, added or removed.
    pub fn named(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.added.iter().chain(&self.removed).copied()
    }
}

/// The member changes of a (checked, see [`check`]) group PATCH whose every operation adds
/// or removes members by user id:
///
/// - `add` on `members` (an array of members or one member), or a pathless `add` whose only
///   attribute is `members`;
/// - `remove` on `members[value eq "<id>"]`, and Entra's `remove` on `members` with the
///   members listed in `value`.
///
/// A member is an object with a `value` that is a user id, and optionally `display` and
/// `$ref` (which are not stored) and `type` `User`. Anything else (another attribute, a
/// `replace`, a filter on something else, a value that is no id, a `type` other than User,
/// an unknown sub-attribute) is `None`: the PATCH is applied to the group's representation,
/// which refuses or ignores what it must exactly as it always has. So this takes only what
/// applying the PATCH would do without error, and does the same.
pub fn member_changes(body: &Value) -> Option<MemberChanges> {
    let ops = operations(body).ok()?;
    // For each user: whether the last operation naming it adds it, and when it was first named.
    let mut last: HashMap<Uuid, (usize, bool)> = HashMap::new();
    let mut order = 0;
    for raw in ops {
        let (op, path, value) = parts(raw).ok()?;
        let (adds, ids) = match (op, path) {
            (Op::Add, Some(PatchPath::Attr(attr)))
                if is_members(&attr) && attr.sub_attr.is_none() =>
            {
                (true, listed(value?)?)
            }
            (Op::Add, None) => {
                let Value::Object(attrs) = value? else {
                    return None;
                };
                let mut attrs = attrs.iter();
                let (key, members) = attrs.next()?;
                let Ok(PatchPath::Attr(attr)) = parse_path(key) else {
                    return None;
                };
                if attrs.next().is_some() || !is_members(&attr) || attr.sub_attr.is_some() {
                    return None;
                }
                (true, listed(members)?)
            }
            (Op::Remove, Some(PatchPath::Attr(attr)))
                if is_members(&attr) && attr.sub_attr.is_none() =>
            {
                // Without a value, `remove members` removes every member: not a change of
                // named members.
                (false, listed(value.filter(|v| !v.is_null())?)?)
            }
            (Op::Remove, Some(PatchPath::Value(vp)))
                if is_members(&vp.attr) && vp.sub_attr.is_none() =>
            {
                if value.is_some_and(|v| !v.is_null()) {
                    return None;
                }
                (false, vec![value_eq(&vp.filter)??])
            }
            _ => return None,
        };
        for id in ids {
            let first = last.get(&id).map_or(order, |(first, _)| *first);
            last.insert(id, (first, adds));
            order += 1;
        }
    }
    let mut named: Vec<(usize, Uuid, bool)> = last
        .into_iter()
        .map(|(id, (first, adds))| (first, id, adds))
        .collect();
    named.sort_unstable();
    let mut changes = MemberChanges::default();
    for (_, id, adds) in named {
        if adds {
            changes.added.push(id);
        } else {
            changes.removed.push(id);
        }
    }
    Some(changes)
}

/// The user ids of a list of members (or of one member), or `None` when any element is not
/// a plain member by id.
fn listed(value: &Value) -> Option<Vec<Uuid>> {
    match value {
        Value::Array(items) => items.iter().map(member_id).collect(),
        Value::Object(_) => Some(vec![member_id(value)?]),
        _ => None,
    }
}

/// A member element's user id: `value` an id, `type` (if any) User, `display` and `$ref`
/// (if any) text; nothing else.
fn member_id(element: &Value) -> Option<Uuid> {
    let element = element.as_object()?;
    let mut id = None;
    for (key, v) in element {
        if eq_ci(key, "value") {
            id = Some(Uuid::parse_str(v.as_str()?.trim()).ok()?);
        } else if eq_ci(key, "type") {
            if !(v.is_null() || v.as_str().is_some_and(|t| eq_ci(t, "User"))) {
                return None;
            }
        } else if !(eq_ci(key, "display") || eq_ci(key, "$ref")) || !(v.is_null() || v.is_string())
        {
            return None;
        }
    }
    id
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn message(ops: Value) -> Value {
        json!({"schemas": [PATCH_SCHEMA], "Operations": ops})
    }

    /// The ids of a group representation's members, sorted.
    fn members_of(doc: &Value) -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = doc["members"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|m| m["value"].as_str().and_then(|s| Uuid::parse_str(s).ok()))
                    .collect()
            })
            .unwrap_or_default();
        ids.sort();
        ids.dedup();
        ids
    }

    #[test]
    fn what_entra_and_okta_send_for_a_membership_is_a_member_change() {
        let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let entra = message(json!([
            {"op": "Add", "path": "members", "value": [{"$ref": null, "value": a.to_string()}]},
            {"op": "Remove", "path": "members", "value": [{"$ref": null, "value": b.to_string()}]}
        ]));
        assert_eq!(
            member_changes(&entra),
            Some(MemberChanges {
                added: vec![a],
                removed: vec![b]
            })
        );
        let okta = message(json!([
            {"op": "add", "path": "members", "value": [{"value": c.to_string(), "display": "c@example.com"}]},
            {"op": "remove", "path": format!("members[value eq \"{a}\"]")},
            {"op": "add", "value": {"members": [{"value": b.to_string(), "type": "User"}]}},
            {"op": "add", "path": "urn:ietf:params:scim:schemas:core:2.0:Group:members",
             "value": {"value": a.to_string()}}
        ]));
        // a: added by the last operation; b: added; c: added.
        assert_eq!(
            member_changes(&okta),
            Some(MemberChanges {
                added: vec![c, a, b],
                removed: vec![]
            })
        );
    }

    #[test]
    fn anything_else_goes_the_general_way() {
        let a = Uuid::now_v7().to_string();
        for ops in [
            json!([{"op": "replace", "path": "members", "value": [{"value": a}]}]),
            json!([{"op": "remove", "path": "members"}]),
            json!([{"op": "remove", "path": "members[type eq \"User\"]"}]),
            json!([{"op": "remove", "path": format!("members[value eq \"{a}\"].display")}]),
            json!([{"op": "remove", "path": "members[value eq \"not an id\"]"}]),
            json!([{"op": "add", "path": "members", "value": [{"value": "fake-member-id"}]}]),
            json!([{"op": "add", "path": "members", "value": [{"value": a, "type": "Group"}]}]),
            json!([{"op": "add", "path": "members", "value": [{"value": a, "primary": true}]}]),
            json!([{"op": "add", "path": "members", "value": a}]),
            json!([{"op": "add", "path": "members.value", "value": a}]),
            json!([{"op": "add", "value": {"members": [{"value": a}], "displayName": "x"}}]),
            json!([{"op": "add", "path": "members", "value": [{"value": a}]},
                   {"op": "replace", "path": "displayName", "value": "x"}]),
            json!([{"op": "move", "path": "members"}]),
        ] {
            assert_eq!(member_changes(&message(ops.clone())), None, "{ops}");
        }
    }

    /// What the membership changes say is what applying the PATCH to the group does.
    #[test]
    fn member_changes_are_what_applying_the_patch_does() {
        let members: Vec<Uuid> = (0..6).map(|_| Uuid::now_v7()).collect();
        let outsider = Uuid::now_v7();
        let doc = json!({"schemas": [GROUP_SCHEMA], "displayName": "Sales",
            "members": members[..4].iter().map(|m| json!({"value": m.to_string(), "type": "User"})).collect::<Vec<_>>()});
        let body = message(json!([
            {"op": "remove", "path": format!("members[value eq \"{}\"]", members[0])},
            {"op": "Remove", "path": "members", "value": [{"value": members[1].to_string()}, {"value": outsider.to_string()}]},
            {"op": "add", "path": "members", "value": [{"value": members[4].to_string()}, {"value": members[2].to_string()}]},
            {"op": "add", "path": "members", "value": {"value": members[5].to_string()}},
            {"op": "remove", "path": format!("members[value eq \"{}\"]", members[5])}
        ]));
        let changes = member_changes(&body).expect("a membership PATCH");
        let applied = members_of(&apply(&doc, &body, Kind::Group).unwrap());
        let mut expected: Vec<Uuid> = members[..4]
            .iter()
            .copied()
            .filter(|m| !changes.removed.contains(m))
            .chain(changes.added.iter().copied())
            .collect();
        expected.sort();
        expected.dedup();
        assert_eq!(applied, expected);
        assert_eq!(
            changes.removed,
            vec![members[0], members[1], outsider, members[5]]
        );
        assert_eq!(changes.added, vec![members[4], members[2]]);
    }
}
