//! HRIS connections (seed 004's "HRIS integration (such as Workday or BambooHR)"), as pure
//! rules: what each kind needs, how its fields map to the employee file's columns, when it
//! runs, and how a fetched report becomes the same CSV an employee file is, so that an HRIS
//! sync is the file sync (PRODUCT §7.1) with no second reader.
use chrono::{DateTime, Duration, NaiveTime, Timelike, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{
    employees::file::REQUIRED,
    stored::{StoredEnum, stored_enum},
    validate::{ISSUER_MAX, NAME_MAX, required_text},
};
use crate::error::{ErrorCode, FieldError};

stored_enum! {
    /// Which HRIS a connection pulls from.
    pub enum HrisKind in "hris_connection.kind" {
        /// BambooHR's custom report (`POST /api/gateway.php/{companyDomain}/v1/reports/custom`),
        /// JSON, with the API key as the basic-auth user.
        Bamboohr = "bamboohr",
        /// A Workday Report-as-a-Service URL answering JSON (`Report_Entry`) or CSV.
        WorkdayRaas = "workdayRaas",
    }
}

/// How a Workday report is authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum WorkdayAuth {
    /// HTTP basic: `username` and the secret as password (an integration system user).
    Basic,
    /// OAuth 2.0 client credentials at `tokenUrl`: `username` is the client id and the secret
    /// the client secret.
    OauthClientCredentials,
}

/// A connection's settings, the secret aside (stored as JSON; only the kind's fields are set).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionSettings {
    /// BambooHR: the company's subdomain (`acme` for acme.bamboohr.com).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_domain: Option<String>,
    /// BambooHR: the API's base URL (default `https://api.bamboohr.com`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Workday: the report's URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<WorkdayAuth>,
    /// Workday: the basic-auth user, or the OAuth client id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Workday OAuth: where client credentials are exchanged for a token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
}

pub const BAMBOOHR_API: &str = "https://api.bamboohr.com";

/// The settings as given, before they are checked against the kind.
#[derive(Clone, Debug, Default)]
pub struct SettingsInput {
    pub company_domain: Option<String>,
    pub base_url: Option<String>,
    pub report_url: Option<String>,
    pub auth: Option<WorkdayAuth>,
    pub username: Option<String>,
    pub token_url: Option<String>,
}

/// An `http(s)` URL of at most [`ISSUER_MAX`] characters.
fn url(label: &str, raw: &str) -> Result<String, FieldError> {
    let text = required_text(label, raw, ISSUER_MAX)?;
    if text.starts_with("https://") || text.starts_with("http://") {
        Ok(text)
    } else {
        Err(FieldError::new(
            label,
            ErrorCode::Invalid,
            "must be an http:// or https:// URL",
            Some(raw),
        ))
    }
}

fn required(label: &str) -> FieldError {
    FieldError::new(label, ErrorCode::Blank, "is required for this kind", None)
}

/// Checks `input` for `kind`: what the kind needs must be there; what belongs to the other
/// kind is refused rather than kept unused.
pub fn settings(
    kind: HrisKind,
    input: &SettingsInput,
) -> Result<ConnectionSettings, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut take =
        |label: &str, value: &Option<String>, needed: bool, is_url: bool| match value.as_deref() {
            None if needed => {
                errors.push(required(label));
                None
            }
            None => None,
            Some(raw) => {
                let checked = if is_url {
                    url(label, raw)
                } else {
                    required_text(label, raw, NAME_MAX)
                };
                checked.map_err(|e| errors.push(e)).ok()
            }
        };
    let settings = match kind {
        HrisKind::Bamboohr => ConnectionSettings {
            company_domain: take("companyDomain", &input.company_domain, true, false),
            base_url: take("baseUrl", &input.base_url, false, true),
            ..ConnectionSettings::default()
        },
        HrisKind::WorkdayRaas => {
            let auth = input.auth.unwrap_or(WorkdayAuth::Basic);
            let oauth = auth == WorkdayAuth::OauthClientCredentials;
            ConnectionSettings {
                report_url: take("reportUrl", &input.report_url, true, true),
                auth: Some(auth),
                username: take("username", &input.username, true, false),
                token_url: take("tokenUrl", &input.token_url, oauth, true),
                ..ConnectionSettings::default()
            }
        }
    };
    let foreign: &[(&str, bool)] = match kind {
        HrisKind::Bamboohr => &[
            ("reportUrl", input.report_url.is_some()),
            ("auth", input.auth.is_some()),
            ("username", input.username.is_some()),
            ("tokenUrl", input.token_url.is_some()),
        ],
        HrisKind::WorkdayRaas => &[
            ("companyDomain", input.company_domain.is_some()),
            ("baseUrl", input.base_url.is_some()),
        ],
    };
    for (label, given) in foreign {
        if *given {
            errors.push(FieldError::new(
                *label,
                ErrorCode::Invalid,
                format!("is not a setting of a {} connection", kind.as_str()),
                None,
            ));
        }
    }
    if settings.auth != Some(WorkdayAuth::OauthClientCredentials) && settings.token_url.is_some() {
        errors.push(FieldError::new(
            "tokenUrl",
            ErrorCode::Invalid,
            "is used only with auth: oauthClientCredentials",
            None,
        ));
    }
    if errors.is_empty() {
        Ok(settings)
    } else {
        Err(errors)
    }
}

