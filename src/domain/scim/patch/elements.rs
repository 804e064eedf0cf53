//! Multi-valued attributes: finding, adding, replacing and removing elements, and the
//! element an `add` on an unmatched value path creates.
use std::collections::{HashMap, HashSet};

use super::*;

/// add/replace/remove on a whole multi-valued attribute.
pub(super) fn multi_valued(
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
                        match listed_ids(key, &listed) {
                            // Members are listed by id, thousands at a time: a set, not a
                            // scan of the list for each element.
                            Some(ids) => arr.retain(|e| {
                                !sub_value(e, "value")
                                    .and_then(Value::as_str)
                                    .is_some_and(|v| ids.contains(v))
                            }),
                            None => arr.retain(|e| !listed.iter().any(|l| is_listed(key, e, l))),
                        }
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
            let mut arr = if op == Op::Add {
                take_array(map, key)?
            } else {
                map.remove(key);
                Vec::new()
            };
            let mut touched = Vec::new();
            // Members (and groups) are the same element when their `value` is: found through
            // an index rather than by scanning the list for each new one.
            let by_value = identified_by_value(key);
            let mut index: HashMap<String, usize> = HashMap::new();
            if by_value {
                for (i, e) in arr.iter().enumerate() {
                    if let Some(v) = sub_value(e, "value").and_then(Value::as_str) {
                        index.entry(v.to_owned()).or_insert(i);
                    }
                }
            }
            for item in as_elements(&value) {
                let indexed = sub_value(&item, "value")
                    .and_then(Value::as_str)
                    .filter(|_| by_value)
                    .map(str::to_owned);
                let found = match &indexed {
                    Some(v) => index.get(v).copied(),
                    None => arr.iter().position(|e| same_element(key, e, &item)),
                };
                if let Some(i) = found {
                    touched.push(i);
                } else {
                    arr.push(item);
                    touched.push(arr.len() - 1);
                    if let Some(v) = indexed {
                        index.insert(v, arr.len() - 1);
                    }
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

/// Takes the values of `key` out of `map` (none when absent or null). Anything but an array is
/// refused and put back: the error must leave no trace, and the caller discards the clone
/// anyway, but being tidy costs nothing.
fn take_array(map: &mut Map<String, Value>, key: &str) -> Result<Vec<Value>, ScimError> {
    match map.remove(key) {
        Some(Value::Array(arr)) => Ok(arr),
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(other) => {
            map.insert(key.to_string(), other);
            Err(ScimError::invalid_path(format!(
                "{key} is not an array in this resource"
            )))
        }
    }
}

/// The elements a value for a multi-valued attribute stands for: an array's items, or the
/// one object given. A bare scalar stands for `{"value": scalar}` (RFC 7643 §2.4: `value` is
/// the element's significant sub-attribute).
pub(super) fn as_elements(value: &Value) -> Vec<Value> {
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
            scalar => Value::Object(Map::from_iter([("value".into(), scalar.clone())])),
        })
        .collect()
}

/// Whether elements of `attr` are identified by their `value` alone, compared exactly.
fn identified_by_value(attr: &str) -> bool {
    eq_ci(attr, "members") || eq_ci(attr, "groups")
}

/// The ids a remove of `listed` members names, when every listed item is a member named by
/// its `value` (compared exactly, as [`is_listed`] compares them); `None` otherwise.
fn listed_ids(attr: &str, listed: &[Value]) -> Option<HashSet<String>> {
    if !identified_by_value(attr) || !case_exact(attr, "value") {
        return None;
    }
    listed
        .iter()
        .map(|l| {
            sub_value(l, "value")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect()
}

/// Whether `new` duplicates `existing`. Members (and a user's groups) are identified by
/// their `value` alone, so re-adding a member with another `display` is a no-op; other
/// elements only when identical.
pub(super) fn same_element(attr: &str, existing: &Value, new: &Value) -> bool {
    if identified_by_value(attr)
        && let (Some(a), Some(b)) = (sub_value(existing, "value"), sub_value(new, "value"))
    {
        return a == b;
    }
    existing == new
}

/// Whether `element` is one a remove-with-value lists: by `value` when the listed item has
/// one (compared as a filter's `eq` would), else by equality.
pub(super) fn is_listed(attr: &str, element: &Value, listed: &Value) -> bool {
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
pub(super) fn single_primary(arr: &mut [Value], touched: &[usize]) {
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
pub(super) fn elements(
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
    let mut arr = take_array(map, key)?;
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
        Op::Add | Op::Replace => required(value).and_then(|value| {
            let value = canon_value(value);
            if hits.is_empty() {
                create_element(&mut arr, filter, sub, &value, op).map_err(|mut e| {
                    e.detail = format!("{}: {}", selection(), e.detail);
                    e
                })
            } else {
                update_elements(&mut arr, &hits, filter, sub, &value, op)
            }
        }),
    };
    if !arr.is_empty() {
        map.insert(key.to_string(), Value::Array(arr));
    }
    result
}

/// Drops the elements at `hits` (ascending, as the callers collect them).
pub(super) fn drop_indices(arr: &mut Vec<Value>, hits: &[usize]) {
    let mut i = 0;
    arr.retain(|_| {
        let keep = hits.binary_search(&i).is_err();
        i += 1;
        keep
    });
}

/// add/replace on a value path that matches nothing: Entra sets `emails[type eq
/// "work"].value` on a user who has no work email yet, and expects one to appear. The new
/// element is what the filter says (`{"type":"work"}`) plus the value.
pub(super) fn create_element(
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
        (None, _) => return Err(not_an_object()),
    }
    arr.push(Value::Object(element));
    let last = arr.len() - 1;
    single_primary(arr, &[last]);
    Ok(())
}

fn not_an_object() -> ScimError {
    ScimError::invalid_value("the value for elements of a multi-valued attribute must be an object")
}

pub(super) fn update_elements(
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
                    *element = Value::Object(Map::from_iter([("value".into(), element.take())]));
                }
                if let Value::Object(obj) = element {
                    // A sub-attribute of an element is simple: add and replace both set it.
                    let k = key_for(obj, sub);
                    put(obj, &k, Op::Replace, value)?;
                }
            }
            None => {
                let Value::Object(new) = value else {
                    return Err(not_an_object());
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
pub(super) fn template(filter: Option<&ValFilter>) -> Option<Map<String, Value>> {
    let mut out = Map::new();
    let Some(filter) = filter else {
        return Some(out);
    };
    for term in terms(Some(filter)) {
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
pub(super) fn pinned(filter: Option<&ValFilter>) -> Vec<String> {
    terms(filter)
        .into_iter()
        .filter_map(|t| match t {
            ValFilter::Attr(AttrExp::Comparison(p, CompareOp::Eq, _)) if p.sub_attr.is_none() => {
                Some(p.name.clone())
            }
            _ => None,
        })
        .collect()
}

/// A filter's terms: those of a top-level `and`, or the filter itself.
fn terms(filter: Option<&ValFilter>) -> Vec<&ValFilter> {
    match filter {
        Some(ValFilter::And(items)) => items.iter().collect(),
        Some(other) => vec![other],
        None => Vec::new(),
    }
}
