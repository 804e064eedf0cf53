//! The database refuses enum values the service does not know: a `CHECK` constraint per enum
//! column on PostgreSQL, and a pair of triggers per column on SQLite (which cannot add a
//! constraint to an existing table without rebuilding it). Both check new writes only
//! (PostgreSQL's constraints are `NOT VALID`), so the migration runs on any existing data; a
//! row written before it with an unknown value still fails closed when the service reads it.
use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

/// The enum columns and the values this migration lets the database accept:
/// (table, column, values).
pub const CHECKED: &[(&str, &str, &[&str])] = &[
    ("contact", "status", &["active", "inactive"]),
    ("identity_provider", "protocol", &["oidc", "saml"]),
    ("credential", "kind", &["sso", "password"]),
    (
        "provisioning_event",
        "outcome",
        &["created", "linked", "signedIn", "denied"],
    ),
    (
        "provisioning_event",
        "account_assignment",
        &["defaultAccount", "companyMatch", "individualAccount"],
    ),
    (
        "api_token",
        "role",
        &["owner", "support", "auditor", "portal"],
    ),
    (
        "identity_provider_configuration",
        "company_match",
        &["exact", "caseInsensitive"],
    ),
];

#[derive(DeriveMigrationName)]
pub struct Migration;

fn name(table: &str, column: &str) -> String {
    format!("ck_{table}_{column}")
}

fn allowed(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| format!("'{}'", v.replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Makes the database refuse any value of `table.column` outside `values` (new writes only).
pub(crate) async fn add_check(
    manager: &SchemaManager<'_>,
    table: &str,
    column: &str,
    values: &[&str],
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let (check, list) = (name(table, column), allowed(values));
    match manager.get_database_backend() {
        DbBackend::Postgres => {
            db.execute_unprepared(&format!(
                "ALTER TABLE {table} ADD CONSTRAINT {check} \
                 CHECK ({column} IN ({list})) NOT VALID"
            ))
            .await?;
        }
        _ => {
            let events = [
                ("insert", "INSERT".to_owned()),
                ("update", format!("UPDATE OF {column}")),
            ];
            for (when, event) in events {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER {check}_{when} BEFORE {event} ON {table} FOR EACH ROW \
                     WHEN NEW.{column} NOT IN ({list}) \
                     BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {check}'); END"
                ))
                .await?;
            }
        }
    }
    Ok(())
}

/// Undoes [`add_check`].
pub(crate) async fn drop_check(
    manager: &SchemaManager<'_>,
    table: &str,
    column: &str,
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let check = name(table, column);
    match manager.get_database_backend() {
        DbBackend::Postgres => {
            db.execute_unprepared(&format!(
                "ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {check}"
            ))
            .await?;
        }
        _ => {
            for when in ["insert", "update"] {
                db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {check}_{when}"))
                    .await?;
            }
        }
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column, values) in CHECKED {
            add_check(manager, table, column, values).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column, _) in CHECKED {
            drop_check(manager, table, column).await?;
        }
        Ok(())
    }
}
