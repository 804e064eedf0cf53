//! SCIM filters (RFC 7644 §3.4.2.2) as conditions over the attributes we store.
//!
//! The `scim_v2` crate owns the grammar; this module decides what each attribute path means
//! for our storage and refuses everything else with `invalidFilter`, so that the `db` layer
//! only ever sees attributes it has columns for and literals already of the column's type.
//! A filter we cannot honour is an error, never "match all": a provisioning client that
//! asks "does this user exist?" and gets every user back would link the wrong account.
use scim_v2::filter::{AttrExp, AttrPath, CompValue, Filter, ParseError, ValFilter};

use super::{
    AttrType, ENTERPRISE_SCHEMA, FILTER_MAX, GROUP_SCHEMA, GroupAttr, ScimError, USER_SCHEMA,
    UserAttr, boolean, patch::str_compare,
};

/// A comparison operator: the grammar's own, which the `db` layer maps to SQL.
pub use scim_v2::filter::CompareOp as Op;

/// A comparison's right-hand side, already of the attribute's type, so the `db` layer never
/// has to reparse or guess.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Text(String),
    Id(uuid::Uuid),
    Bool(bool),
    DateTime(chrono::DateTime<chrono::Utc>),
}

/// A filter over attributes `A`; `Always` is what remains once the parts we can decide
/// without the database have been decided.
#[derive(Clone, Debug, PartialEq)]
pub enum Cond<A> {
    Always(bool),
    Present(A),
    Compare(A, Op, Literal),
    Not(Box<Cond<A>>),
    And(Vec<Cond<A>>),
    Or(Vec<Cond<A>>),
}

/// The condition a `/Users` filter sets.
pub fn users(filter: &str) -> Result<Cond<UserAttr>, ScimError> {
    condition(filter)
}

/// The condition a `/Groups` filter sets.
pub fn groups(filter: &str) -> Result<Cond<GroupAttr>, ScimError> {
    condition(filter)
}

/// What an attribute path names in our storage.
enum Target<A> {
    Stored(A),
    /// A sub-attribute we do not store because every value of its parent has the same one
    /// (a member's `type` is always "User"): it exists exactly when the parent does, so
    /// comparing it is decided here and leaves at most "the parent is present" for the
    /// database.
    Fixed {
        parent: A,
        value: Fixed,
    },
}

