//! SCIM PATCH (RFC 7644 §3.5.2) applied to one resource's JSON representation.
//!
//! The engine is deliberately schema-light: it navigates the representation generically, with
//! attribute names compared ignoring case (RFC 7643 §2.1), and knows only the few facts that
//! change what an operation means: which attributes are multi-valued, which are read-only or
//! write-only, and where the enterprise extension lives. Values are stored as the client sent
//! them (Entra's `"False"`, a `manager` given as a bare id); the caller reads the result
//! leniently and validates it as if it had been PUT.
//!
//! Besides the RFC, it accepts what Okta and Microsoft Entra ID really send: `op` in any case,
//! pathless operations whose keys are paths (`name.givenName`, URN-prefixed names), `id`
//! echoed back in a pathless replace, `add`/`replace` on a value path that matches nothing
//! (which creates the element the filter describes), and `remove` of listed members.

use std::cmp::Ordering;

use scim_v2::filter::{AttrExp, AttrPath, CompValue, CompareOp, PatchPath, ValFilter};
use serde_json::{Map, Value};

use super::{ENTERPRISE_SCHEMA, GROUP_SCHEMA, PATCH_SCHEMA, ScimError, USER_SCHEMA, boolean};

/// The resource type a PATCH applies to.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    User,
    Group,
}

impl Kind {
    fn core_schema(self) -> &'static str {
        match self {
            Self::User => USER_SCHEMA,
            Self::Group => GROUP_SCHEMA,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Group => "Group",
        }
    }

    /// Multi-valued attributes at the top level. Besides the ones we store, the User list
    /// holds RFC 7643's other multi-valued attributes so that a request naming one is
    /// understood (and then refused or ignored by the caller's validation) rather than being
    /// turned into a single value here.
    fn is_multi(self, name: &str) -> bool {
        let names: &[&str] = match self {
            Self::User => &[
                "emails",
                "phoneNumbers",
                "groups",
                "addresses",
                "ims",
                "photos",
                "entitlements",
                "roles",
                "x509Certificates",
            ],
            Self::Group => &["members"],
        };
        names.iter().any(|n| n.eq_ignore_ascii_case(name))
    }
}

/// Applies the PatchOp message `body` to `doc` (the resource as the server represents it).
/// All or nothing: on error the caller's doc is untouched (work on a clone).
pub fn apply(doc: &Value, body: &Value, kind: Kind) -> Result<Value, ScimError> {
    let ops = operations(body)?;
    let mut out = doc.clone();
    let Some(root) = out.as_object_mut() else {
        // The caller builds `doc` itself; anything but an object is a bug on our side, not
        // the client's, hence 500 rather than a 400.
        return Err(ScimError::new(
            500,
            None,
            "the resource representation is not a JSON object",
        ));
    };
    for (i, op) in ops.iter().enumerate() {
        operation(root, op, kind).map_err(|e| locate(e, i, op))?;
    }
    Ok(out)
}

/// Checks the message envelope and returns its operations.
fn operations(body: &Value) -> Result<&Vec<Value>, ScimError> {
    let Some(body) = body.as_object() else {
        return Err(ScimError::invalid_syntax(
            "the PATCH body must be a JSON object",
        ));
    };
    let has_schema = get_ci(body, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|s| s.as_str() == Some(PATCH_SCHEMA)));
    if !has_schema {
        return Err(ScimError::invalid_syntax(format!(
            "\"schemas\" must be an array containing \"{PATCH_SCHEMA}\""
        )));
    }
    // RFC 7644 spells it `Operations`; attribute names are case-insensitive, and some clients
    // send `operations`.
    match get_ci(body, "Operations") {
        Some(Value::Array(ops)) if !ops.is_empty() => Ok(ops),
        Some(Value::Array(_)) => Err(ScimError::invalid_syntax(
            "\"Operations\" must contain at least one operation",
        )),
        Some(_) => Err(ScimError::invalid_syntax("\"Operations\" must be an array")),
        None => Err(ScimError::invalid_syntax("\"Operations\" is required")),
    }
}

