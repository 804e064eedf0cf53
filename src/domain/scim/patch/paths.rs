//! Where a PATCH path points: the attribute (core or extension), whether it may be written,
//! and the object that holds it.
use super::*;

/// Where a path points: an attribute of the resource root or of the enterprise extension
/// object, possibly a sub-attribute of it.
#[derive(Debug)]
pub(super) struct Loc {
    /// Inside the enterprise extension object rather than at the root.
    pub(super) ext: bool,
    pub(super) name: String,
    pub(super) sub: Option<String>,
}

/// Maps a parsed attribute path onto the representation. The crate splits
/// `urn:...:enterprise:2.0:User:manager` into uri `urn:...:enterprise:2.0:User` and name
/// `manager`, but the bare extension URN into uri `urn:...:enterprise:2.0` and name `User`,
/// so the latter names the extension object itself.
pub(super) fn resolve(attr: &AttrPath, kind: Kind) -> Result<Loc, ScimError> {
    let plain = |ext| Loc {
        ext,
        name: attr.name.clone(),
        sub: attr.sub_attr.clone(),
    };
    let Some(uri) = &attr.uri else {
        return Ok(plain(false));
    };
    if eq_ci(uri, kind.core_schema()) {
        return Ok(plain(false));
    }
    if kind == Kind::User {
        if eq_ci(uri, ENTERPRISE_SCHEMA) {
            return Ok(plain(true));
        }
        if eq_ci(&format!("{uri}:{}", attr.name), ENTERPRISE_SCHEMA) {
            return Ok(match &attr.sub_attr {
                None => Loc {
                    ext: false,
                    name: ENTERPRISE_SCHEMA.to_string(),
                    sub: None,
                },
                // `urn:...:2.0:User.department` is not RFC syntax, but its meaning is plain.
                Some(sub) => Loc {
                    ext: true,
                    name: sub.clone(),
                    sub: None,
                },
            });
        }
    }
    Err(ScimError::invalid_path(format!(
        "{uri:?} is not a schema of a {}",
        kind.name()
    )))
}

/// Refuses targets the client may not change (RFC 7643 §3.1, §4.1.2 `mutability`).
pub(super) fn guard(loc: &Loc, op: Op, kind: Kind, value_path: bool) -> Result<(), ScimError> {
    if loc.ext {
        return Ok(());
    }
    let name = loc.name.as_str();
    for ro in ["id", "meta", "schemas"] {
        if eq_ci(name, ro) {
            return Err(ScimError::mutability(format!("{ro} is read-only")));
        }
    }
    if kind == Kind::User && eq_ci(name, "groups") {
        return Err(ScimError::mutability(
            "groups is read-only: change a group's members instead",
        ));
    }
    if kind == Kind::User && eq_ci(name, "password") {
        // Write-only and simple: it can be set, but there is nothing to filter on or to
        // address below it, and clearing it is not a change a client may make by PATCH.
        if value_path || loc.sub.is_some() {
            return Err(ScimError::invalid_path(
                "password is a simple write-only attribute",
            ));
        }
        if op == Op::Remove {
            return Err(ScimError::mutability(
                "password is write-only: it can be replaced, not removed",
            ));
        }
    }
    Ok(())
}

pub(super) fn at_path(
    root: &mut Map<String, Value>,
    op: Op,
    path: &PatchPath,
    value: Option<&Value>,
    kind: Kind,
) -> Result<(), ScimError> {
    match path {
        PatchPath::Attr(attr) => {
            let loc = resolve(attr, kind)?;
            guard(&loc, op, kind, false)?;
            attribute(root, op, &loc, value, kind)?;
        }
        PatchPath::Value(vp) => {
            let loc = resolve(&vp.attr, kind)?;
            if loc.sub.is_some() {
                return Err(ScimError::invalid_path(format!(
                    "a [filter] applies to a multi-valued attribute, not to {}",
                    vp.attr
                )));
            }
            guard(&loc, op, kind, true)?;
            let Some(map) = container(root, loc.ext, op != Op::Remove)? else {
                return Ok(());
            };
            let key = key_for(map, &loc.name);
            let multi = is_multi(kind, &loc, map.get(&key));
            if !multi {
                return Err(ScimError::invalid_path(format!(
                    "{} is not multi-valued, so it takes no [filter]",
                    loc.name
                )));
            }
            elements(
                map,
                &key,
                op,
                Some(&vp.filter),
                vp.sub_attr.as_deref(),
                value,
            )?;
        }
    }
    tidy_extension(root);
    Ok(())
}

/// The object holding the attribute: the root, or the enterprise extension object (created
/// when adding, absent meaning nothing to remove).
pub(super) fn container(
    root: &mut Map<String, Value>,
    ext: bool,
    create: bool,
) -> Result<Option<&mut Map<String, Value>>, ScimError> {
    if !ext {
        return Ok(Some(root));
    }
    let key = key_for(root, ENTERPRISE_SCHEMA);
    let absent = root.get(&key).is_none_or(Value::is_null);
    if absent && !create {
        return Ok(None);
    }
    let slot = root.entry(key).or_insert(Value::Null);
    if slot.is_null() {
        *slot = Value::Object(Map::new());
    }
    match slot {
        Value::Object(m) => Ok(Some(m)),
        _ => Err(ScimError::invalid_path(format!(
            "{ENTERPRISE_SCHEMA} is not an object in this resource"
        ))),
    }
}

/// After an operation: an emptied extension object is dropped (RFC 7643 §2.5: unassigned),
/// and a present one is declared in `schemas` (RFC 7643 §3).
pub(super) fn tidy_extension(root: &mut Map<String, Value>) {
    let Some(key) = find_key(root, ENTERPRISE_SCHEMA) else {
        return;
    };
    let empty = match root.get(&key) {
        Some(Value::Object(m)) => m.is_empty(),
        Some(Value::Null) => true,
        _ => false,
    };
    if empty {
        root.remove(&key);
        return;
    }
    if let Some(Value::Array(schemas)) = root.get_mut("schemas")
        && !schemas
            .iter()
            .any(|s| s.as_str() == Some(ENTERPRISE_SCHEMA))
    {
        schemas.push(ENTERPRISE_SCHEMA.into());
    }
}
