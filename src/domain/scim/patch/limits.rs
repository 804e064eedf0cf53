//! What a PATCH may ask for, checked on the message alone, before the resource is read: a
//! request that can only fail a limit fails here, in time proportional to its size, and never
//! reaches the database (let alone the write lock).
use uuid::Uuid;

use super::*;
use crate::domain::scim::user::CONTACTABLES_MAX;

/// The most operations one PATCH may carry. Okta and Entra send a handful for a user (one per
/// changed attribute) and put a group's member changes in the `value` list of a few
/// operations; a group PATCH of Entra's batches stays far below the group limit.
pub const fn max_operations(kind: Kind) -> usize {
    match kind {
        Kind::User => 100,
        Kind::Group => 1000,
    }
}

/// Checks the envelope, each operation's `op` and `path`, the number of operations and, for
/// a User, that no operation gives a multi-valued attribute more values than a user keeps.
pub fn check(body: &Value, kind: Kind) -> Result<(), ScimError> {
    let ops = operations(body)?;
    let max = max_operations(kind);
    if ops.len() > max {
        return Err(ScimError::invalid_value(format!(
            "Operations: at most {max} in one PATCH of a {}, not {}",
            kind.name(),
            ops.len()
        )));
    }
    for (i, op) in ops.iter().enumerate() {
        check_operation(op, kind).map_err(|e| locate(e, i, op))?;
    }
    Ok(())
}

