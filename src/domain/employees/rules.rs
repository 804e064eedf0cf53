//! Rule conditions: their validation, whether an employee meets them, and whether two rules
//! can ever meet the same employee (the conflicts a rule's payload lists).
//!
//! Values are compared case-insensitively after trimming, under [`validate::fold`], like
//! emails: a rule on `Sales` matches `SALES ` and `ｓａｌｅｓ`. Condition values are folded
//! once, when the condition is built; employee values are folded as they are compared, with a
//! fast path for ASCII (already NFKC, folding is ASCII lowercase) that allocates nothing, so
//! 100,000 employees × tens of rules stay well under a second.
use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::domain::employees::ConditionOp;
use crate::domain::employees::file::{EmployeeStatus, VALUE_MAX, normalise_column};
use crate::domain::employees::table::Employee;
use crate::domain::{stored::StoredEnum, validate};
use crate::error::{ErrorCode, FieldError};

/// One validated condition. `field` is normalised ([`normalise_column`]); `values` are trimmed
/// and folded, one for `eq`/`ne`/`like` (a pattern), one or more distinct ones for `in`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    pub field: String,
    pub op: ConditionOp,
    pub values: Vec<String>,
}

const IS_MANAGER: &str = "ismanager";
const STATUS: &str = "status";

/// Validates condition `index` of a rule's input. `eq`, `ne` and `like` take `value`; `in`
/// takes `values`. Sending the other one too is refused rather than ignored, so a client that
/// meant `in` with `value` learns it at once instead of getting a rule that matches less.
pub fn condition(
    index: usize,
    field: &str,
    op: ConditionOp,
    value: Option<&str>,
    values: Option<&[String]>,
) -> Result<Condition, FieldError> {
    let label = |part: &str| format!("conditions.{index}.{part}");
    let field = normalise_column(&validate::required_text(
        &label("field"),
        field,
        validate::NAME_MAX,
    )?);
    let raw: Vec<&str> = match op {
        ConditionOp::Eq | ConditionOp::Ne | ConditionOp::Like => {
            if let Some(values) = values.filter(|v| !v.is_empty()) {
                return Err(FieldError::new(
                    label("values"),
                    ErrorCode::Invalid,
                    format!("{} takes `value`, not `values`", op.as_str()),
                    Some(&values.join(", ")),
                ));
            }
            let Some(value) = value else {
                return Err(FieldError::new(
                    label("value"),
                    ErrorCode::Blank,
                    format!("{} needs a value", op.as_str()),
                    None,
                ));
            };
            vec![value]
        }
        ConditionOp::In => {
            if let Some(value) = value.filter(|v| !v.trim().is_empty()) {
                return Err(FieldError::new(
                    label("value"),
                    ErrorCode::Invalid,
                    "in takes `values`, not `value`",
                    Some(value),
                ));
            }
            match values {
                Some(values) if !values.is_empty() => values.iter().map(String::as_str).collect(),
                _ => {
                    return Err(FieldError::new(
                        label("values"),
                        ErrorCode::Blank,
                        "in needs at least one value",
                        None,
                    ));
                }
            }
        }
    };
    let part = if op == ConditionOp::In {
        "values"
    } else {
        "value"
    };
    let mut folded: Vec<String> = Vec::with_capacity(raw.len());
    for text in raw {
        let text = validate::required_text(&label(part), text, VALUE_MAX)?;
        let value = validate::fold(&text);
        if field == IS_MANAGER && value != "true" && value != "false" {
            return Err(FieldError::new(
                label(part),
                ErrorCode::Invalid,
                "isManager is true or false",
                Some(&text),
            ));
        }
        if !folded.contains(&value) {
            folded.push(value);
        }
    }
    Ok(Condition {
        field,
        op,
        values: folded,
    })
}

/// One condition as a caller writes it, and as a rule stores it (trimmed, so that it reads
/// back as written; it is normalised again by [`conditions`] whenever it is evaluated).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConditionInput {
    pub field: String,
    pub operation: ConditionOp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
}