/// A fixed text, compared ignoring case as the `type` sub-attributes are (`caseExact: false`).
#[derive(Copy, Clone)]
struct Fixed(&'static str);

/// One resource's attributes, so that a single walker serves Users and Groups.
trait Attr: Copy {
    fn resolve(path: &AttrPath) -> Result<Target<Self>, ScimError>;
    fn kind(self) -> AttrType;
}

impl Attr for UserAttr {
    fn resolve(path: &AttrPath) -> Result<Target<Self>, ScimError> {
        use UserAttr as U;
        let stored = Target::Stored;
        // RFC 7643 §2.1: attribute names are case-insensitive.
        let name = path.name.to_ascii_lowercase();
        let sub = path.sub_attr.as_deref().map(str::to_ascii_lowercase);
        let (schema, target) = match (name.as_str(), sub.as_deref()) {
            ("id", None) => (USER_SCHEMA, stored(U::Id)),
            ("username", None) => (USER_SCHEMA, stored(U::UserName)),
            ("externalid", None) => (USER_SCHEMA, stored(U::ExternalId)),
            ("name", Some("givenname")) => (USER_SCHEMA, stored(U::GivenName)),
            ("name", Some("familyname")) => (USER_SCHEMA, stored(U::FamilyName)),
            ("displayname", None) => (USER_SCHEMA, stored(U::DisplayName)),
            ("title", None) => (USER_SCHEMA, stored(U::Title)),
            ("emails", None | Some("value")) => (USER_SCHEMA, stored(U::Email)),
            ("emails", Some("type")) => (USER_SCHEMA, stored(U::EmailType)),
            ("emails", Some("primary")) => (USER_SCHEMA, stored(U::EmailPrimary)),
            ("active", None) => (USER_SCHEMA, stored(U::Active)),
            ("meta", Some("created")) => (USER_SCHEMA, stored(U::Created)),
            ("meta", Some("lastmodified")) => (USER_SCHEMA, stored(U::LastModified)),
            ("department", None) => (ENTERPRISE_SCHEMA, stored(U::Department)),
            ("employeenumber", None) => (ENTERPRISE_SCHEMA, stored(U::EmployeeNumber)),
            ("organization", None) => (ENTERPRISE_SCHEMA, stored(U::Organization)),
            ("manager", None | Some("value")) => (ENTERPRISE_SCHEMA, stored(U::Manager)),
            _ => return Err(not_filterable(path, "Users")),
        };
        in_schema(path, schema)?;
        Ok(target)
    }

    fn kind(self) -> AttrType {
        self.attr_type()
    }
}

impl Attr for GroupAttr {
    fn resolve(path: &AttrPath) -> Result<Target<Self>, ScimError> {
        use GroupAttr as G;
        let stored = Target::Stored;
        let name = path.name.to_ascii_lowercase();
        let sub = path.sub_attr.as_deref().map(str::to_ascii_lowercase);
        let target = match (name.as_str(), sub.as_deref()) {
            ("id", None) => stored(G::Id),
            ("displayname", None) => stored(G::DisplayName),
            ("externalid", None) => stored(G::ExternalId),
            ("members", None | Some("value")) => stored(G::Member),
            ("members", Some("type")) => fixed(G::Member, Fixed("User")),
            ("meta", Some("created")) => stored(G::Created),
            ("meta", Some("lastmodified")) => stored(G::LastModified),
            _ => return Err(not_filterable(path, "Groups")),
        };
        in_schema(path, GROUP_SCHEMA)?;
        Ok(target)
    }

    fn kind(self) -> AttrType {
        self.attr_type()
    }
}

fn fixed<A>(parent: A, value: Fixed) -> Target<A> {
    Target::Fixed { parent, value }
}

fn not_filterable(path: &AttrPath, resource: &str) -> ScimError {
    ScimError::invalid_filter(format!(
        "attribute \"{path}\" is unknown or not filterable on {resource}"
    ))
}

/// A client may qualify a name with its schema URN, but only with the right one: the same
/// name under another schema is another attribute, and one we do not have.
fn in_schema(path: &AttrPath, schema: &str) -> Result<(), ScimError> {
    match &path.uri {
        Some(uri) if !uri.eq_ignore_ascii_case(schema) => Err(ScimError::invalid_filter(format!(
            "attribute \"{path}\": \"{}\" is not in schema \"{uri}\" (it is in \"{schema}\")",
            path.name
        ))),
        _ => Ok(()),
    }
}

fn condition<A: Attr>(text: &str) -> Result<Cond<A>, ScimError> {
    if text.len() > FILTER_MAX {
        return Err(ScimError::invalid_filter(format!(
            "the filter is {} bytes long; the longest accepted is {FILTER_MAX}",
            text.len()
        )));
    }
    if text.trim().is_empty() {
        return Err(ScimError::invalid_filter("the filter is empty"));
    }
    let parsed: Filter = text
        .parse()
        .map_err(|e| ScimError::invalid_filter(unparsable(text, e)))?;
    filter(&parsed)
}

/// Says where parsing stopped in the client's own offsets; the crate's default message lists
/// the lexer's regular expressions, which tell a client nothing.
fn unparsable(text: &str, error: ParseError) -> String {
    // The crate parses the trimmed text, so its offsets start after the leading blanks.
    let lead = text.len() - text.trim_start().len();
    match error {
        ParseError::InvalidToken { location } => {
            format!(
                "the filter does not parse: unexpected character at byte {}",
                location + lead
            )
        }
        ParseError::UnrecognizedEof { .. } => "the filter does not parse: it ends too early".into(),
        ParseError::UnrecognizedToken {
            token: (at, token, _),
            ..
        }
        | ParseError::ExtraToken {
            token: (at, token, _),
        } => format!(
            "the filter does not parse: unexpected \"{}\" at byte {}",
            token.trim(),
            at + lead
        ),
        ParseError::User { error } => format!("the filter does not parse: {error}"),
    }
}

fn filter<A: Attr>(f: &Filter) -> Result<Cond<A>, ScimError> {
    Ok(match f {
        Filter::Attr(exp) => attr_exp(exp, None)?,
        Filter::ValuePath(vp) => val_filter(&vp.filter, &vp.attr)?,
        Filter::Not(inner) => not(filter(inner)?),
        Filter::And(items) => junction(true, items.iter().map(filter).collect::<Result<_, _>>()?),
        Filter::Or(items) => junction(false, items.iter().map(filter).collect::<Result<_, _>>()?),
    })
}

/// `parent[...]`: with at most one value per parent in our storage, "some value matches"
/// is the same as the plain `parent.sub` comparisons.
fn val_filter<A: Attr>(f: &ValFilter, parent: &AttrPath) -> Result<Cond<A>, ScimError> {
    let each = |items: &[ValFilter]| -> Result<Vec<Cond<A>>, ScimError> {
        items.iter().map(|i| val_filter(i, parent)).collect()
    };
    Ok(match f {
        ValFilter::Attr(exp) => attr_exp(exp, Some(parent))?,
        ValFilter::Not(inner) => not(val_filter(inner, parent)?),
        ValFilter::And(items) => junction(true, each(items.as_slice())?),
        ValFilter::Or(items) => junction(false, each(items.as_slice())?),
    })
}

fn attr_exp<A: Attr>(exp: &AttrExp, parent: Option<&AttrPath>) -> Result<Cond<A>, ScimError> {
    let written = match exp {
        AttrExp::Present(path) | AttrExp::Comparison(path, _, _) => path,
    };
    let path = match parent {
        Some(parent) => nested(parent, written)?,
        None => written.clone(),
    };
    let target = A::resolve(&path)?;
    match exp {
        AttrExp::Present(_) => Ok(Cond::Present(subject(&target))),
        AttrExp::Comparison(_, op, value) => compare(target, op.clone(), value, &path),
    }
}

/// `emails[type eq "work"]` reads as `emails.type eq "work"`.
fn nested(parent: &AttrPath, inner: &AttrPath) -> Result<AttrPath, ScimError> {
    if parent.sub_attr.is_some() {
        return Err(ScimError::invalid_filter(format!(
            "\"{parent}[...]\": a value filter follows an attribute, not a sub-attribute"
        )));
    }
    if inner.uri.is_some() || inner.sub_attr.is_some() {
        return Err(ScimError::invalid_filter(format!(
            "\"{inner}\" inside \"{parent}[...]\" is not a sub-attribute name of \"{parent}\""
        )));
    }
    Ok(AttrPath {
        uri: parent.uri.clone(),
        name: parent.name.clone(),
        sub_attr: Some(inner.name.clone()),
    })
}

/// The stored attribute whose presence stands for the target's.
fn subject<A: Attr>(target: &Target<A>) -> A {
    match target {
        Target::Stored(attr) => *attr,
        Target::Fixed { parent, .. } => *parent,
    }
}

fn compare<A: Attr>(
    target: Target<A>,
    op: Op,
    value: &CompValue,
    path: &AttrPath,
) -> Result<Cond<A>, ScimError> {
    let kind = match &target {
        Target::Stored(attr) => attr.kind(),
        Target::Fixed { .. } => AttrType::Text,
    };
    if !allows(kind, &op) {
        let takes = match kind {
            AttrType::DateTime => "eq, ne, gt, ge, lt or le",
            _ => "eq or ne",
        };
        return Err(ScimError::invalid_filter(format!(
            "operator \"{op}\" cannot be used on \"{path}\", which takes {takes}"
        )));
    }
    // RFC 7644 §3.4.2.2: an unassigned attribute is null, so `eq null` asks for its absence.
    if *value == CompValue::Null {
        return match op {
            Op::Eq => Ok(not(Cond::Present(subject(&target)))),
            Op::Ne => Ok(Cond::Present(subject(&target))),
            _ => Err(ScimError::invalid_filter(format!(
                "\"{path} {op} null\": null can only be compared with eq or ne"
            ))),
        };
    }
    let Some(literal) = literal(kind, value, path)? else {
        // Not an id we could have issued: it equals none of ours and differs from all of them.
        return Ok(Cond::Always(op == Op::Ne));
    };
    Ok(match target {
        Target::Stored(attr) => Cond::Compare(attr, op, literal),
        Target::Fixed { parent, value } if value.holds(&op, &literal) => Cond::Present(parent),
        Target::Fixed { .. } => Cond::Always(false),
    })
}

fn allows(kind: AttrType, op: &Op) -> bool {
    match kind {
        AttrType::Text | AttrType::ExactText => true,
        AttrType::Boolean | AttrType::Id => matches!(op, Op::Eq | Op::Ne),
        AttrType::DateTime => !matches!(op, Op::Co | Op::Sw | Op::Ew),
    }
}

/// The value as the attribute's type; `None` for an id that is not one we could have issued.
fn literal(
    kind: AttrType,
    value: &CompValue,
    path: &AttrPath,
) -> Result<Option<Literal>, ScimError> {
    let refuse = |expected: &str| {
        Err(ScimError::invalid_filter(format!(
            "\"{path}\" is compared with {value}, but it takes {expected}"
        )))
    };
    match (kind, value) {
        (AttrType::Text | AttrType::ExactText, CompValue::Str(s)) => {
            Ok(Some(Literal::Text(s.clone())))
        }
        (AttrType::Text | AttrType::ExactText, CompValue::Number(n)) => {
            Ok(Some(Literal::Text(n.to_string())))
        }
        (AttrType::Text | AttrType::ExactText, _) => refuse("a string"),
        (AttrType::Boolean, CompValue::True) => Ok(Some(Literal::Bool(true))),
        (AttrType::Boolean, CompValue::False) => Ok(Some(Literal::Bool(false))),
        // Microsoft Entra ID sends booleans as "True"/"False".
        (AttrType::Boolean, CompValue::Str(s)) => {
            match boolean(&serde_json::Value::String(s.clone())) {
                Some(b) => Ok(Some(Literal::Bool(b))),
                None => refuse("true or false"),
            }
        }
        (AttrType::Boolean, _) => refuse("true or false"),
        (AttrType::DateTime, CompValue::Str(s)) => match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(t) => Ok(Some(Literal::DateTime(t.with_timezone(&chrono::Utc)))),
            Err(_) => refuse("an RFC 3339 date-time such as \"2024-01-31T12:00:00Z\""),
        },
        (AttrType::DateTime, _) => refuse("an RFC 3339 date-time string"),
        (AttrType::Id, CompValue::Str(s)) => Ok(issued_id(s).map(Literal::Id)),
        (AttrType::Id, _) => refuse("a string id"),
    }
}