/// Prefixes an error with the operation it came from, so that a client sending ten
/// operations learns which one failed: `Operations[1] (remove emails[...]): ...`.
fn locate(mut e: ScimError, index: usize, op: &Value) -> ScimError {
    let name = op.as_object().and_then(|o| get_ci(o, "op"));
    let path = op.as_object().and_then(|o| get_ci(o, "path"));
    let what = match (name, path) {
        (Some(Value::String(n)), Some(Value::String(p))) if !p.trim().is_empty() => {
            format!(" ({n} {p})")
        }
        (Some(Value::String(n)), _) => format!(" ({n})"),
        _ => String::new(),
    };
    e.detail = format!("Operations[{index}]{what}: {}", e.detail);
    e
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Op {
    Add,
    Remove,
    Replace,
}

impl Op {
    /// Entra sends `Add`/`Replace`/`Remove`; the RFC's values are lower case.
    fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "add" => Some(Self::Add),
            "remove" => Some(Self::Remove),
            "replace" => Some(Self::Replace),
            _ => None,
        }
    }
}

fn operation(root: &mut Map<String, Value>, raw: &Value, kind: Kind) -> Result<(), ScimError> {
    let Some(raw) = raw.as_object() else {
        return Err(ScimError::invalid_syntax(
            "an operation must be a JSON object",
        ));
    };
    let op = match get_ci(raw, "op") {
        Some(Value::String(s)) => Op::parse(s).ok_or_else(|| {
            ScimError::invalid_syntax(format!(
                "\"op\" must be \"add\", \"remove\" or \"replace\", not {s:?}"
            ))
        })?,
        Some(_) => return Err(ScimError::invalid_syntax("\"op\" must be a string")),
        None => return Err(ScimError::invalid_syntax("\"op\" is required")),
    };
    let path = match get_ci(raw, "path") {
        // An empty path is how some clients say "no path".
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(parse_path(s)?),
        Some(_) => return Err(ScimError::invalid_syntax("\"path\" must be a string")),
    };
    let value = get_ci(raw, "value");
    match (op, path) {
        // RFC 7644 §3.5.2.2: remove without a path is `noTarget`, not a syntax error.
        (Op::Remove, None) => Err(ScimError::no_target("remove requires a \"path\"")),
        (_, Some(path)) => at_path(root, op, &path, value, kind),
        (_, None) => pathless(root, op, value, kind),
    }
}

fn parse_path(s: &str) -> Result<PatchPath, ScimError> {
    s.parse::<PatchPath>()
        .map_err(|e| ScimError::invalid_path(format!("cannot parse path {s:?}: {e}")))
}

/// A pathless add/replace: the value's keys are attribute paths (RFC 7644 §3.5.2.1/3 say
/// attribute names; Entra also sends `name.givenName` and URN-prefixed names).
fn pathless(
    root: &mut Map<String, Value>,
    op: Op,
    value: Option<&Value>,
    kind: Kind,
) -> Result<(), ScimError> {
    let Some(Value::Object(attrs)) = value else {
        return Err(ScimError::invalid_syntax(
            "without a \"path\", \"value\" must be an object of attributes",
        ));
    };
    for (key, v) in attrs {
        let in_key = |mut e: ScimError| {
            e.detail = format!("attribute {key:?}: {}", e.detail);
            e
        };
        let path = parse_path(key).map_err(in_key)?;
        if let PatchPath::Attr(attr) = &path {
            let loc = resolve(attr, kind).map_err(in_key)?;
            if echoed(root, &loc, v, kind).map_err(in_key)? {
                continue;
            }
        }
        at_path(root, op, &path, Some(v), kind).map_err(in_key)?;
    }
    Ok(())
}

/// Okta's pathless replace carries the whole resource, read-only attributes included. What
/// it merely echoes (`meta`, `schemas`, the same `id`, the same `groups`) is skipped; a
/// different `id` or `groups` is an attempt to change them and is refused.
fn echoed(root: &Map<String, Value>, loc: &Loc, v: &Value, kind: Kind) -> Result<bool, ScimError> {
    if loc.ext || loc.sub.is_some() {
        return Ok(false);
    }
    let name = loc.name.as_str();
    if eq_ci(name, "meta") || eq_ci(name, "schemas") {
        return Ok(true);
    }
    let guarded = eq_ci(name, "id") || (kind == Kind::User && eq_ci(name, "groups"));
    if !guarded {
        return Ok(false);
    }
    let current = find_key(root, name).and_then(|k| root.get(&k));
    if current == Some(v) {
        Ok(true)
    } else {
        Err(ScimError::mutability(format!(
            "{name} is read-only and differs from the resource's"
        )))
    }
}

