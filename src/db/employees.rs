//! The statements of employee syncs: the rules in precedence order, the latest employee
//! snapshot (read by page, replaced by difference, in batches), the syncs' records and held
//! syncs; and the one place the rows of rules, syncs and the snapshot are built.
use chrono::{DateTime, Utc};
use entity::{admin_provisioning_rule, employee, employee_sync};
use futures_util::Stream;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{Set, Unchanged},
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement, StreamTrait,
    sea_query::Expr,
};
use serde_json::Value;
use uuid::Uuid;

use crate::domain::{
    employees::{AdminRole, HoldReason, SyncSource, SyncStatus, sync::Counts, table::Employee},
    stored::StoredEnum,
    validate,
};

/// Rows per multi-row statement: 13 columns × 500 stays far below SQLite's and PostgreSQL's
/// parameter limits.
const BATCH: usize = 500;

/// Syncs take turns: two files planned from the same state would both create the same
/// administrator. PostgreSQL: an advisory lock held to the end of the transaction; SQLite:
/// the write lock every transaction here takes (`BEGIN IMMEDIATE`). Taking it again in the same
/// transaction is harmless (PostgreSQL counts the holds).
pub async fn lock_syncs<Db: ConnectionTrait>(db: &Db) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    // The bytes of "emplsync" as a big-endian i64.
    db.execute_unprepared("SELECT pg_advisory_xact_lock(7308620004216091499)")
        .await
        .map(|_| ())
}

/// Every rule, first created first: the order of precedence.
pub async fn rules<Db: ConnectionTrait>(
    db: &Db,
) -> Result<Vec<admin_provisioning_rule::Model>, DbErr> {
    admin_provisioning_rule::Entity::find()
        .order_by_asc(admin_provisioning_rule::Column::CreatedAt)
        .order_by_asc(admin_provisioning_rule::Column::Id)
        .all(db)
        .await
}

/// The latest snapshot, in file order (then by EmployeeId: rows kept from an older file can
/// share a line with a newer one), one row at a time: a million rows are never all built.
pub async fn employees_in_file_order<'a, Db: ConnectionTrait + StreamTrait>(
    db: &'a Db,
) -> Result<impl Stream<Item = Result<employee::Model, DbErr>> + Send + 'a, DbErr> {
    employee::Entity::find()
        .order_by_asc(employee::Column::Line)
        .order_by_asc(employee::Column::EmployeeId)
        .stream(db)
        .await
}

/// Rows in the latest snapshot.
pub async fn count_employees<Db: ConnectionTrait>(db: &Db) -> Result<u64, DbErr> {
    employee::Entity::find().count(db).await
}

/// The stored rows of these employees (a sync compares a batch of its file with them).
pub async fn employees_with_ids<Db: ConnectionTrait>(
    db: &Db,
    ids: &[&str],
) -> Result<Vec<employee::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    employee::Entity::find()
        .filter(employee::Column::EmployeeId.is_in(ids.iter().copied()))
        .all(db)
        .await
}

/// Ids per page of [`employee_ids_after`].
pub const EMPLOYEE_PAGE: usize = 1000;

/// The next page of the latest snapshot's EmployeeIds in order, after `after` (from the start
/// without it): the ids alone, a sync looks for the employees gone from its file.
pub async fn employee_ids_after<Db: ConnectionTrait>(
    db: &Db,
    after: Option<&str>,
) -> Result<Vec<String>, DbErr> {
    let mut query = employee::Entity::find()
        .select_only()
        .column(employee::Column::EmployeeId)
        .order_by_asc(employee::Column::EmployeeId)
        .limit(EMPLOYEE_PAGE as u64);
    if let Some(after) = after {
        query = query.filter(employee::Column::EmployeeId.gt(after));
    }
    query.into_tuple::<String>().all(db).await
}

