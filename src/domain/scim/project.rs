//! Attribute selection (RFC 7644 §3.9): `attributes` returns only the named attributes (and
//! those always returned), `excludedAttributes` drops the named ones. Applied to a rendered
//! resource; names are case-insensitive and may carry their schema URN.
use serde_json::{Map, Value};

use super::{ENTERPRISE_SCHEMA, GROUP_SCHEMA, ScimError, USER_SCHEMA};

/// One selected attribute: where it lives (the root, or an extension object) and its path.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Selected {
    /// The extension's URN, or `None` for the core schema.
    extension: Option<&'static str>,
    /// `name` or `name.sub`; empty for a whole extension.
    name: String,
    sub: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    include: Vec<Selected>,
    exclude: Vec<Selected>,
    /// Attributes returned on request that the request asks for without naming them in
    /// `attributes` (see [`Selection::requesting`]).
    requested: Vec<&'static str>,
}

/// Attributes returned whatever the selection says (RFC 7643 §7 "returned: always").
const ALWAYS: &[&str] = &["id", "schemas"];

fn parse_one(raw: &str) -> Selected {
    let raw = raw.trim();
    let lower = raw.to_ascii_lowercase();
    // A schema's URN alone names all of it (an empty `name`), or prefixes a path in it.
    let (extension, path) = [ENTERPRISE_SCHEMA, USER_SCHEMA, GROUP_SCHEMA]
        .into_iter()
        .find_map(|urn| {
            let u = urn.to_ascii_lowercase();
            let path = if lower == u {
                ""
            } else if lower.starts_with(&format!("{u}:")) {
                &raw[urn.len() + 1..]
            } else {
                return None;
            };
            Some((
                (urn == ENTERPRISE_SCHEMA).then_some(ENTERPRISE_SCHEMA),
                path,
            ))
        })
        .unwrap_or((None, raw));
    let (name, sub) = split(path);
    Selected {
        extension,
        name,
        sub,
    }
}

fn split(path: &str) -> (String, Option<String>) {
    match path.split_once('.') {
        Some((name, sub)) => (name.to_owned(), Some(sub.to_owned())),
        None => (path.to_owned(), None),
    }
}

fn list(raw: Option<&str>) -> Vec<Selected> {
    raw.into_iter()
        .flat_map(|s| s.split(','))
        .filter(|s| !s.trim().is_empty())
        .map(parse_one)
        .collect()
}

impl Selection {
    /// Reads the two (mutually exclusive) parameters.
    pub fn parse(attributes: Option<&str>, excluded: Option<&str>) -> Result<Self, ScimError> {
        let selection = Self {
            include: list(attributes),
            exclude: list(excluded),
            requested: Vec::new(),
        };
        if !selection.include.is_empty() && !selection.exclude.is_empty() {
            return Err(ScimError::invalid_value(
                "attributes and excludedAttributes may not be combined (RFC 7644 §3.9)",
            ));
        }
        Ok(selection)
    }

    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    /// Whether the selection keeps `name` at the root, so callers can skip loading what
    /// would be dropped (a group's members).
    pub fn keeps(&self, name: &str) -> bool {
        let named = |s: &Selected| s.extension.is_none() && s.name.eq_ignore_ascii_case(name);
        if !self.include.is_empty() {
            return self.include.iter().any(named);
        }
        !self.exclude.iter().any(|s| named(s) && s.sub.is_none())
    }

    /// The same selection, asking also for `name`, an attribute returned on request, unless
    /// `attributes` leaves it out or `excludedAttributes` names it: what a request asks for by
    /// what it is rather than by its parameters (a write that specified the attribute, RFC
    /// 7643 §7; a read of one known resource).
    pub fn requesting(mut self, name: &'static str) -> Self {
        self.requested.push(name);
        self
    }

    /// Whether the selection returns `name`, an attribute returned on request (RFC 7643 §7
    /// `returned: request`, a group's `members`): when `attributes` names it (or one of its
    /// sub-attributes), or, without `attributes`, when the request asks for it by what it is
    /// ([`Selection::requesting`]) and `excludedAttributes` does not name it.
    pub fn asks_for(&self, name: &str) -> bool {
        let named = |s: &Selected| s.extension.is_none() && s.name.eq_ignore_ascii_case(name);
        if !self.include.is_empty() {
            return self.include.iter().any(named);
        }
        self.requested.iter().any(|r| r.eq_ignore_ascii_case(name))
            && !self.exclude.iter().any(|s| named(s) && s.sub.is_none())
    }

