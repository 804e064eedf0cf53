//! The command line as a door (in the library, beside the other transports, because it needs
//! the global IDs and stored enums of the core):
//! - `autoprov employees import FILE [--dry-run]` reads the file, imports it through the
//!   service, prints a summary for a person and exits with a code a script can branch on:
//!   0 applied (or a dry run), 3 held, 2 rejected, 1 error;
//! - `autoprov token create` prints the new token's secret, alone, on stdout.
use std::{fmt::Write as _, path::Path, process::ExitCode};

use crate::{
    config::{CliRole, Settings},
    domain::{
        access::{Caller, Role},
        employees::{SyncSource, SyncStatus},
        id::{self, NodeKind},
    },
    error::AppError,
    service::{
        api_tokens,
        employees::{self, Body, Import, Synced},
    },
    startup::open_database,
};
use serde_json::Value;

/// `autoprov token create --name NAME [--role R] [--expires-in-days N]`: the secret alone on
/// stdout; an input the service refuses is an error naming the flag.
pub async fn create_token(
    settings: &Settings,
    name: &str,
    role: CliRole,
    expires_in_days: Option<u32>,
) -> Result<ExitCode, String> {
    let db = open_database(settings).await.map_err(|e| e.to_string())?;
    let role = match role {
        CliRole::Owner => Role::Owner,
        CliRole::Support => Role::Support,
        CliRole::Auditor => Role::Auditor,
    };
    let expires_at =
        expires_in_days.map(|d| chrono::Utc::now() + chrono::Duration::days(i64::from(d)));
    let (_, secret) = api_tokens::create(
        &crate::startup::app(db, settings),
        Caller::Operator("autoprov token create (command line)"),
        api_tokens::NewApiToken {
            name,
            role,
            brand_id: None,
            identity_provider_id: None,
            expires_at,
        },
    )
    .await
    .map_err(|e| match e {
        AppError::Invalid(errors) => errors
            .iter()
            .map(|e| format!("--{}: {}", e.label.as_deref().unwrap_or("?"), e.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    })?;
    println!("{secret}");
    Ok(ExitCode::SUCCESS)
}

const HELD: u8 = 3;
const REJECTED: u8 = 2;

pub async fn import(settings: &Settings, file: &Path, dry_run: bool) -> Result<ExitCode, String> {
    // The file first: a wrong path is reported without touching the database.
    let body = open(file, settings.max_employee_file_bytes)?;
    let db = open_database(settings).await.map_err(|e| e.to_string())?;
    let file_name = file.file_name().map(|n| n.to_string_lossy().into_owned());
    let import = Import {
        source: SyncSource::Cli,
        hris_connection: None,
        file_name: file_name.as_deref(),
        dry_run,
        answer_changes: true,
    };
    let app = crate::startup::app(db.clone(), settings);
    let caller = Caller::Operator("autoprov employees import");
    let result = employees::import(&app, caller, import, body).await;
    db.close().await.ok();
    let synced = result.map_err(|e| match e {
        AppError::Invalid(errors) => errors
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join("; "),
        other => format!("the import failed: {other}"),
    })?;
    print!("{}", summary(&synced));
    Ok(match synced.status {
        SyncStatus::Applied | SyncStatus::DryRun => ExitCode::SUCCESS,
        SyncStatus::Held => ExitCode::from(HELD),
        SyncStatus::Rejected => {
            let reason = synced.record.reason.as_deref();
            eprintln!("rejected: {}", reason.unwrap_or("the file was rejected"));
            ExitCode::from(REJECTED)
        }
        SyncStatus::Superseded => {
            return Err(format!("unexpected sync status `{}`", synced.record.status));
        }
    })
}

/// The file, opened to be read as it is imported (never whole), or a message naming the path.
fn open(file: &Path, max_bytes: usize) -> Result<Body<'static>, String> {
    let unreadable = |e: std::io::Error| format!("cannot read {}: {e}", file.display());
    let opened = std::fs::File::open(file).map_err(unreadable)?;
    let meta = opened.metadata().map_err(unreadable)?;
    if !meta.is_file() {
        return Err(format!(
            "cannot read {}: not a regular file",
            file.display()
        ));
    }
    let len = meta.len();
    if usize::try_from(len).map_or(true, |len| len > max_bytes) {
        return Err(format!(
            "{} is {len} bytes, more than --max-employee-file-bytes ({max_bytes})",
            file.display()
        ));
    }
    Ok(Body::File {
        file: opened,
        max_bytes: u64::try_from(max_bytes).unwrap_or(u64::MAX),
    })
}

/// What the sync did, in a few lines for a person.
fn summary(
    Synced {
        status,
        record: sync,
    }: &Synced,
) -> String {
    let mut out = String::new();
    let sync_id = id::encode(NodeKind::EmployeeSync, sync.id);
    let rejected = sync.rejected_row_count;
    // Writing to a String cannot fail.
    let _ = writeln!(out, "employee sync {sync_id}: {}", sync.status);
    let _ = writeln!(
        out,
        "{} rows: {} created, {} reactivated, {} deactivated, {} role changed, {} updated, \
         {} unchanged, {rejected} rejected",
        sync.rows,
        sync.created,
        sync.reactivated,
        sync.deactivated,
        sync.role_changed,
        sync.updated,
        sync.unchanged,
    );
    if let Some(reason) = &sync.reason {
        let _ = writeln!(out, "reason: {reason}");
    }
    for (title, rows) in [
        ("rejected rows", &sync.rejected_rows),
        ("notes", &sync.notes),
    ] {
        let rows = rows.as_array().map(Vec::as_slice).unwrap_or_default();
        if !rows.is_empty() {
            let _ = writeln!(out, "{title}:");
        }
        let shown = i32::try_from(rows.len()).unwrap_or(i32::MAX);
        if title == "rejected rows" && shown < sync.rejected_row_count {
            let _ = writeln!(
                out,
                "  (the first {shown} of {} are kept)",
                sync.rejected_row_count
            );
        }
        for row in rows {
            let line = row.get("line").map_or_else(|| "?".into(), text);
            let message = row.get("message").map_or_else(String::new, text);
            let _ = writeln!(out, "  line {line}: {message}");
        }
    }
    let changes = sync
        .changes
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if !changes.is_empty() {
        let _ = writeln!(out, "changes:");
    }
    for change in changes {
        let _ = writeln!(out, "  {}", change_line(change));
    }
    if *status == SyncStatus::Held {
        let _ = writeln!(
            out,
            "Nothing was changed. Review the sync, then apply it with the GraphQL mutation\n  \
             employeeSyncs {{ apply(input: {{employeeSyncId: \"{sync_id}\"}}) }}"
        );
    }
    out
}

/// One change: its kind, who, then every other field as `name=value`.
fn change_line(change: &Value) -> String {
    let Some(fields) = change.as_object() else {
        return text(change);
    };
    let mut line = fields.get("kind").map_or_else(|| "change".into(), text);
    if let Some(email) = fields.get("email") {
        line.push(' ');
        line.push_str(&text(email));
    }
    if let Some(employee) = fields.get("employeeId") {
        let _ = write!(line, " ({})", text(employee));
    }
    for (name, value) in fields {
        if !matches!(name.as_str(), "kind" | "email" | "employeeId") && !value.is_null() {
            let _ = write!(line, " {name}={}", text(value));
        }
    }
    line
}

/// A JSON value as plain text: strings without their quotes.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn sync(status: SyncStatus) -> Synced {
        let mut synced = Synced::sample(status);
        let sync = &mut synced.record;
        (sync.rows, sync.created, sync.deactivated) = (3, 1, 1);
        sync.rejected_rows = json!([{"line": 4, "employeeId": "E9", "message": "Email is blank"}]);
        sync.rejected_row_count = 1;
        sync.changes = json!([
            {"employeeId": "E1", "email": "ada@example.com", "kind": "created", "role": "support"},
            {"employeeId": "E2", "email": "bob@example.com", "kind": "deactivated", "rule": null},
        ]);
        synced
    }

    #[test]
    fn the_summary_lists_counts_rejected_rows_and_changes() {
        let out = summary(&sync(SyncStatus::Applied));
        assert!(out.contains(": applied\n"), "{out}");
        assert!(out.contains("3 rows: 1 created"), "{out}");
        assert!(out.contains("  line 4: Email is blank\n"), "{out}");
        assert!(
            out.contains("  created ada@example.com (E1) role=support\n"),
            "{out}"
        );
        assert!(
            out.contains("  deactivated bob@example.com (E2)\n"),
            "{out}"
        );
        assert!(!out.contains("apply"), "{out}");
    }

    #[test]
    fn a_held_sync_says_how_to_apply_it() {
        let mut held = sync(SyncStatus::Held);
        held.record.reason = Some("would deactivate 50% of rule-provisioned administrators".into());
        let out = summary(&held);
        assert!(out.contains("reason: would deactivate 50%"), "{out}");
        assert!(out.contains("employeeSyncs { apply("), "{out}");
        assert!(
            out.contains(&id::encode(NodeKind::EmployeeSync, held.record.id)),
            "{out}"
        );
    }
}