/// Where a path points: an attribute of the resource root or of the enterprise extension
/// object, possibly a sub-attribute of it.
#[derive(Debug)]
struct Loc {
    /// Inside the enterprise extension object rather than at the root.
    ext: bool,
    name: String,
    sub: Option<String>,
}

/// Maps a parsed attribute path onto the representation. The crate splits
/// `urn:...:enterprise:2.0:User:manager` into uri `urn:...:enterprise:2.0:User` and name
/// `manager`, but the bare extension URN into uri `urn:...:enterprise:2.0` and name `User`,
/// so the latter names the extension object itself.
fn resolve(attr: &AttrPath, kind: Kind) -> Result<Loc, ScimError> {
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
fn guard(loc: &Loc, op: Op, kind: Kind, value_path: bool) -> Result<(), ScimError> {
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

fn at_path(
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
fn container(
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
fn tidy_extension(root: &mut Map<String, Value>) {
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

fn is_multi(kind: Kind, loc: &Loc, current: Option<&Value>) -> bool {
    matches!(current, Some(Value::Array(_))) || (!loc.ext && kind.is_multi(&loc.name))
}

/// An operation on a plain attribute path: `attr` or `attr.sub`.
fn attribute(
    root: &mut Map<String, Value>,
    op: Op,
    loc: &Loc,
    value: Option<&Value>,
    kind: Kind,
) -> Result<(), ScimError> {
    let Some(map) = container(root, loc.ext, op != Op::Remove)? else {
        return Ok(());
    };
    let key = key_for(map, &loc.name);
    let multi = is_multi(kind, loc, map.get(&key));
    match (&loc.sub, multi) {
        (None, true) => multi_valued(map, &key, op, value),
        (None, false) => {
            if op == Op::Remove {
                map.remove(&key);
                Ok(())
            } else {
                put(map, &key, op, &canon_value(required(value)?))
            }
        }
        (Some(sub), true) => unfiltered_sub(map, &key, sub, op, value),
        (Some(sub), false) => sub_attribute(map, &key, sub, op, value),
    }
}

/// `attr.sub` on a multi-valued attribute, without a filter (RFC 7644 leaves it undefined).
/// add appends an element made of that sub-attribute (`members.value` adds a member);
/// replace and remove apply to every element, except that giving several elements the same
/// `value` can only be a mistake.
fn unfiltered_sub(
    map: &mut Map<String, Value>,
    key: &str,
    sub: &str,
    op: Op,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    if op == Op::Add {
        let value = required(value)?;
        if value.is_null() {
            return Ok(());
        }
        let mut element = Map::new();
        element.insert(canonical(sub), value.clone());
        return multi_valued(map, key, op, Some(&Value::Object(element)));
    }
    let count = map.get(key).and_then(Value::as_array).map_or(0, Vec::len);
    if op == Op::Replace && count > 1 && eq_ci(sub, "value") {
        return Err(ScimError::invalid_path(format!(
            "{key} has {count} values; select the one to change with a filter, \
             as in {key}[value eq \"...\"].{sub}"
        )));
    }
    elements(map, key, op, None, Some(sub), value)
}

fn required(value: Option<&Value>) -> Result<&Value, ScimError> {
    value.ok_or_else(|| ScimError::invalid_value("this operation requires a \"value\""))
}

/// Sets `key` in `map` the way add/replace set a single-valued attribute: `null` clears it
/// (RFC 7643 §2.5), a complex value merges into a complex one (RFC 7644 §3.5.2.1 and
/// §3.5.2.3: sub-attributes not given are left unchanged; add merges all the way down, as
/// replace does only one level), anything else replaces.
fn put(map: &mut Map<String, Value>, key: &str, op: Op, value: &Value) -> Result<(), ScimError> {
    if value.is_null() {
        map.remove(key);
        return Ok(());
    }
    match (map.get_mut(key), value) {
        (Some(Value::Object(dst)), Value::Object(src)) => {
            merge(dst, src, op == Op::Add);
            if dst.is_empty() {
                map.remove(key);
            }
        }
        _ => {
            map.insert(key.to_string(), value.clone());
        }
    }
    Ok(())
}

fn merge(dst: &mut Map<String, Value>, src: &Map<String, Value>, deep: bool) {
    for (k, v) in src {
        let key = key_for(dst, k);
        match (dst.get_mut(&key), v) {
            (_, Value::Null) => {
                dst.remove(&key);
            }
            (Some(Value::Object(d)), Value::Object(s)) if deep => merge(d, s, deep),
            _ => {
                dst.insert(key, v.clone());
            }
        }
    }
}

/// `attr.sub` on a single-valued attribute.
fn sub_attribute(
    map: &mut Map<String, Value>,
    key: &str,
    sub: &str,
    op: Op,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let slot = map.get_mut(key);
    let obj = match slot {
        None | Some(Value::Null) => {
            if op == Op::Remove {
                return Ok(());
            }
            let value = canon_value(required(value)?);
            if !value.is_null() {
                let mut obj = Map::new();
                obj.insert(canonical(sub), value);
                map.insert(key.to_string(), Value::Object(obj));
            }
            return Ok(());
        }
        Some(Value::Object(obj)) => obj,
        // The caller accepts a bare id for `manager`; `manager.value` then addresses it.
        Some(v) if eq_ci(sub, "value") && !v.is_array() => {
            let mut obj = Map::new();
            obj.insert("value".to_string(), v.take());
            *v = Value::Object(obj);
            match v {
                Value::Object(obj) => obj,
                _ => return Ok(()),
            }
        }
        Some(_) => {
            return Err(ScimError::invalid_path(format!(
                "{key} is not a complex attribute, so it has no sub-attribute {sub}"
            )));
        }
    };
    let sub_key = key_for(obj, sub);
    if op == Op::Remove {
        obj.remove(&sub_key);
    } else {
        put(obj, &sub_key, op, &canon_value(required(value)?))?;
    }
    if obj.is_empty() {
        map.remove(key);
    }
    Ok(())
}

/// add/replace/remove on a whole multi-valued attribute.
fn multi_valued(
    map: &mut Map<String, Value>,
    key: &str,
    op: Op,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    match op {
        Op::Remove => {
            match value.filter(|v| !v.is_null()) {
                // RFC 7644 §3.5.2.2: without a filter, all values go.
                None => {
                    map.remove(key);
                }
                // Entra/Azure remove members as `"path":"members","value":[{"value":id}]`:
                // only the listed elements go.
                Some(listed) => {
                    let listed = as_elements(&canon_value(listed));
                    if let Some(Value::Array(arr)) = map.get_mut(key) {
                        arr.retain(|e| !listed.iter().any(|l| is_listed(key, e, l)));
                        if arr.is_empty() {
                            map.remove(key);
                        }
                    }
                }
            }
            Ok(())
        }
        Op::Add | Op::Replace => {
            let value = canon_value(required(value)?);
            // Replace starts from nothing; add from the current values.
            let mut arr = match map.remove(key) {
                Some(Value::Array(arr)) if op == Op::Add => arr,
                Some(other) if op == Op::Add && !other.is_null() => {
                    // Put it back: the error must leave no trace, and the caller discards
                    // the clone anyway, but being tidy costs nothing.
                    map.insert(key.to_string(), other);
                    return Err(ScimError::invalid_path(format!(
                        "{key} is not an array in this resource"
                    )));
                }
                _ => Vec::new(),
            };
            let mut touched = Vec::new();
            for item in as_elements(&value) {
                if let Some(i) = arr.iter().position(|e| same_element(key, e, &item)) {
                    touched.push(i);
                } else {
                    arr.push(item);
                    touched.push(arr.len() - 1);
                }
            }
            single_primary(&mut arr, &touched);
            if !arr.is_empty() {
                map.insert(key.to_string(), Value::Array(arr));
            }
            Ok(())
        }
    }
}

/// The elements a value for a multi-valued attribute stands for: an array's items, or the
/// one object given. A bare scalar stands for `{"value": scalar}` (RFC 7643 §2.4: `value` is
/// the element's significant sub-attribute).
fn as_elements(value: &Value) -> Vec<Value> {
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    };
    items
        .into_iter()
        .filter(|v| !v.is_null())
        .map(|v| match v {
            Value::Object(_) => v.clone(),
            scalar => {
                let mut obj = Map::new();
                obj.insert("value".into(), scalar.clone());
                Value::Object(obj)
            }
        })
        .collect()
}

/// Whether `new` duplicates `existing`. Members (and a user's groups) are identified by
/// their `value` alone, so re-adding a member with another `display` is a no-op; other
/// elements only when identical.
fn same_element(attr: &str, existing: &Value, new: &Value) -> bool {
    if (eq_ci(attr, "members") || eq_ci(attr, "groups"))
        && let (Some(a), Some(b)) = (sub_value(existing, "value"), sub_value(new, "value"))
    {
        return a == b;
    }
    existing == new
}

/// Whether `element` is one a remove-with-value lists: by `value` when the listed item has
/// one (compared as a filter's `eq` would), else by equality.
fn is_listed(attr: &str, element: &Value, listed: &Value) -> bool {
    match sub_value(listed, "value") {
        Some(Value::String(s)) => compare(
            sub_value(element, "value"),
            &CompareOp::Eq,
            &CompValue::Str(s.clone()),
            case_exact(attr, "value"),
        ),
        Some(v) => sub_value(element, "value") == Some(v),
        None => element == listed,
    }
}

/// RFC 7643 §2.4: at most one element may be primary. When the operation made an element
/// primary, the others stop being so.
fn single_primary(arr: &mut [Value], touched: &[usize]) {
    let keep = touched.iter().rev().copied().find(|&i| {
        arr.get(i)
            .and_then(|e| sub_value(e, "primary"))
            .and_then(boolean)
            == Some(true)
    });
    let Some(keep) = keep else {
        return;
    };
    for (i, e) in arr.iter_mut().enumerate() {
        if i == keep {
            continue;
        }
        if let Value::Object(obj) = e
            && let Some(k) = find_key(obj, "primary")
            && obj.get(&k).and_then(boolean) == Some(true)
        {
            obj.insert(k, Value::Bool(false));
        }
    }
}

/// Operations on the elements of a multi-valued attribute selected by `filter` (all of them
/// when `None`), or on their sub-attribute `sub`.
fn elements(
    map: &mut Map<String, Value>,
    key: &str,
    op: Op,
    filter: Option<&ValFilter>,
    sub: Option<&str>,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let selection = || match filter {
        Some(f) => format!("{key}[{f}]"),
        None => key.to_string(),
    };
    let mut arr = match map.remove(key) {
        Some(Value::Array(arr)) => arr,
        None | Some(Value::Null) => Vec::new(),
        Some(other) => {
            map.insert(key.to_string(), other);
            return Err(ScimError::invalid_path(format!(
                "{key} is not an array in this resource"
            )));
        }
    };
    let hits: Vec<usize> = arr
        .iter()
        .enumerate()
        .filter(|(_, e)| filter.is_none_or(|f| matches(f, e, key)))
        .map(|(i, _)| i)
        .collect();
    let result = match op {
        Op::Remove => {
            match sub {
                // Removing what is not there is not an error (idempotent retries).
                None => drop_indices(&mut arr, &hits),
                Some(sub) => {
                    for &i in &hits {
                        if let Some(Value::Object(obj)) = arr.get_mut(i)
                            && let Some(k) = find_key(obj, sub)
                        {
                            obj.remove(&k);
                        }
                    }
                }
            }
            Ok(())
        }
        Op::Add | Op::Replace => match required(value) {
            Err(e) => Err(e),
            Ok(value) => {
                let value = canon_value(value);
                if hits.is_empty() {
                    create_element(&mut arr, filter, sub, &value, op).map_err(|mut e| {
                        e.detail = format!("{}: {}", selection(), e.detail);
                        e
                    })
                } else {
                    update_elements(&mut arr, &hits, filter, sub, &value, op)
                }
            }
        },
    };
    if !arr.is_empty() {
        map.insert(key.to_string(), Value::Array(arr));
    }
    result
}

fn drop_indices(arr: &mut Vec<Value>, hits: &[usize]) {
    let mut i = 0;
    arr.retain(|_| {
        let keep = !hits.contains(&i);
        i += 1;
        keep
    });
}

/// add/replace on a value path that matches nothing: Entra sets `emails[type eq
/// "work"].value` on a user who has no work email yet, and expects one to appear. The new
/// element is what the filter says (`{"type":"work"}`) plus the value.
fn create_element(
    arr: &mut Vec<Value>,
    filter: Option<&ValFilter>,
    sub: Option<&str>,
    value: &Value,
    op: Op,
) -> Result<(), ScimError> {
    if value.is_null() {
        // Clearing something that does not exist leaves nothing to do.
        return Ok(());
    }
    let Some(mut element) = template(filter) else {
        return Err(ScimError::no_target(
            "no element matches, and the filter is not a conjunction of `eq` comparisons \
             that would describe a new one",
        ));
    };
    match (sub, value) {
        (Some(sub), v) => {
            element.insert(canonical(sub), v.clone());
        }
        (None, Value::Object(v)) => merge(&mut element, v, op == Op::Add),
        (None, _) => {
            return Err(ScimError::invalid_value(
                "the value for elements of a multi-valued attribute must be an object",
            ));
        }
    }
    arr.push(Value::Object(element));
    let last = arr.len() - 1;
    single_primary(arr, &[last]);
    Ok(())
}

fn update_elements(
    arr: &mut Vec<Value>,
    hits: &[usize],
    filter: Option<&ValFilter>,
    sub: Option<&str>,
    value: &Value,
    op: Op,
) -> Result<(), ScimError> {
    if sub.is_none() && op == Op::Replace && value.is_null() {
        drop_indices(arr, hits);
        return Ok(());
    }
    for &i in hits {
        let Some(element) = arr.get_mut(i) else {
            continue;
        };
        match sub {
            Some(sub) => {
                if !element.is_object() {
                    // A bare scalar element stands for its `value` (see `as_elements`).
                    let mut obj = Map::new();
                    obj.insert("value".into(), element.take());
                    *element = Value::Object(obj);
                }
                if let Value::Object(obj) = element {
                    // A sub-attribute of an element is simple: add and replace both set it.
                    let k = key_for(obj, sub);
                    put(obj, &k, Op::Replace, value)?;
                }
            }
            None => {
                let Value::Object(new) = value else {
                    return Err(ScimError::invalid_value(
                        "the value for elements of a multi-valued attribute must be an object",
                    ));
                };
                match (op, element) {
                    (Op::Add, Value::Object(obj)) => merge(obj, new, true),
                    // RFC 7644 §3.5.2.3: matching values are replaced. The sub-attributes
                    // the filter pins with `eq` (say `type`) are kept unless the new value
                    // gives them, so `emails[type eq "work"]` stays a work email.
                    (_, element) => {
                        let mut obj = Map::new();
                        if let Value::Object(old) = &*element {
                            for name in pinned(filter) {
                                if let Some((k, v)) = old.iter().find(|(k, _)| eq_ci(k, &name)) {
                                    obj.insert(k.clone(), v.clone());
                                }
                            }
                        }
                        merge(&mut obj, new, false);
                        *element = Value::Object(obj);
                    }
                }
            }
        }
    }
    single_primary(arr, hits);
    Ok(())
}

/// The element a filter describes, when it is `a eq x` or a conjunction of those (on
/// distinct sub-attributes); `None` otherwise. No filter describes any element.
fn template(filter: Option<&ValFilter>) -> Option<Map<String, Value>> {
    let mut out = Map::new();
    let Some(filter) = filter else {
        return Some(out);
    };
    let terms: Vec<&ValFilter> = match filter {
        ValFilter::And(items) => items.iter().collect(),
        other => vec![other],
    };
    for term in terms {
        let ValFilter::Attr(AttrExp::Comparison(path, CompareOp::Eq, v)) = term else {
            return None;
        };
        if path.sub_attr.is_some() {
            return None;
        }
        let v = match v {
            CompValue::Str(s) => Value::String(s.clone()),
            CompValue::True => Value::Bool(true),
            CompValue::False => Value::Bool(false),
            CompValue::Number(n) => Value::Number(n.clone()),
            CompValue::Null => return None,
        };
        let key = key_for(&out, &path.name);
        match out.get(&key) {
            Some(existing) if *existing != v => return None,
            _ => {
                out.insert(key, v);
            }
        }
    }
    Some(out)
}

/// The sub-attributes a filter fixes with `eq`, directly or as terms of a top-level `and`.
fn pinned(filter: Option<&ValFilter>) -> Vec<String> {
    let terms: Vec<&ValFilter> = match filter {
        Some(ValFilter::And(items)) => items.iter().collect(),
        Some(other) => vec![other],
        None => Vec::new(),
    };
    terms
        .into_iter()
        .filter_map(|t| match t {
            ValFilter::Attr(AttrExp::Comparison(p, CompareOp::Eq, _)) if p.sub_attr.is_none() => {
                Some(p.name.clone())
            }
            _ => None,
        })
        .collect()
}

/// Whether one element of the multi-valued attribute `attr` satisfies `filter`. The filter's
/// paths name the element's sub-attributes (RFC 7644 §3.4.2.2); a schema URI on them adds
/// nothing here and is ignored.
fn matches(filter: &ValFilter, element: &Value, attr: &str) -> bool {
    match filter {
        ValFilter::Attr(AttrExp::Present(p)) => lookup(element, p).is_some_and(present),
        ValFilter::Attr(AttrExp::Comparison(p, op, v)) => {
            compare(lookup(element, p), op, v, case_exact(attr, &p.name))
        }
        ValFilter::Not(inner) => !matches(inner, element, attr),
        ValFilter::And(items) => items.iter().all(|f| matches(f, element, attr)),
        ValFilter::Or(items) => items.iter().any(|f| matches(f, element, attr)),
    }
}

fn lookup<'a>(element: &'a Value, path: &AttrPath) -> Option<&'a Value> {
    let v = match element {
        Value::Object(_) => sub_value(element, &path.name)?,
        // A bare scalar element is its own `value`.
        scalar if eq_ci(&path.name, "value") => scalar,
        _ => return None,
    };
    match &path.sub_attr {
        Some(sub) => sub_value(v, sub),
        None => Some(v),
    }
}

/// RFC 7644 §3.4.2.2 `pr`: present and not null; an empty string or array counts as absent
/// (RFC 7643 §2.5).
fn present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

/// Ids are compared exactly; every other string sub-attribute we hold (`value` of an email
/// or phone number, `type`, `display`) has `caseExact` false (RFC 7643 §4.1.2).
fn case_exact(attr: &str, sub: &str) -> bool {
    ((eq_ci(attr, "members") || eq_ci(attr, "groups")) && eq_ci(sub, "value")) || eq_ci(sub, "$ref")
}

fn compare(actual: Option<&Value>, op: &CompareOp, expected: &CompValue, exact: bool) -> bool {
    let actual = actual.filter(|v| !v.is_null());
    let Some(actual) = actual else {
        // Absent equals null and differs from everything else.
        return match expected {
            CompValue::Null => *op == CompareOp::Eq,
            _ => *op == CompareOp::Ne,
        };
    };
    match expected {
        CompValue::Null => *op == CompareOp::Ne,
        CompValue::True | CompValue::False => {
            bool_compare(boolean(actual), *expected == CompValue::True, op)
        }
        CompValue::Str(s) => match actual {
            Value::String(a) => str_compare(a, s, op, exact),
            // Entra writes booleans as strings on both sides.
            Value::Bool(b) => match boolean(&Value::String(s.clone())) {
                Some(e) => bool_compare(Some(*b), e, op),
                None => *op == CompareOp::Ne,
            },
            _ => *op == CompareOp::Ne,
        },
        CompValue::Number(n) => match (actual.as_f64(), n.as_f64()) {
            (Some(a), Some(e)) => a
                .partial_cmp(&e)
                .is_some_and(|ord| ordered(ord, op).unwrap_or(false)),
            _ => *op == CompareOp::Ne,
        },
    }
}

fn bool_compare(actual: Option<bool>, expected: bool, op: &CompareOp) -> bool {
    match op {
        CompareOp::Eq => actual == Some(expected),
        CompareOp::Ne => actual != Some(expected),
        // RFC 7644 §3.4.2.2: ordering and substring operators do not apply to booleans.
        _ => false,
    }
}

fn str_compare(actual: &str, expected: &str, op: &CompareOp, exact: bool) -> bool {
    let (a, e) = if exact {
        (actual.to_string(), expected.to_string())
    } else {
        (actual.to_lowercase(), expected.to_lowercase())
    };
    match op {
        CompareOp::Co => a.contains(&e),
        CompareOp::Sw => a.starts_with(&e),
        CompareOp::Ew => a.ends_with(&e),
        _ => ordered(a.cmp(&e), op).unwrap_or(false),
    }
}

/// The ordering operators (and eq/ne) given how two values compare; `None` for the
/// substring operators.
fn ordered(ord: Ordering, op: &CompareOp) -> Option<bool> {
    Some(match op {
        CompareOp::Eq => ord == Ordering::Equal,
        CompareOp::Ne => ord != Ordering::Equal,
        CompareOp::Gt => ord == Ordering::Greater,
        CompareOp::Ge => ord != Ordering::Less,
        CompareOp::Lt => ord == Ordering::Less,
        CompareOp::Le => ord != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => return None,
    })
}

/// Attribute names we know, in the spelling our representation uses. A client may write
/// any case (RFC 7643 §2.1), but the caller reads keys exactly, so new keys are stored in
/// this spelling; unknown names are kept as sent.
const KNOWN_NAMES: &[&str] = &[
    "externalId",
    "userName",
    "name",
    "formatted",
    "familyName",
    "givenName",
    "middleName",
    "honorificPrefix",
    "honorificSuffix",
    "displayName",
    "nickName",
    "profileUrl",
    "title",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
    "active",
    "password",
    "emails",
    "phoneNumbers",
    "ims",
    "photos",
    "addresses",
    "groups",
    "entitlements",
    "roles",
    "x509Certificates",
    "members",
    "value",
    "display",
    "type",
    "primary",
    "$ref",
    "streetAddress",
    "locality",
    "region",
    "postalCode",
    "country",
    "employeeNumber",
    "costCenter",
    "organization",
    "division",
    "department",
    "manager",
    ENTERPRISE_SCHEMA,
];

fn canonical(name: &str) -> String {
    KNOWN_NAMES
        .iter()
        .find(|k| k.eq_ignore_ascii_case(name))
        .map_or_else(|| name.to_string(), |k| (*k).to_string())
}

/// A client's value with its object keys in our spelling (see [`KNOWN_NAMES`]).
fn canon_value(v: &Value) -> Value {
    match v {
        Value::Object(obj) => Value::Object(
            obj.iter()
                .map(|(k, v)| (canonical(k), canon_value(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(canon_value).collect()),
        other => other.clone(),
    }
}

/// The key under which `name` is (or is to be) stored in `map`: the existing key matching it
/// ignoring case, else the canonical spelling.
fn key_for(map: &Map<String, Value>, name: &str) -> String {
    find_key(map, name).unwrap_or_else(|| canonical(name))
}

fn find_key(map: &Map<String, Value>, name: &str) -> Option<String> {
    if map.contains_key(name) {
        return Some(name.to_string());
    }
    map.keys().find(|k| eq_ci(k, name)).cloned()
}

fn get_ci<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    map.get(name)
        .or_else(|| map.iter().find(|(k, _)| eq_ci(k, name)).map(|(_, v)| v))
}

fn sub_value<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.as_object().and_then(|o| get_ci(o, name))
}

fn eq_ci(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

#[cfg(test)]
mod tests;