/// The employee file's columns a connection fills: the required ones and `Status`.
pub fn columns() -> impl Iterator<Item = &'static str> {
    REQUIRED.into_iter().chain(["Status"])
}

/// A kind's field names for the employee columns: BambooHR's field names (its custom report
/// answers with them), and for Workday the column aliases a report is usually given.
pub fn default_field_map(kind: HrisKind) -> Vec<(String, String)> {
    let theirs: [&str; 9] = match kind {
        HrisKind::Bamboohr => [
            "employeeNumber",
            "workEmail",
            "firstName",
            "lastName",
            "department",
            "location",
            "jobTitle",
            "supervisorEId",
            "status",
        ],
        HrisKind::WorkdayRaas => [
            "Employee_ID",
            "Email",
            "First_Name",
            "Last_Name",
            "Department",
            "Location",
            "Job_Title",
            "Manager_ID",
            "Status",
        ],
    };
    columns()
        .zip(theirs)
        .map(|(ours, theirs)| (ours.to_owned(), theirs.to_owned()))
        .collect()
}

/// The field map of a connection: the kind's defaults with `changes` (ours, theirs) applied,
/// in the file's column order, extra columns (for rules that name them) after. An empty
/// `theirs` removes an extra column; a known column cannot be removed.
pub fn field_map(
    kind: HrisKind,
    current: Option<&[(String, String)]>,
    changes: &[(String, String)],
) -> Result<Vec<(String, String)>, Vec<FieldError>> {
    let mut map = current.map_or_else(|| default_field_map(kind), <[_]>::to_vec);
    let mut errors = Vec::new();
    for (i, (ours, theirs)) in changes.iter().enumerate() {
        let ours = match required_text(&format!("fieldMap[{i}].column"), ours, NAME_MAX) {
            Ok(v) => v,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let known = columns().find(|c| c.eq_ignore_ascii_case(&ours));
        let at = map.iter().position(|(o, _)| o.eq_ignore_ascii_case(&ours));
        if theirs.trim().is_empty() {
            match (known, at) {
                (Some(_), _) => errors.push(FieldError::new(
                    format!("fieldMap[{i}].field"),
                    ErrorCode::Blank,
                    format!(
                        "{ours} is a column every sync needs; give the HRIS field that fills it"
                    ),
                    None,
                )),
                (None, Some(at)) => {
                    map.remove(at);
                }
                (None, None) => {}
            }
            continue;
        }
        let theirs = match required_text(&format!("fieldMap[{i}].field"), theirs, NAME_MAX) {
            Ok(v) => v,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        match at {
            Some(at) => map[at].1 = theirs,
            None => map.push((known.map_or(ours, str::to_owned), theirs)),
        }
    }
    if errors.is_empty() {
        Ok(map)
    } else {
        Err(errors)
    }
}

/// When a connection runs: every N hours, or daily at a time (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schedule {
    EveryHours(u32),
    DailyAt(NaiveTime),
}

/// The longest interval, in hours (a week).
pub const EVERY_HOURS_MAX: u32 = 168;

impl Schedule {
    /// From the input: exactly one of `everyHours` and `dailyAt` (`HH:MM`, UTC).
    pub fn parse(every_hours: Option<i32>, daily_at: Option<&str>) -> Result<Self, FieldError> {
        match (every_hours, daily_at) {
            (Some(hours), None) => match u32::try_from(hours) {
                Ok(h) if (1..=EVERY_HOURS_MAX).contains(&h) => Ok(Self::EveryHours(h)),
                _ => Err(FieldError::new(
                    "schedule.everyHours",
                    ErrorCode::Invalid,
                    format!("must be between 1 and {EVERY_HOURS_MAX}"),
                    Some(&hours.to_string()),
                )),
            },
            (None, Some(raw)) => NaiveTime::parse_from_str(raw.trim(), "%H:%M")
                .map(Self::DailyAt)
                .map_err(|_| {
                    FieldError::new(
                        "schedule.dailyAt",
                        ErrorCode::Invalid,
                        "must be a time of day as HH:MM (24-hour, UTC)",
                        Some(raw),
                    )
                }),
            _ => Err(FieldError::new(
                "schedule",
                ErrorCode::Invalid,
                "give exactly one of everyHours and dailyAt",
                None,
            )),
        }
    }

    /// As stored: (`every_hours`, `daily_at`).
    pub fn columns(self) -> (Option<i32>, Option<String>) {
        match self {
            Self::EveryHours(h) => (i32::try_from(h).ok(), None),
            Self::DailyAt(t) => (None, Some(t.format("%H:%M").to_string())),
        }
    }

    /// The first run strictly after `now`: `now` plus the interval, or the next time of day.
    pub fn next_after(self, now: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Self::EveryHours(h) => now + Duration::hours(i64::from(h)),
            Self::DailyAt(at) => {
                let today = now
                    .date_naive()
                    .and_time(at)
                    .and_utc()
                    .with_nanosecond(0)
                    .unwrap_or(now);
                if today > now {
                    today
                } else {
                    today + Duration::days(1)
                }
            }
        }
    }
}