    /// Whether the selection keeps the sub-attribute `sub` of the root attribute `name`, once
    /// `name` itself is returned: what [`Selection::apply`] would leave of it.
    pub fn keeps_sub(&self, name: &str, sub: &str) -> bool {
        let named = |s: &&Selected| s.extension.is_none() && s.name.eq_ignore_ascii_case(name);
        if !self.include.is_empty() {
            return self
                .include
                .iter()
                .filter(named)
                .any(|s| s.sub.as_deref().is_none_or(|s| s.eq_ignore_ascii_case(sub)));
        }
        !self.exclude.iter().filter(named).any(|s| {
            s.sub
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case(sub))
        })
    }

    /// Applies the selection to a rendered resource.
    pub fn apply(&self, doc: &mut Value) {
        let Some(body) = doc.as_object_mut() else {
            return;
        };
        if !self.include.is_empty() {
            let mut kept = Map::new();
            for (key, value) in body.iter() {
                if ALWAYS.iter().any(|a| a.eq_ignore_ascii_case(key)) {
                    kept.insert(key.clone(), value.clone());
                    continue;
                }
                let extension = (key == ENTERPRISE_SCHEMA).then_some(ENTERPRISE_SCHEMA);
                if let Some(picked) = pick(&self.include, extension, key, value) {
                    kept.insert(key.clone(), picked);
                }
            }
            *body = kept;
        } else {
            for s in &self.exclude {
                if ALWAYS.iter().any(|a| a.eq_ignore_ascii_case(&s.name)) && s.extension.is_none() {
                    continue;
                }
                let target = match s.extension {
                    None => Some(&mut *body),
                    Some(urn) if s.name.is_empty() => {
                        body.shift_remove(urn);
                        None
                    }
                    Some(urn) => body.get_mut(urn).and_then(Value::as_object_mut),
                };
                if let Some(target) = target {
                    remove(target, &s.name, s.sub.as_deref());
                }
            }
        }
    }
}

fn key_of(map: &Map<String, Value>, name: &str) -> Option<String> {
    map.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()
}

fn remove(map: &mut Map<String, Value>, name: &str, sub: Option<&str>) {
    let Some(key) = key_of(map, name) else {
        return;
    };
    match sub {
        None => {
            map.shift_remove(&key);
        }
        Some(sub) => match map.get_mut(&key) {
            Some(Value::Object(inner)) => {
                if let Some(k) = key_of(inner, sub) {
                    inner.shift_remove(&k);
                }
            }
            Some(Value::Array(items)) => {
                for item in items.iter_mut().filter_map(Value::as_object_mut) {
                    if let Some(k) = key_of(item, sub) {
                        item.shift_remove(&k);
                    }
                }
            }
            _ => {}
        },
    }
}

/// What of `value` (the root member `key`) the included names keep.
fn pick(include: &[Selected], extension: Option<&str>, key: &str, value: &Value) -> Option<Value> {
    if let Some(urn) = extension {
        // The whole extension, or the named attributes in it.
        if include
            .iter()
            .any(|s| s.extension == Some(urn) && s.name.is_empty())
        {
            return Some(value.clone());
        }
        let inner = value.as_object()?;
        let mut kept = Map::new();
        for (k, v) in inner {
            let subs: Vec<&Selected> = include
                .iter()
                .filter(|s| s.extension == Some(urn) && s.name.eq_ignore_ascii_case(k))
                .collect();
            if let Some(v) = keep_named(&subs, v) {
                kept.insert(k.clone(), v);
            }
        }
        return (!kept.is_empty()).then(|| kept.into());
    }
    let subs: Vec<&Selected> = include
        .iter()
        .filter(|s| s.extension.is_none() && s.name.eq_ignore_ascii_case(key))
        .collect();
    keep_named(&subs, value)
}

