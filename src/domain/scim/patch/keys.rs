//! Attribute names: case-insensitive lookup and the schema's spelling of new keys.
use super::*;

/// Attribute names we know, in the spelling our representation uses. A client may write
/// any case (RFC 7643 §2.1), but the caller reads keys exactly, so new keys are stored in
/// this spelling; unknown names are kept as sent.
pub(super) const KNOWN_NAMES: &[&str] = &[
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

pub(super) fn canonical(name: &str) -> String {
    KNOWN_NAMES
        .iter()
        .find(|k| k.eq_ignore_ascii_case(name))
        .map_or_else(|| name.to_string(), |k| (*k).to_string())
}

/// A client's value with its object keys in our spelling (see [`KNOWN_NAMES`]).
pub(super) fn canon_value(v: &Value) -> Value {
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
pub(super) fn key_for(map: &Map<String, Value>, name: &str) -> String {
    find_key(map, name).unwrap_or_else(|| canonical(name))
}

pub(super) fn find_key(map: &Map<String, Value>, name: &str) -> Option<String> {
    if map.contains_key(name) {
        return Some(name.to_string());
    }
    map.keys().find(|k| eq_ci(k, name)).cloned()
}

pub(super) fn get_ci<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    map.get(name)
        .or_else(|| map.iter().find(|(k, _)| eq_ci(k, name)).map(|(_, v)| v))
}

pub(super) fn sub_value<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.as_object().and_then(|o| get_ci(o, name))
}

pub(super) fn eq_ci(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}