/// Validates a rule's conditions, reporting every faulty one at once. A rule needs at least
/// one condition: an empty list would match the whole organisation.
pub fn conditions(input: &[ConditionInput]) -> Result<Vec<Condition>, Vec<FieldError>> {
    if input.is_empty() {
        return Err(vec![FieldError::new(
            "conditions",
            ErrorCode::Blank,
            "a rule needs at least one condition",
            None,
        )]);
    }
    let mut built = Vec::with_capacity(input.len());
    let mut errors = Vec::new();
    for (index, c) in input.iter().enumerate() {
        match condition(
            index,
            &c.field,
            c.operation,
            c.value.as_deref(),
            c.values.as_deref(),
        ) {
            Ok(c) => built.push(c),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(built)
    } else {
        Err(errors)
    }
}

/// The value a (normalised) field names for an employee; `None` for a column this file does
/// not have, which rules read as `""`. The known fields win over an extra column of the same
/// name: `isManager` is always the derived flag, whatever the file says.
pub fn value_of<'a>(employee: Employee<'a>, field: &str) -> Option<&'a str> {
    Some(match field {
        "department" => employee.department(),
        "location" => employee.location(),
        "jobtitle" => employee.job_title(),
        "employeeid" => employee.employee_id(),
        "email" => employee.email(),
        "firstname" => employee.first_name(),
        "lastname" => employee.last_name(),
        "managerid" => employee.manager_id(),
        IS_MANAGER if employee.is_manager() => "true",
        IS_MANAGER => "false",
        STATUS => employee.status().as_str(),
        _ => return employee.extra(field),
    })
}

/// Whether an employee meets every condition. Terminated employees meet none (PRODUCT §7), and
/// an empty list matches nobody: a rule stored without conditions must not grant everyone.
pub fn matches(conditions: &[Condition], employee: Employee<'_>) -> bool {
    if conditions.is_empty() || employee.status() != EmployeeStatus::Active {
        return false;
    }
    conditions.iter().all(|c| {
        let raw = value_of(employee, &c.field).unwrap_or("");
        holds(c, &Probe::new(raw))
    })
}

fn holds(condition: &Condition, probe: &Probe<'_>) -> bool {
    let mut values = condition.values.iter();
    match condition.op {
        ConditionOp::Eq | ConditionOp::In => values.any(|v| probe.equals(v)),
        ConditionOp::Ne => !values.any(|v| probe.equals(v)),
        ConditionOp::Like => values.any(|p| probe.like(p)),
    }
}

/// The text [`validate::fold`] gives, without allocating for ASCII text that is already
/// lowercase.
pub(crate) fn folded_text(text: &str) -> Cow<'_, str> {
    let trimmed = text.trim();
    if !trimmed.is_ascii() {
        Cow::Owned(validate::fold(trimmed))
    } else if trimmed.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(trimmed.to_ascii_lowercase())
    } else {
        Cow::Borrowed(trimmed)
    }
}

/// An employee value ready to compare with folded condition values. ASCII text folds to its
/// ASCII lowercase, so it is compared case-insensitively in place; a folded value that is not
/// ASCII can never equal it, so the comparison stays exact.
enum Probe<'a> {
    Ascii(&'a str),
    Folded(Vec<char>),
}

impl<'a> Probe<'a> {
    fn new(raw: &'a str) -> Self {
        let trimmed = raw.trim();
        if trimmed.is_ascii() {
            Self::Ascii(trimmed)
        } else {
            Self::Folded(validate::fold(trimmed).chars().collect())
        }
    }

    fn equals(&self, folded: &str) -> bool {
        match self {
            Self::Ascii(text) => text.eq_ignore_ascii_case(folded),
            Self::Folded(chars) => chars.iter().copied().eq(folded.chars()),
        }
    }

    fn like(&self, pattern: &str) -> bool {
        match self {
            Self::Ascii(text) => like(text.as_bytes(), pattern, |b, c| {
                char::from(b.to_ascii_lowercase()) == c
            }),
            Self::Folded(chars) => like(chars, pattern, |a, c| a == c),
        }
    }
}