fn keep_named(subs: &[&Selected], value: &Value) -> Option<Value> {
    if subs.is_empty() {
        return None;
    }
    if subs.iter().any(|s| s.sub.is_none()) {
        return Some(value.clone());
    }
    let keep_in = |map: &Map<String, Value>| -> Map<String, Value> {
        map.iter()
            .filter(|(k, _)| {
                subs.iter().any(|s| {
                    s.sub
                        .as_deref()
                        .is_some_and(|sub| sub.eq_ignore_ascii_case(k))
                })
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    match value {
        Value::Object(map) => Some(keep_in(map).into()),
        Value::Array(items) => Some(
            items
                .iter()
                .map(|i| match i {
                    Value::Object(map) => keep_in(map).into(),
                    other => other.clone(),
                })
                .collect::<Vec<_>>()
                .into(),
        ),
        other => Some(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user() -> Value {
        json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
            "id": "1",
            "userName": "b",
            "name": {"givenName": "B", "familyName": "J"},
            "emails": [{"value": "b@x.org", "type": "work", "primary": true}],
            "active": true,
            ENTERPRISE_SCHEMA: {"department": "Sales", "organization": "Acme"},
            "meta": {"resourceType": "User"}
        })
    }

    #[test]
    fn attributes_keep_only_the_named_and_the_always_returned() {
        let mut doc = user();
        Selection::parse(Some("userName,name.familyName,emails.value"), None)
            .unwrap()
            .apply(&mut doc);
        assert_eq!(
            doc,
            json!({
                "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
                "id": "1",
                "userName": "b",
                "name": {"familyName": "J"},
                "emails": [{"value": "b@x.org"}]
            })
        );
    }

    #[test]
    fn urn_prefixed_names_select_inside_the_extension() {
        let mut doc = user();
        Selection::parse(Some(&format!("{ENTERPRISE_SCHEMA}:department")), None)
            .unwrap()
            .apply(&mut doc);
        assert_eq!(doc[ENTERPRISE_SCHEMA], json!({"department": "Sales"}));
        assert!(doc.get("userName").is_none());
        let mut doc = user();
        Selection::parse(Some(&format!("{USER_SCHEMA}:UserName")), None)
            .unwrap()
            .apply(&mut doc);
        assert_eq!(doc["userName"], "b");
    }

    #[test]
    fn excluded_attributes_drop_the_named_but_never_id() {
        let mut doc = user();
        let s = Selection::parse(None, Some("emails,id,name.givenName")).unwrap();
        assert!(!s.keeps("emails"));
        assert!(s.keeps("members"));
        s.apply(&mut doc);
        assert!(doc.get("emails").is_none());
        assert_eq!(doc["id"], "1");
        assert_eq!(doc["name"], json!({"familyName": "J"}));
    }

    #[test]
    fn an_attribute_returned_on_request_is_returned_only_when_asked_for() {
        let parse = |a, e| Selection::parse(a, e).unwrap();
        assert!(!parse(None, None).asks_for("members"));
        assert!(!parse(None, Some("displayName")).asks_for("members"));
        assert!(parse(Some("members"), None).asks_for("members"));
        assert!(parse(Some("Members.value"), None).asks_for("members"));
        let urn = format!("{GROUP_SCHEMA}:members");
        assert!(parse(Some(&urn), None).asks_for("members"));
        assert!(!parse(Some("displayName"), None).asks_for("members"));
        // Asked for by what the request is, unless the parameters say otherwise.
        assert!(parse(None, None).requesting("members").asks_for("members"));
        assert!(
            parse(None, Some("displayName"))
                .requesting("members")
                .asks_for("members")
        );
        assert!(
            !parse(None, Some("members"))
                .requesting("members")
                .asks_for("members")
        );
        assert!(
            !parse(Some("displayName"), None)
                .requesting("members")
                .asks_for("members")
        );
        // Which of its sub-attributes are kept.
        let value_only = parse(Some("members.value"), None);
        assert!(value_only.keeps_sub("members", "value"));
        assert!(!value_only.keeps_sub("members", "$ref"));
        assert!(parse(Some("members"), None).keeps_sub("members", "$ref"));
        let no_type = parse(None, Some("members.type"));
        assert!(!no_type.keeps_sub("members", "type"));
        assert!(no_type.keeps_sub("members", "value"));
    }

    #[test]
    fn both_parameters_at_once_are_refused() {
        assert!(Selection::parse(Some("userName"), Some("emails")).is_err());
        assert!(Selection::parse(Some(""), None).unwrap().is_empty());
    }
}