fn check_operation(raw: &Value, kind: Kind) -> Result<(), ScimError> {
    let (_, path, value) = parts(raw)?;
    if kind != Kind::User {
        return Ok(());
    }
    match (path, value) {
        (Some(PatchPath::Attr(attr)), Some(value)) => too_many(kind, &attr.name, value),
        (None, Some(Value::Object(attrs))) => {
            for (key, v) in attrs {
                if let Ok(PatchPath::Attr(attr)) = parse_path(key) {
                    too_many(kind, &attr.name, v)?;
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// A user keeps at most [`CONTACTABLES_MAX`] values of a multi-valued attribute (`groups`,
/// which Okta echoes whole and which is read-only, aside): more in one operation can only
/// be refused, so it is refused before any work.
fn too_many(kind: Kind, name: &str, value: &Value) -> Result<(), ScimError> {
    match value {
        Value::Array(items)
            if items.len() > CONTACTABLES_MAX && kind.is_multi(name) && !eq_ci(name, "groups") =>
        {
            Err(ScimError::invalid_value(format!(
                "{name}: at most {CONTACTABLES_MAX} are kept, and this operation gives {}",
                items.len()
            )))
        }
        _ => Ok(()),
    }
}

/// Which of a group's members a (checked) PATCH can change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemberReach {
    /// Only these: the operations add, remove or address members by their ids. The PATCH
    /// gives the same result on a representation holding only those of them who are members
    /// as on the whole group.
    Named(Vec<Uuid>),
    /// Every member, but the result does not depend on them: the first operation on members
    /// sets the whole list (`replace members`, a pathless replace of `members`, `remove
    /// members`). The PATCH gives the same result on a representation without members as on
    /// the whole group, and its result's members are the group's new members.
    Replaced,
    /// Possibly every member, in a way that depends on them (a filter on something else than
    /// `value eq`, `replace members.value`): the whole membership is needed.
    All,
}

/// The members a group PATCH names, or [`MemberReach::Replaced`] when it replaces them all
/// first, or [`MemberReach::All`] when its effect may depend on the others. Operations on
/// other attributes name none.
pub fn member_reach(body: &Value) -> MemberReach {
    let Ok(ops) = operations(body) else {
        return MemberReach::All;
    };
    if replaces_members_first(ops) {
        return MemberReach::Replaced;
    }
    let mut named: Vec<Uuid> = Vec::new();
    for raw in ops {
        let Ok((op, path, value)) = parts(raw) else {
            return MemberReach::All;
        };
        let reach = match path {
            None => match value {
                Some(Value::Object(attrs)) => {
                    let mut reach = Some(Vec::new());
                    for (key, v) in attrs {
                        let Ok(PatchPath::Attr(attr)) = parse_path(key) else {
                            continue;
                        };
                        if is_members(&attr) {
                            reach = match (op, &attr.sub_attr) {
                                (Op::Add, None) => reach.map(|mut r| {
                                    r.extend(ids_in(Some(v)));
                                    r
                                }),
                                _ => None,
                            };
                        }
                    }
                    reach
                }
                _ => Some(Vec::new()),
            },
            Some(PatchPath::Attr(attr)) if is_members(&attr) => {
                match (op, attr.sub_attr.as_deref(), value.filter(|v| !v.is_null())) {
                    (Op::Add, None | Some("value"), v) => Some(ids_in(v)),
                    // Entra's remove of listed members.
                    (Op::Remove, None, Some(v)) => Some(ids_in(Some(v))),
                    _ => None,
                }
            }
            Some(PatchPath::Value(vp)) if is_members(&vp.attr) => value_eq(&vp.filter).map(|id| {
                let mut r: Vec<Uuid> = id.into_iter().collect();
                r.extend(ids_in(value));
                r
            }),
            Some(_) => Some(Vec::new()),
        };
        match reach {
            Some(ids) => named.extend(ids),
            None => return MemberReach::All,
        }
    }
    let mut seen = std::collections::HashSet::new();
    named.retain(|id| seen.insert(*id));
    MemberReach::Named(named)
}

/// Whether the first operation on members sets the whole list, so that what the PATCH does
/// depends on no current member.
fn replaces_members_first(ops: &[Value]) -> bool {
    for raw in ops {
        let Ok((op, path, value)) = parts(raw) else {
            return false;
        };
        let whole = |attr: &AttrPath| {
            attr.sub_attr.is_none()
                && (op == Op::Replace || (op == Op::Remove && value.is_none_or(Value::is_null)))
        };
        match path {
            Some(PatchPath::Attr(attr)) if is_members(&attr) => return whole(&attr),
            Some(PatchPath::Value(vp)) if is_members(&vp.attr) => return false,
            Some(_) => {}
            None => {
                let Some(Value::Object(attrs)) = value else {
                    continue;
                };
                let mut touched = None;
                for key in attrs.keys() {
                    let replaced = match parse_path(key) {
                        Ok(PatchPath::Attr(attr)) if is_members(&attr) => whole(&attr),
                        Ok(PatchPath::Value(vp)) if is_members(&vp.attr) => false,
                        _ => continue,
                    };
                    touched = Some(touched.unwrap_or(true) && replaced);
                }
                if let Some(replaced) = touched {
                    return replaced;
                }
            }
        }
    }
    false
}

pub(super) fn is_members(attr: &AttrPath) -> bool {
    eq_ci(&attr.name, "members")
        && attr
            .uri
            .as_deref()
            .is_none_or(|uri| eq_ci(uri, Kind::Group.core_schema()))
}

/// `value eq "x"`: the member it selects (`None` inside when `x` is no id, which selects no
/// member); anything else is `None`.
pub(super) fn value_eq(filter: &ValFilter) -> Option<Option<Uuid>> {
    match filter {
        ValFilter::Attr(AttrExp::Comparison(path, CompareOp::Eq, CompValue::Str(s)))
            if eq_ci(&path.name, "value") && path.sub_attr.is_none() && path.uri.is_none() =>
        {
            Some(Uuid::parse_str(s).ok())
        }
        _ => None,
    }
}

/// The member ids a value (a list of members, one member, or a bare id) carries.
fn ids_in(value: Option<&Value>) -> Vec<Uuid> {
    let Some(value) = value else {
        return Vec::new();
    };
    as_elements(&canon_value(value))
        .iter()
        .filter_map(|e| sub_value(e, "value"))
        .filter_map(Value::as_str)
        .filter_map(|s| Uuid::parse_str(s.trim()).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn message(ops: Value) -> Value {
        json!({"schemas": [PATCH_SCHEMA], "Operations": ops})
    }

    fn numbers(count: usize) -> Value {
        (0..count)
            .map(|i| json!({"value": i.to_string()}))
            .collect()
    }

    #[test]
    fn a_user_patch_over_a_limit_is_refused_naming_the_attribute() {
        let e = check(
            &message(json!([{"op": "add", "path": "phoneNumbers", "value": numbers(11)}])),
            Kind::User,
        )
        .unwrap_err();
        assert_eq!(e.status, 400);
        assert!(
            e.detail.contains("Operations[0]") && e.detail.contains("phoneNumbers"),
            "{}",
            e.detail
        );
        let e = check(
            &message(json!([{"op": "Replace", "value": {"emails": numbers(11)}}])),
            Kind::User,
        )
        .unwrap_err();
        assert!(e.detail.contains("emails"), "{}", e.detail);
        let many: Vec<Value> = (0..=max_operations(Kind::User))
            .map(|_| json!({"op": "replace", "path": "title", "value": "x"}))
            .collect();
        let e = check(&message(Value::from(many)), Kind::User).unwrap_err();
        assert!(e.detail.starts_with("Operations:"), "{}", e.detail);
    }

    #[test]
    fn what_okta_and_entra_send_passes() {
        // Okta's pathless replace echoes every group the user is in.
        let groups: Vec<Value> = (0..50)
            .map(|_| json!({"value": Uuid::now_v7().to_string()}))
            .collect();
        let okta = message(json!([{"op": "replace", "value": {"groups": groups,
            "phoneNumbers": numbers(10), "name.givenName": "Ann"}}]));
        assert!(check(&okta, Kind::User).is_ok());
        let entra = message(json!([
            {"op": "Add", "path": "phoneNumbers[type eq \"work\"].value", "value": "1"},
            {"op": "Replace", "path": "active", "value": "False"}
        ]));
        assert!(check(&entra, Kind::User).is_ok());
        // A group's member list is not a user's phone list.
        let members: Vec<Value> = (0..2000)
            .map(|_| json!({"value": Uuid::now_v7().to_string()}))
            .collect();
        assert!(
            check(
                &message(json!([{"op": "add", "path": "members", "value": members}])),
                Kind::Group
            )
            .is_ok()
        );
    }

    #[test]
    fn malformed_operations_are_refused_by_the_check() {
        for (ops, needle) in [
            (json!([{"op": "move", "path": "title"}]), "\"op\""),
            (
                json!([{"op": "add", "path": "emails[type eq"}]),
                "cannot parse path",
            ),
            (json!([]), "at least one"),
        ] {
            let e = check(&message(ops), Kind::Group).unwrap_err();
            assert!(e.detail.contains(needle), "{}", e.detail);
        }
    }

    #[test]
    fn member_reach_names_the_members_an_operation_touches() {
        let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let named = member_reach(&message(json!([
            {"op": "remove", "path": format!("members[value eq \"{a}\"]")},
            {"op": "add", "path": "members", "value": [{"value": b.to_string()}]},
            {"op": "Remove", "path": "members", "value": [{"value": c.to_string()}, {"value": "not an id"}]},
            {"op": "replace", "path": "displayName", "value": "Sales"},
            {"op": "add", "value": {"members": [{"value": a.to_string()}], "externalId": "x"}}
        ])));
        assert_eq!(named, MemberReach::Named(vec![a, b, c]));
        for replaced in [
            json!([{"op": "remove", "path": "members"}]),
            json!([{"op": "replace", "path": "members", "value": [{"value": a.to_string()}]}]),
            json!([{"op": "replace", "value": {"members": []}}]),
            json!([{"op": "replace", "path": "displayName", "value": "x"},
                   {"op": "Replace", "path": "members", "value": []},
                   {"op": "add", "path": "members", "value": [{"value": a.to_string()}]}]),
        ] {
            assert_eq!(
                member_reach(&message(replaced.clone())),
                MemberReach::Replaced,
                "{replaced}"
            );
        }
        for all in [
            json!([{"op": "remove", "path": "members[type eq \"User\"]"}]),
            json!([{"op": "replace", "path": "members.value", "value": a.to_string()}]),
            json!([{"op": "remove", "path": "members[type eq \"User\"]"},
                   {"op": "replace", "path": "members", "value": []}]),
        ] {
            assert_eq!(
                member_reach(&message(all.clone())),
                MemberReach::All,
                "{all}"
            );
        }
    }

    /// What a PATCH that replaces the members first does to a representation without members
    /// is what it does to the whole group.
    #[test]
    fn a_replacing_patch_does_not_depend_on_the_members() {
        let members: Vec<Uuid> = (0..5).map(|_| Uuid::now_v7()).collect();
        let doc = |ids: &[Uuid]| {
            let members: Vec<Value> = ids
                .iter()
                .map(|id| json!({"value": id.to_string(), "type": "User"}))
                .collect();
            json!({"schemas": [GROUP_SCHEMA], "displayName": "Sales", "members": members})
        };
        let body = message(json!([
            {"op": "replace", "path": "members", "value": [{"value": members[1].to_string()}, {"value": members[4].to_string()}]},
            {"op": "remove", "path": format!("members[value eq \"{}\"]", members[4])},
            {"op": "add", "path": "members", "value": [{"value": members[2].to_string()}]}
        ]));
        assert_eq!(member_reach(&body), MemberReach::Replaced);
        let whole = apply(&doc(&members), &body, Kind::Group).unwrap();
        let bare = apply(&doc(&[]), &body, Kind::Group).unwrap();
        assert_eq!(whole["members"], bare["members"]);
    }

    /// What a PATCH naming members does to a representation holding only the named members
    /// who belong to the group is what it does to the whole group.
    #[test]
    fn a_named_patch_changes_the_same_members_on_the_named_part_of_the_group() {
        let members: Vec<Uuid> = (0..40).map(|_| Uuid::now_v7()).collect();
        let outsider = Uuid::now_v7();
        let doc = |ids: &[Uuid]| {
            let members: Vec<Value> = ids
                .iter()
                .map(|id| json!({"value": id.to_string(), "type": "User"}))
                .collect();
            json!({"schemas": [GROUP_SCHEMA], "displayName": "Sales", "members": members})
        };
        let body = message(json!([
            {"op": "remove", "path": format!("members[value eq \"{}\"]", members[3])},
            {"op": "Remove", "path": "members", "value": [{"value": members[7].to_string()}, {"value": outsider.to_string()}]},
            {"op": "add", "path": "members", "value": [{"value": outsider.to_string()}, {"value": members[9].to_string()}]},
            {"op": "replace", "path": "displayName", "value": "Sales EU"}
        ]));
        let MemberReach::Named(named) = member_reach(&body) else {
            panic!("named")
        };
        let part: Vec<Uuid> = members
            .iter()
            .copied()
            .filter(|m| named.contains(m))
            .collect();
        let ids = |v: &Value| -> Vec<String> {
            let mut ids: Vec<String> = v["members"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|m| m["value"].as_str().unwrap_or("").to_owned())
                        .collect()
                })
                .unwrap_or_default();
            ids.sort();
            ids
        };
        let whole = apply(&doc(&members), &body, Kind::Group).unwrap();
        let partial = apply(&doc(&part), &body, Kind::Group).unwrap();
        let untouched: Vec<String> = members
            .iter()
            .filter(|m| !named.contains(m))
            .map(|m| m.to_string())
            .collect();
        let mut rebuilt = ids(&partial);
        rebuilt.extend(untouched);
        rebuilt.sort();
        assert_eq!(rebuilt, ids(&whole));
        assert_eq!(whole["displayName"], partial["displayName"]);
    }
}