/// Deletes the rows of these employees (a changed row is deleted and inserted again),
/// [`BATCH`] per statement.
pub async fn delete_employees<Db: ConnectionTrait>(db: &Db, ids: &[&str]) -> Result<(), DbErr> {
    for ids in ids.chunks(BATCH) {
        employee::Entity::delete_many()
            .filter(employee::Column::EmployeeId.is_in(ids.iter().copied()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Rows per statement of [`insert_employees`]: a caller gives them this many at a time.
pub const EMPLOYEE_BATCH: usize = BATCH;

/// Writes snapshot rows, [`BATCH`] per statement, each batch's rows built just before it is
/// written: a large file never has all its rows built at once.
pub async fn insert_employees<Db: ConnectionTrait>(
    db: &Db,
    employees: &[Employee<'_>],
) -> Result<(), DbErr> {
    for batch in employees.chunks(BATCH) {
        let rows: Vec<_> = batch.iter().map(|e| employee_row(*e)).collect();
        employee::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

fn employee_row(e: Employee<'_>) -> employee::ActiveModel {
    employee::ActiveModel {
        employee_id: Set(e.employee_id().to_owned()),
        line: Set(i64::try_from(e.line()).unwrap_or(i64::MAX)),
        email: Set(e.email().to_owned()),
        first_name: Set(e.first_name().to_owned()),
        last_name: Set(e.last_name().to_owned()),
        department: Set(e.department().to_owned()),
        location: Set(e.location().to_owned()),
        job_title: Set(e.job_title().to_owned()),
        manager_id: Set(e.manager_id().to_owned()),
        status: Set(e.status().as_str().to_owned()),
        is_manager: Set(e.is_manager()),
        extra: Set(extra_json(e)),
    }
}

/// The `extra` column of an employee's row, its keys in name order (as stored before the
/// snapshot was compact, so that an unchanged file still compares equal on SQLite's text).
pub fn extra_json(e: Employee<'_>) -> Value {
    let sorted: std::collections::BTreeMap<&str, &str> = e.extras().collect();
    Value::Object(
        sorted
            .into_iter()
            .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
            .collect(),
    )
}

/// Whether an employee file has ever been applied: before the first one there is no snapshot
/// to apply rule changes to (an empty one would deactivate everybody).
pub async fn any_applied_file<Db: ConnectionTrait>(db: &Db) -> Result<bool, DbErr> {
    Ok(employee_sync::Entity::find()
        .filter(employee_sync::Column::Status.eq("applied"))
        .filter(employee_sync::Column::Source.ne("rules"))
        .one(db)
        .await?
        .is_some())
}

/// Held syncs older than a newer file are superseded: applying one later would go back in
/// time. Their files are dropped.
pub async fn supersede_held<Db: ConnectionTrait>(db: &Db, except: Uuid) -> Result<u64, DbErr> {
    Ok(employee_sync::Entity::update_many()
        .col_expr(employee_sync::Column::Status, Expr::value("superseded"))
        .col_expr(
            employee_sync::Column::Body,
            Expr::value(Option::<String>::None),
        )
        .filter(employee_sync::Column::Status.eq("held"))
        .filter(employee_sync::Column::Id.ne(except))
        .exec(db)
        .await?
        .rows_affected)
}

/// Writes a new rule.
pub async fn insert_rule<Db: ConnectionTrait>(
    db: &Db,
    name: String,
    conditions: Value,
    role: AdminRole,
    at: DateTime<Utc>,
) -> Result<admin_provisioning_rule::Model, DbErr> {
    admin_provisioning_rule::ActiveModel {
        id: Set(Uuid::now_v7()),
        name_folded: Set(validate::fold(&name)),
        name: Set(name),
        conditions: Set(conditions),
        role: Set(role.as_str().to_owned()),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(db)
    .await
}

/// The columns a rule's change sets; `None` leaves a column as it is.
pub struct RuleUpdate {
    pub name: Option<String>,
    pub conditions: Option<Value>,
    pub role: Option<AdminRole>,
}

/// Writes the columns `update` sets and `updated_at`; the row as it is now.
pub async fn update_rule<Db: ConnectionTrait>(
    db: &Db,
    id: Uuid,
    update: RuleUpdate,
    at: DateTime<Utc>,
) -> Result<admin_provisioning_rule::Model, DbErr> {
    let mut model = admin_provisioning_rule::ActiveModel {
        id: Unchanged(id),
        updated_at: Set(at),
        ..Default::default()
    };
    if let Some(name) = update.name {
        model.name_folded = Set(validate::fold(&name));
        model.name = Set(name);
    }
    if let Some(conditions) = update.conditions {
        model.conditions = Set(conditions);
    }
    if let Some(role) = update.role {
        model.role = Set(role.as_str().to_owned());
    }
    model.update(db).await
}

pub async fn delete_rule<Db: ConnectionTrait>(db: &Db, id: Uuid) -> Result<(), DbErr> {
    admin_provisioning_rule::Entity::delete_by_id(id)
        .exec(db)
        .await
        .map(|_| ())
}

/// Where a sync came from: written when it is first recorded, kept when a held one is applied.
pub struct NewSync<'a> {
    pub source: SyncSource,
    /// The HRIS connection of a `hris` sync.
    pub hris_connection: Option<Uuid>,
    pub file_name: Option<&'a str>,
    pub actor: Option<&'a str>,
    pub at: DateTime<Utc>,
}

/// What a sync found and did, as its record says.
pub struct SyncOutcome {
    pub status: SyncStatus,
    pub rows: i32,
    pub counts: Counts,
    pub rejected_rows: Value,
    pub rejected_row_count: i32,
    pub notes: Value,
    pub changes: Value,
    pub reason: Option<String>,
    pub hold_reason: Option<HoldReason>,
    /// The file, kept while the sync is held.
    pub body: Option<String>,
    pub applied_at: Option<DateTime<Utc>>,
}

impl SyncOutcome {
    /// A sync of `status` that read and changed nothing.
    pub fn nothing(status: SyncStatus) -> Self {
        Self {
            status,
            rows: 0,
            counts: Counts::default(),
            rejected_rows: Value::Array(Vec::new()),
            rejected_row_count: 0,
            notes: Value::Array(Vec::new()),
            changes: Value::Array(Vec::new()),
            reason: None,
            hold_reason: None,
            body: None,
            applied_at: None,
        }
    }
}

/// Writes a new sync record.
pub async fn insert_sync<Db: ConnectionTrait>(
    db: &Db,
    new: NewSync<'_>,
    outcome: SyncOutcome,
) -> Result<employee_sync::Model, DbErr> {
    new_sync(new, outcome).insert(db).await
}

/// A new sync record, every column set.
pub fn new_sync(new: NewSync<'_>, outcome: SyncOutcome) -> employee_sync::ActiveModel {
    let record = employee_sync::ActiveModel {
        id: Set(Uuid::now_v7()),
        source: Set(new.source.as_str().to_owned()),
        hris_connection_id: Set(new.hris_connection),
        file_name: Set(new.file_name.map(str::to_owned)),
        actor: Set(new.actor.map(str::to_owned)),
        created_at: Set(new.at),
        ..Default::default()
    };
    with_outcome(record, outcome)
}

/// Adds a part of a sync's list of changes (JSON text; the parts in `seq` order make the
/// array): a sync of tens of thousands of changes would otherwise be built as a tree of JSON
/// values, or sent as one text tens of MB long.
pub async fn add_sync_change_part<Db: ConnectionTrait>(
    db: &Db,
    sync_id: Uuid,
    seq: i32,
    part: String,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            r#"INSERT INTO "employee_sync_change_part" ("employee_sync_id", "seq", "part") VALUES ($1, $2, $3)"#
        }
        _ => {
            r#"INSERT INTO "employee_sync_change_part" ("employee_sync_id", "seq", "part") VALUES (?, ?, ?)"#
        }
    };
    let values: [sea_orm::Value; 3] = [sync_id.into(), seq.into(), part.into()];
    db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .map(|_| ())
}

/// Joins the parts added for a sync into its `changes` (in the database: the whole text is
/// never in this process) and deletes them.
pub async fn join_sync_change_parts<Db: ConnectionTrait>(
    db: &Db,
    sync_id: Uuid,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let (join, delete) = match backend {
        DbBackend::Postgres => (
            r#"UPDATE "employee_sync" SET "changes" = (SELECT CAST(string_agg("part", '' ORDER BY "seq") AS json) FROM "employee_sync_change_part" WHERE "employee_sync_id" = $1) WHERE "id" = $2"#,
            r#"DELETE FROM "employee_sync_change_part" WHERE "employee_sync_id" = $1"#,
        ),
        _ => (
            r#"UPDATE "employee_sync" SET "changes" = (SELECT group_concat("part", '' ORDER BY "seq") FROM "employee_sync_change_part" WHERE "employee_sync_id" = ?) WHERE "id" = ?"#,
            r#"DELETE FROM "employee_sync_change_part" WHERE "employee_sync_id" = ?"#,
        ),
    };
    let values: [sea_orm::Value; 2] = [sync_id.into(), sync_id.into()];
    db.execute_raw(Statement::from_sql_and_values(backend, join, values))
        .await?;
    let values: [sea_orm::Value; 1] = [sync_id.into()];
    db.execute_raw(Statement::from_sql_and_values(backend, delete, values))
        .await
        .map(|_| ())
}

/// Writes a recorded sync's new outcome (a held sync applied); the row as it is now.
pub async fn update_sync<Db: ConnectionTrait>(
    db: &Db,
    existing: employee_sync::Model,
    outcome: SyncOutcome,
) -> Result<employee_sync::Model, DbErr> {
    with_outcome(existing.into_active_model(), outcome)
        .update(db)
        .await
}

fn with_outcome(
    mut model: employee_sync::ActiveModel,
    outcome: SyncOutcome,
) -> employee_sync::ActiveModel {
    let count = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    let counts = &outcome.counts;
    model.status = Set(outcome.status.as_str().to_owned());
    model.rows = Set(outcome.rows);
    model.created = Set(count(counts.created));
    model.reactivated = Set(count(counts.reactivated));
    model.deactivated = Set(count(counts.deactivated));
    model.role_changed = Set(count(counts.role_changed));
    model.updated = Set(count(counts.updated));
    model.unchanged = Set(count(counts.unchanged));
    model.rejected_rows = Set(outcome.rejected_rows);
    model.rejected_row_count = Set(outcome.rejected_row_count);
    model.notes = Set(outcome.notes);
    model.changes = Set(outcome.changes);
    model.reason = Set(outcome.reason);
    model.hold_reason = Set(outcome.hold_reason.map(|r| r.as_str().to_owned()));
    model.body = Set(outcome.body);
    model.applied_at = Set(outcome.applied_at);
    model
}