/// Why a fetched report cannot be synced; nothing changes, and the sync's record says so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportProblem(pub String);

/// A report value as the file would carry it: text as is, numbers and booleans written out,
/// a Workday reference (`{"Descriptor": …}`) by its descriptor, a list by its first value.
fn text_of(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Array(items) => items.first().map(text_of).unwrap_or_default(),
        Value::Object(fields) => fields
            .get("Descriptor")
            .or_else(|| fields.get("descriptor"))
            .or_else(|| fields.get("ID"))
            .map(text_of)
            .unwrap_or_default(),
    }
}

/// A status as the file takes it: HRIS say "Active" and "Inactive" (BambooHR) or
/// "Terminated"; anything else is passed on for the file's reader to refuse by line.
fn status_of(raw: &str) -> String {
    let trimmed = raw.trim();
    if trimmed.eq_ignore_ascii_case("inactive") || trimmed.eq_ignore_ascii_case("terminated") {
        "terminated".to_owned()
    } else if trimmed.eq_ignore_ascii_case("active") {
        "active".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// One record as the sync reads it: (column, value) in the map's order.
pub fn mapped_row(record: &Map<String, Value>, map: &[(String, String)]) -> Vec<(String, String)> {
    map.iter()
        .map(|(ours, theirs)| {
            let value = record.get(theirs).map(text_of).unwrap_or_default();
            let value = if ours == "Status" {
                status_of(&value)
            } else {
                value
            };
            (ours.clone(), value)
        })
        .collect()
}

/// The report's records as an employee file (CSV, the map's columns as header), for the
/// file's reader and sync. An empty report is never a file: a sync of no employees would
/// deactivate everyone.
pub fn to_file(
    records: &[Map<String, Value>],
    map: &[(String, String)],
) -> Result<String, ReportProblem> {
    if records.is_empty() {
        return Err(ReportProblem(
            "the report has no employees; an empty report is never applied".to_owned(),
        ));
    }
    let mut out = csv::Writer::from_writer(Vec::new());
    let written = (|| -> Result<Vec<u8>, csv::Error> {
        out.write_record(map.iter().map(|(ours, _)| ours.as_str()))?;
        for record in records {
            out.write_record(mapped_row(record, map).into_iter().map(|(_, value)| value))?;
        }
        out.into_inner().map_err(|e| e.into_error().into())
    })();
    written
        .map_err(|e| ReportProblem(format!("the report could not be written as a file: {e}")))
        .and_then(|bytes| {
            String::from_utf8(bytes)
                .map_err(|_| ReportProblem("the report is not UTF-8 text".to_owned()))
        })
}

/// A report's records from its JSON: BambooHR's `{"employees": [...]}`, Workday's
/// `{"Report_Entry": [...]}`, or a bare list.
pub fn records_of_json(body: &Value) -> Result<Vec<Map<String, Value>>, ReportProblem> {
    let list = match body {
        Value::Array(list) => list,
        Value::Object(o) => match o.get("employees").or_else(|| o.get("Report_Entry")) {
            Some(Value::Array(list)) => list,
            _ => {
                return Err(ReportProblem(
                    "the report's JSON has neither `employees` nor `Report_Entry`".to_owned(),
                ));
            }
        },
        _ => {
            return Err(ReportProblem(
                "the report's JSON is not an object".to_owned(),
            ));
        }
    };
    list.iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::Object(o) => Ok(o.clone()),
            _ => Err(ReportProblem(format!(
                "the report's entry {i} is not an object"
            ))),
        })
        .collect()
}

/// A CSV report's records (Workday's `format=csv`), by its header.
pub fn records_of_csv(text: &str) -> Result<Vec<Map<String, Value>>, ReportProblem> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| ReportProblem(format!("the report is not valid CSV: {e}")))?
        .clone();
    reader
        .records()
        .map(|record| {
            let record =
                record.map_err(|e| ReportProblem(format!("the report is not valid CSV: {e}")))?;
            Ok(header
                .iter()
                .zip(record.iter())
                .map(|(k, v)| (k.trim().to_owned(), Value::String(v.to_owned())))
                .collect())
        })
        .collect()
}

#[cfg(test)]
mod tests;
