//! A value path's filter evaluated on one element (in memory: it is one resource).
use super::*;

/// Whether one element of the multi-valued attribute `attr` satisfies `filter`. The filter's
/// paths name the element's sub-attributes (RFC 7644 §3.4.2.2); a schema URI on them adds
/// nothing here and is ignored.
pub(super) fn matches(filter: &ValFilter, element: &Value, attr: &str) -> bool {
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

pub(super) fn lookup<'a>(element: &'a Value, path: &AttrPath) -> Option<&'a Value> {
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
pub(super) fn present(v: &Value) -> bool {
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
pub(super) fn case_exact(attr: &str, sub: &str) -> bool {
    ((eq_ci(attr, "members") || eq_ci(attr, "groups")) && eq_ci(sub, "value")) || eq_ci(sub, "$ref")
}

pub(super) fn compare(
    actual: Option<&Value>,
    op: &CompareOp,
    expected: &CompValue,
    exact: bool,
) -> bool {
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

pub(super) fn bool_compare(actual: Option<bool>, expected: bool, op: &CompareOp) -> bool {
    match op {
        CompareOp::Eq => actual == Some(expected),
        CompareOp::Ne => actual != Some(expected),
        // RFC 7644 §3.4.2.2: ordering and substring operators do not apply to booleans.
        _ => false,
    }
}

pub(in crate::domain::scim) fn str_compare(
    actual: &str,
    expected: &str,
    op: &CompareOp,
    exact: bool,
) -> bool {
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
pub(super) fn ordered(ord: Ordering, op: &CompareOp) -> Option<bool> {
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
