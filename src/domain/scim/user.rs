//! A SCIM User (RFC 7643 §4.1 and the enterprise extension, §4.3) as we store it: read from a
//! request leniently (the forms Okta and Entra ID really send), written back in one shape.
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{ENTERPRISE_SCHEMA, ScimError, USER_SCHEMA, boolean};
use crate::domain::{sign_in::claims::SUBJECT_MAX, stored::ContactStatus, validate};

/// The domain of the address a contact gets when the IdP sends none (RFC 2606 reserves
/// `.invalid`, so it can never reach anyone). It is never returned over SCIM, and the first
/// real address (from SCIM or a sign-in) replaces it.
pub const PLACEHOLDER_DOMAIN: &str = "scim.invalid";

/// The longest text we keep for the short attributes (names, title, department, ...).
const TEXT_MAX: usize = validate::NAME_MAX;
const DISPLAY_NAME_MAX: usize = 400;
const PASSWORD_MAX: usize = 1024;
/// The most `emails` (and, apart, `phoneNumbers`) a user keeps.
pub const CONTACTABLES_MAX: usize = 10;

/// One element of `emails` or `phoneNumbers`, kept as sent so that it is returned as sent.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Contactable {
    pub value: String,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<bool>,
}

impl Contactable {
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// The address a contact gets from a user's emails: the primary one, else the work one, else
/// the first.
pub fn chosen_email(emails: &[Contactable]) -> Option<&Contactable> {
    let rank = |e: &Contactable| {
        if e.primary == Some(true) {
            0
        } else if e
            .kind
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("work"))
        {
            1
        } else {
            2
        }
    };
    emails.iter().min_by_key(|e| rank(e))
}

/// A User's attributes, as a request carries them (`password` only on the way in).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserData {
    pub user_name: String,
    pub external_id: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub display_name: Option<String>,
    pub title: Option<String>,
    /// The contact's email: the chosen one of `emails`.
    pub email: Option<String>,
    /// As sent; the chosen one is the contact's email.
    pub emails: Vec<Contactable>,
    pub active: bool,
    pub phone_numbers: Vec<Contactable>,
    pub department: Option<String>,
    pub employee_number: Option<String>,
    pub organization: Option<String>,
    pub manager: Option<String>,
    /// Write-only: stored as a hash, never returned.
    pub password: Option<String>,
}

/// The member of `object` named `name`, ignoring case (RFC 7643 §2.1); `null` is absent.
pub(crate) fn member<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .filter(|v| !v.is_null())
}

/// An optional string attribute: absent, null and blank are `None`; too long is refused.
pub(crate) fn text(
    object: &Map<String, Value>,
    name: &str,
    path: &str,
    max: usize,
) -> Result<Option<String>, ScimError> {
    match member(object, name) {
        None => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) if s.trim().chars().count() > max => Err(ScimError::invalid_value(
            format!("{path}: longer than {max} characters"),
        )),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        // Entra sends employeeNumber and the like as numbers now and then.
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(ScimError::invalid_value(format!(
            "{path}: must be a string, not {other}"
        ))),
    }
}

/// Checks that `schemas`, when sent, names `schema`.
pub(crate) fn check_schemas(body: &Map<String, Value>, schema: &str) -> Result<(), ScimError> {
    match member(body, "schemas") {
        None => Ok(()),
        Some(Value::Array(items))
            if items
                .iter()
                .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(schema))) =>
        {
            Ok(())
        }
        Some(other) => Err(ScimError::invalid_value(format!(
            "schemas: must list {schema}, got {other}"
        ))),
    }
}

/// The object a request body must be.
pub(crate) fn object<'a>(body: &'a Value, what: &str) -> Result<&'a Map<String, Value>, ScimError> {
    body.as_object().ok_or_else(|| {
        ScimError::invalid_syntax(format!("the request body must be a JSON object (a {what})"))
    })
}

/// A multi-valued attribute's elements; absent or null is none.
pub(crate) fn elements<'a>(
    object: &'a Map<String, Value>,
    name: &str,
) -> Result<&'a [Value], ScimError> {
    match member(object, name) {
        None => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(ScimError::invalid_value(format!(
            "{name}: must be an array, not {other}"
        ))),
    }
}