/// Our ids are written as hyphenated UUIDs; other spellings (braces, `urn:uuid:`, no
/// hyphens) are not strings we ever issued. Hex case does not matter (RFC 9562 §4).
fn issued_id(s: &str) -> Option<uuid::Uuid> {
    if s.len() != 36 {
        return None;
    }
    uuid::Uuid::try_parse(s).ok()
}

impl Fixed {
    fn holds(self, op: &Op, literal: &Literal) -> bool {
        matches!(literal, Literal::Text(theirs) if str_compare(self.0, theirs, op, false))
    }
}

fn not<A>(c: Cond<A>) -> Cond<A> {
    match c {
        Cond::Always(b) => Cond::Always(!b),
        c => Cond::Not(Box::new(c)),
    }
}

/// `and` when `all`, else `or`: `Always(all)` changes nothing, `Always(!all)` decides the
/// whole, and a nested junction of the same kind is merged into this one.
fn junction<A>(all: bool, items: Vec<Cond<A>>) -> Cond<A> {
    let mut kept = Vec::with_capacity(items.len());
    for c in items {
        match c {
            Cond::Always(b) if b == all => {}
            Cond::Always(_) => return Cond::Always(!all),
            Cond::And(inner) if all => kept.extend(inner),
            Cond::Or(inner) if !all => kept.extend(inner),
            c => kept.push(c),
        }
    }
    match kept.len() {
        0 => Cond::Always(all),
        1 => kept.remove(0),
        _ if all => Cond::And(kept),
        _ => Cond::Or(kept),
    }
}

#[cfg(test)]
mod tests;
