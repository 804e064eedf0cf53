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
mod elements;
mod keys;
mod limits;
mod matching;
mod members;
mod paths;

pub use limits::{MemberReach, check, max_operations, member_reach};
/// Text compared as a filter compares it, for `filter`'s fixed sub-attributes too.
pub(super) use matching::str_compare;
pub use members::{MemberChanges, member_changes};

use elements::*;
use keys::*;
use matching::*;
use paths::*;

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

/// An operation's `op`, parsed `path` and `value`, or the error [`apply`] would report.
fn parts(raw: &Value) -> Result<(Op, Option<PatchPath>, Option<&Value>), ScimError> {
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
    Ok((op, path, get_ci(raw, "value")))
}

fn operation(root: &mut Map<String, Value>, raw: &Value, kind: Kind) -> Result<(), ScimError> {
    let (op, path, value) = parts(raw)?;
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
        (Some(sub), multi) => sub_attribute(map, &key, sub, op, value, multi),
    }
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

/// `attr.sub`. On a multi-valued attribute without a filter (RFC 7644 leaves it undefined),
/// add appends an element made of that sub-attribute (`members.value` adds a member);
/// replace and remove apply to every element, except that giving several elements the same
/// `value` can only be a mistake. On a single-valued attribute, it is the complex value's.
fn sub_attribute(
    map: &mut Map<String, Value>,
    key: &str,
    sub: &str,
    op: Op,
    value: Option<&Value>,
    multi: bool,
) -> Result<(), ScimError> {
    if multi {
        if op == Op::Add {
            let value = required(value)?;
            if value.is_null() {
                return Ok(());
            }
            let element = Value::Object(Map::from_iter([(canonical(sub), value.clone())]));
            return multi_valued(map, key, op, Some(&element));
        }
        let count = map.get(key).and_then(Value::as_array).map_or(0, Vec::len);
        if op == Op::Replace && count > 1 && eq_ci(sub, "value") {
            return Err(ScimError::invalid_path(format!(
                "{key} has {count} values; select the one to change with a filter, \
                 as in {key}[value eq \"...\"].{sub}"
            )));
        }
        return elements(map, key, op, None, Some(sub), value);
    }
    let slot = map.get_mut(key);
    let obj = match slot {
        None | Some(Value::Null) => {
            if op == Op::Remove {
                return Ok(());
            }
            let value = canon_value(required(value)?);
            if !value.is_null() {
                let obj = Map::from_iter([(canonical(sub), value)]);
                map.insert(key.to_string(), Value::Object(obj));
            }
            return Ok(());
        }
        Some(Value::Object(obj)) => obj,
        // The caller accepts a bare id for `manager`; `manager.value` then addresses it.
        Some(v) if eq_ci(sub, "value") && !v.is_array() => {
            *v = Value::Object(Map::from_iter([("value".to_string(), v.take())]));
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

#[cfg(test)]
mod tests;