/// SQL `LIKE` over the whole text: `%` is any run of characters (none included), `_` exactly
/// one. Greedy with one backtrack point, the classic wildcard matcher: linear for patterns
/// with one `%`, at worst text × pattern, and no recursion.
fn like<T: Copy>(text: &[T], pattern: &str, same: impl Fn(T, char) -> bool) -> bool {
    let (mut t, mut p) = (0, 0);
    // After the last `%` seen: where the pattern resumes, and the text it was tried from.
    let mut star: Option<(usize, usize)> = None;
    loop {
        match pattern[p..].chars().next() {
            Some('%') => {
                p += 1;
                star = Some((p, t));
                continue;
            }
            Some(c) if t < text.len() && (c == '_' || same(text[t], c)) => {
                t += 1;
                p += c.len_utf8();
                continue;
            }
            None if t == text.len() => return true,
            _ => {}
        }
        match star {
            Some((resume, from)) if from < text.len() => {
                star = Some((resume, from + 1));
                p = resume;
                t = from + 1;
            }
            _ => return false,
        }
    }
}

/// `like` for two folded strings.
fn like_text(text: &str, pattern: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    like(&chars, pattern, |a, c| a == c)
}

fn has_wildcard(pattern: &str) -> bool {
    pattern.contains(['%', '_'])
}

/// Whether some employee could meet both lists, decided from the conditions alone (a conflict
/// warns before any file shows it). Per field, the constraints of both lists are intersected:
/// `eq`/`in` (and a `like` without wildcards) give a finite set, filtered by `ne` and `like`;
/// `isManager` is always the set {true, false} and `status` {active}, since only active
/// employees match. Without a finite set, `ne` alone is satisfiable and `like` patterns meet
/// unless their literal prefixes or suffixes disagree. Unsure means true: a needless warning
/// is better than a silent conflict.
pub fn can_overlap(a: &[Condition], b: &[Condition]) -> bool {
    let mut by_field: BTreeMap<&str, Vec<&Condition>> = BTreeMap::new();
    for c in a.iter().chain(b) {
        by_field.entry(c.field.as_str()).or_default().push(c);
    }
    by_field
        .iter()
        .all(|(field, conditions)| satisfiable(field, conditions))
}

fn satisfiable(field: &str, conditions: &[&Condition]) -> bool {
    let mut candidates: Option<Vec<&str>> = match field {
        IS_MANAGER => Some(vec!["true", "false"]),
        STATUS => Some(vec![EmployeeStatus::Active.as_str()]),
        _ => None,
    };
    let mut excluded: Vec<&str> = Vec::new();
    let mut patterns: Vec<&str> = Vec::new();
    for c in conditions {
        let finite: Option<&[String]> = match c.op {
            ConditionOp::Eq | ConditionOp::In => Some(&c.values),
            ConditionOp::Like if !c.values.iter().any(|p| has_wildcard(p)) => Some(&c.values),
            ConditionOp::Like => {
                // `like` has one pattern; several would be an `or`, which this cannot rule out.
                if let [pattern] = c.values.as_slice() {
                    patterns.push(pattern);
                }
                None
            }
            ConditionOp::Ne => {
                excluded.extend(c.values.iter().map(String::as_str));
                None
            }
        };
        if let Some(set) = finite {
            candidates = Some(match candidates {
                None => set.iter().map(String::as_str).collect(),
                Some(current) => current
                    .into_iter()
                    .filter(|v| set.iter().any(|s| s == v))
                    .collect(),
            });
        }
    }
    match candidates {
        Some(candidates) => candidates
            .iter()
            .any(|v| !excluded.contains(v) && patterns.iter().all(|p| like_text(v, p))),
        None => patterns
            .iter()
            .enumerate()
            .all(|(i, p)| patterns[i + 1..].iter().all(|q| !literally_disjoint(p, q))),
    }
}

/// True when no text can match both patterns: every match starts with the text before the
/// first wildcard and ends with the text after the last, so two prefixes (or suffixes) of
/// which neither extends the other rule each other out.
fn literally_disjoint(p: &str, q: &str) -> bool {
    let prefix = |s: &str| s.find(['%', '_']).unwrap_or(s.len());
    let (pp, qp) = (&p[..prefix(p)], &q[..prefix(q)]);
    if !pp.starts_with(qp) && !qp.starts_with(pp) {
        return true;
    }
    let suffix = |s: &str| s.rfind(['%', '_']).map_or(0, |i| i + 1);
    let (ps, qs) = (&p[suffix(p)..], &q[suffix(q)..]);
    !ps.ends_with(qs) && !qs.ends_with(ps)
}

#[cfg(test)]
mod tests;