/// `emails` or `phoneNumbers`: elements without a value are dropped; every value is checked
/// by `check`.
fn contactables(
    body: &Map<String, Value>,
    name: &str,
    max: usize,
    check: &dyn Fn(&str, &str) -> Result<String, ScimError>,
) -> Result<Vec<Contactable>, ScimError> {
    let items = elements(body, name)?;
    if items.len() > CONTACTABLES_MAX {
        return Err(ScimError::invalid_value(format!(
            "{name}: at most {CONTACTABLES_MAX} are kept"
        )));
    }
    let mut kept = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("{name}[{i}]");
        let item = item
            .as_object()
            .ok_or_else(|| ScimError::invalid_value(format!("{path}: must be an object")))?;
        let Some(value) = text(item, "value", &format!("{path}.value"), max)? else {
            continue;
        };
        let primary = match member(item, "primary") {
            None => None,
            Some(v) => Some(boolean(v).ok_or_else(|| {
                ScimError::invalid_value(format!("{path}.primary: must be true or false"))
            })?),
        };
        kept.push(Contactable {
            value: check(&format!("{path}.value"), &value)?,
            kind: text(item, "type", &format!("{path}.type"), TEXT_MAX)?,
            primary,
        });
    }
    if kept.iter().filter(|c| c.primary == Some(true)).count() > 1 {
        return Err(ScimError::invalid_value(format!(
            "{name}: at most one may be primary (RFC 7643 §2.4)"
        )));
    }
    Ok(kept)
}

fn checked_email(path: &str, raw: &str) -> Result<String, ScimError> {
    validate::email(path, raw)
        .map_err(|err| ScimError::invalid_value(format!("{path}: {}", err.message)))
}

/// The enterprise manager: `"id"`, `{"value": "id"}` or (Entra) `[{"value": "id"}]`.
fn manager(extension: &Map<String, Value>) -> Result<Option<String>, ScimError> {
    const PATH: &str = "manager";
    let value = match member(extension, PATH) {
        None => return Ok(None),
        Some(Value::Array(items)) => match items.first() {
            None => return Ok(None),
            Some(first) => first,
        },
        Some(v) => v,
    };
    match value {
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) if s.chars().count() > SUBJECT_MAX => Err(ScimError::invalid_value(
            format!("{ENTERPRISE_SCHEMA}:manager: longer than {SUBJECT_MAX} characters"),
        )),
        Value::String(s) => Ok(Some(s.trim().to_owned())),
        Value::Object(m) => text(
            m,
            "value",
            &format!("{ENTERPRISE_SCHEMA}:manager.value"),
            SUBJECT_MAX,
        ),
        Value::Null => Ok(None),
        other => Err(ScimError::invalid_value(format!(
            "{ENTERPRISE_SCHEMA}:manager: must be a string or an object with a value, not {other}"
        ))),
    }
}

/// Reads a User from a create, replace or patched representation. Read-only attributes
/// (`id`, `meta`, `groups`) and attributes we do not keep are ignored.
pub fn parse(body: &Value) -> Result<UserData, ScimError> {
    let body = object(body, "User")?;
    check_schemas(body, USER_SCHEMA)?;
    let user_name = text(body, "userName", "userName", SUBJECT_MAX)?
        .ok_or_else(|| ScimError::invalid_value("userName: required, and may not be blank"))?;
    let (given_name, family_name) = match member(body, "name") {
        None => (None, None),
        Some(Value::Object(name)) => (
            text(name, "givenName", "name.givenName", TEXT_MAX)?,
            text(name, "familyName", "name.familyName", TEXT_MAX)?,
        ),
        Some(other) => {
            return Err(ScimError::invalid_value(format!(
                "name: must be an object, not {other}"
            )));
        }
    };
    let active = match member(body, "active") {
        None => true,
        Some(v) => boolean(v).ok_or_else(|| {
            ScimError::invalid_value(format!("active: must be true or false, not {v}"))
        })?,
    };
    let extension = match member(body, ENTERPRISE_SCHEMA) {
        None => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(other) => {
            return Err(ScimError::invalid_value(format!(
                "{ENTERPRISE_SCHEMA}: must be an object, not {other}"
            )));
        }
    };
    let ext_text = |name: &str| {
        let path = format!("{ENTERPRISE_SCHEMA}:{name}");
        text(&extension, name, &path, TEXT_MAX)
    };
    let password = match member(body, "password") {
        None => None,
        Some(Value::String(p)) if p.is_empty() => None,
        Some(Value::String(p)) if p.chars().count() > PASSWORD_MAX => {
            return Err(ScimError::invalid_value(format!(
                "password: longer than {PASSWORD_MAX} characters"
            )));
        }
        Some(Value::String(p)) => Some(p.clone()),
        Some(_) => return Err(ScimError::invalid_value("password: must be a string")),
    };
    let emails = contactables(body, "emails", validate::EMAIL_MAX, &checked_email)?;
    let email = chosen_email(&emails).map(|e| e.value.clone());
    Ok(UserData {
        external_id: text(body, "externalId", "externalId", SUBJECT_MAX)?,
        given_name,
        family_name,
        display_name: text(body, "displayName", "displayName", DISPLAY_NAME_MAX)?,
        title: text(body, "title", "title", TEXT_MAX)?,
        email,
        emails,
        active,
        phone_numbers: contactables(body, "phoneNumbers", TEXT_MAX, &|_, v| Ok(v.to_owned()))?,
        department: ext_text("department")?,
        employee_number: ext_text("employeeNumber")?,
        organization: ext_text("organization")?,
        manager: manager(&extension)?,
        password,
        user_name,
    })
}

