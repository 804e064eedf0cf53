//! The statements of employee syncs: the rules in precedence order, the administrators, the
//! latest employee snapshot (read by page, replaced by difference, in batches), held syncs, and
//! the sign-in tokens of administrators.
use chrono::{DateTime, Utc};
use entity::{admin_provisioning_rule, administrator, api_token, employee, employee_sync};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::Expr,
};
use uuid::Uuid;

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

pub async fn administrators<Db: ConnectionTrait>(
    db: &Db,
) -> Result<Vec<administrator::Model>, DbErr> {
    administrator::Entity::find()
        .order_by_asc(administrator::Column::Id)
        .all(db)
        .await
}

pub async fn administrator_with_email<Db: ConnectionTrait>(
    db: &Db,
    email_folded: &str,
) -> Result<Option<administrator::Model>, DbErr> {
    administrator::Entity::find()
        .filter(administrator::Column::EmailFolded.eq(email_folded))
        .one(db)
        .await
}

/// The latest snapshot, in file order.
pub async fn employees<Db: ConnectionTrait>(db: &Db) -> Result<Vec<employee::Model>, DbErr> {
    employee::Entity::find()
        .order_by_asc(employee::Column::Line)
        .all(db)
        .await
}

/// Rows per page of [`employees_after`].
pub const EMPLOYEE_PAGE: usize = 1000;

/// The next page of the latest snapshot in EmployeeId order, after `after` (from the start
/// without it): a sync compares the stored snapshot with a file page by page, so that it never
/// holds both whole (100,000 employees are some 100 MB as rows).
pub async fn employees_after<Db: ConnectionTrait>(
    db: &Db,
    after: Option<&str>,
) -> Result<Vec<employee::Model>, DbErr> {
    let mut query = employee::Entity::find()
        .order_by_asc(employee::Column::EmployeeId)
        .limit(EMPLOYEE_PAGE as u64);
    if let Some(after) = after {
        query = query.filter(employee::Column::EmployeeId.gt(after));
    }
    query.all(db).await
}

/// Rows per multi-row insert of [`insert_employees`]: a caller building rows for a large file
/// hands them over this many at a time.
pub const EMPLOYEE_BATCH: usize = BATCH;

/// Deletes the rows of these employees (a changed row is deleted and inserted again).
pub async fn delete_employees<Db: ConnectionTrait>(db: &Db, ids: &[String]) -> Result<(), DbErr> {
    for ids in ids.chunks(BATCH) {
        employee::Entity::delete_many()
            .filter(employee::Column::EmployeeId.is_in(ids.iter().cloned()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Inserts snapshot rows, [`BATCH`] per statement.
pub async fn insert_employees<Db: ConnectionTrait>(
    db: &Db,
    rows: Vec<employee::ActiveModel>,
) -> Result<(), DbErr> {
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<_> = rows.by_ref().take(BATCH).collect();
        employee::Entity::insert_many(batch).exec(db).await?;
    }
    Ok(())
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

/// Revokes every live token of an administrator: their sign-in tokens and the tokens created
/// from their sessions.
pub async fn revoke_tokens_of<Db: ConnectionTrait>(
    db: &Db,
    administrator_id: Uuid,
    at: DateTime<Utc>,
) -> Result<u64, DbErr> {
    Ok(api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(at))
        .filter(api_token::Column::AdministratorId.eq(administrator_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// Records the (IdP, subject) of an administrator's first SSO sign-in, unless one is already
/// recorded: 0 rows when a concurrent first sign-in bound the administrator first (the
/// statement waits for it on PostgreSQL and then finds the subject set). A unique violation
/// means another administrator is bound to this identity.
pub async fn bind_sign_in<Db: ConnectionTrait>(
    db: &Db,
    administrator_id: Uuid,
    identity_provider_id: Uuid,
    subject: &str,
) -> Result<u64, DbErr> {
    Ok(administrator::Entity::update_many()
        .col_expr(
            administrator::Column::SignInIdentityProviderId,
            Expr::value(identity_provider_id),
        )
        .col_expr(administrator::Column::SignInSubject, Expr::value(subject))
        .filter(administrator::Column::Id.eq(administrator_id))
        .filter(administrator::Column::SignInSubject.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// An administrator as it is now, its row locked to the end of the transaction on PostgreSQL
/// (SQLite's write transaction already holds the whole database): a token issued under the
/// lock cannot race the administrator's deactivation or demotion. Whichever comes second
/// sees the first: the sign-in reads the new status, or the revocation the new token.
pub async fn administrator_locked<Db: ConnectionTrait>(
    db: &Db,
    administrator_id: Uuid,
) -> Result<Option<administrator::Model>, DbErr> {
    let query = administrator::Entity::find_by_id(administrator_id);
    if db.get_database_backend() == DbBackend::Postgres {
        query.lock_exclusive().one(db).await
    } else {
        query.one(db).await
    }
}