/// The contact status a User's `active` stands for.
pub fn status_of(active: bool) -> ContactStatus {
    if active {
        ContactStatus::Active
    } else {
        ContactStatus::Inactive
    }
}

impl UserData {
    /// The email a new contact gets: the chosen one of `emails`, or the userName when it is an
    /// address (Okta's userName usually is).
    pub fn email_for_new_contact(&self) -> Option<String> {
        self.email
            .clone()
            .or_else(|| validate::email("userName", &self.user_name).ok())
    }
}

/// What every resource's `meta` says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meta {
    pub resource_type: &'static str,
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
    pub location: String,
}

impl Meta {
    /// The weak ETag of this version of the resource: changes whenever it does.
    pub fn version(&self) -> String {
        format!("W/\"{:x}\"", self.last_modified.timestamp_micros())
    }

    pub fn to_json(&self) -> Value {
        json!({
            "resourceType": self.resource_type,
            // Microseconds, as stored: a filter on a returned value finds the resource.
            "created": crate::domain::time::format(self.created),
            "lastModified": crate::domain::time::format(self.last_modified),
            "location": self.location,
            "version": self.version(),
        })
    }
}

/// A User as we return it: every attribute we keep, and never the password.
/// `groups` are (group id, display name); `base` is the SCIM base URL, for their `$ref`.
pub fn render(
    id: Uuid,
    user: &UserData,
    groups: &[(Uuid, String)],
    base: &str,
    meta: &Meta,
) -> Value {
    let mut body = Map::new();
    body.insert("schemas".into(), json!([USER_SCHEMA, ENTERPRISE_SCHEMA]));
    body.insert("id".into(), id.to_string().into());
    if let Some(e) = &user.external_id {
        body.insert("externalId".into(), e.clone().into());
    }
    body.insert("userName".into(), user.user_name.clone().into());
    let mut name = Map::new();
    if let Some(g) = &user.given_name {
        name.insert("givenName".into(), g.clone().into());
    }
    if let Some(f) = &user.family_name {
        name.insert("familyName".into(), f.clone().into());
    }
    if !name.is_empty() {
        body.insert("name".into(), name.into());
    }
    for (key, value) in [("displayName", &user.display_name), ("title", &user.title)] {
        if let Some(v) = value {
            body.insert(key.into(), v.clone().into());
        }
    }
    for (key, items) in [
        ("emails", &user.emails),
        ("phoneNumbers", &user.phone_numbers),
    ] {
        if !items.is_empty() {
            let items: Vec<Value> = items.iter().map(Contactable::to_json).collect();
            body.insert(key.into(), items.into());
        }
    }
    body.insert("active".into(), user.active.into());
    if !groups.is_empty() {
        let groups: Vec<Value> = groups
            .iter()
            .map(|(id, name)| {
                json!({
                    "value": id.to_string(),
                    "$ref": format!("{base}/Groups/{id}"),
                    "display": name,
                    "type": "direct",
                })
            })
            .collect();
        body.insert("groups".into(), groups.into());
    }
    let mut extension = Map::new();
    for (key, value) in [
        ("department", &user.department),
        ("employeeNumber", &user.employee_number),
        ("organization", &user.organization),
    ] {
        if let Some(v) = value {
            extension.insert(key.into(), v.clone().into());
        }
    }
    if let Some(m) = &user.manager {
        extension.insert("manager".into(), json!({ "value": m }));
    }
    if !extension.is_empty() {
        body.insert(ENTERPRISE_SCHEMA.into(), extension.into());
    }
    body.insert("meta".into(), meta.to_json());
    body.into()
}

#[cfg(test)]
mod tests;
