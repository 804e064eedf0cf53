//! HRIS connections: the one place their rows are built, and the lease that gives a due run to
//! one instance.
use chrono::{DateTime, Utc};
use entity::{employee_sync, hris_connection as connection};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, sea_query::Expr,
};
use serde_json::Value;
use uuid::Uuid;

use super::set_some;
use crate::domain::{hris::HrisKind, stored::StoredEnum, validate};

pub struct NewConnection {
    pub id: Uuid,
    pub name: String,
    pub kind: HrisKind,
    pub settings: Value,
    /// Sealed.
    pub secret: String,
    pub field_map: Value,
    pub every_hours: Option<i32>,
    pub daily_at: Option<String>,
    pub next_run_at: DateTime<Utc>,
    pub at: DateTime<Utc>,
}

pub async fn insert<Db: ConnectionTrait>(
    db: &Db,
    new: NewConnection,
) -> Result<connection::Model, DbErr> {
    connection::ActiveModel {
        id: Set(new.id),
        name_folded: Set(validate::fold(&new.name)),
        name: Set(new.name),
        kind: Set(new.kind.as_str().to_owned()),
        settings: Set(new.settings),
        secret: Set(new.secret),
        field_map: Set(new.field_map),
        every_hours: Set(new.every_hours),
        daily_at: Set(new.daily_at),
        next_run_at: Set(new.next_run_at),
        lease_until: Set(None),
        last_run_at: Set(None),
        created_at: Set(new.at),
        updated_at: Set(new.at),
    }
    .insert(db)
    .await
}

/// The columns a change sets; `None` keeps the stored value.
#[derive(Default)]
pub struct ConnectionChanges {
    pub name: Option<String>,
    pub settings: Option<Value>,
    pub secret: Option<String>,
    pub field_map: Option<Value>,
    /// (`every_hours`, `daily_at`, `next_run_at`): a new schedule starts over.
    pub schedule: Option<(Option<i32>, Option<String>, DateTime<Utc>)>,
}

pub async fn update<Db: ConnectionTrait>(
    db: &Db,
    current: connection::Model,
    changes: ConnectionChanges,
    at: DateTime<Utc>,
) -> Result<connection::Model, DbErr> {
    let mut active = current.into_active_model();
    if let Some(name) = changes.name {
        active.name_folded = Set(validate::fold(&name));
        active.name = Set(name);
    }
    set_some(&mut active.settings, changes.settings);
    set_some(&mut active.secret, changes.secret);
    set_some(&mut active.field_map, changes.field_map);
    if let Some((every_hours, daily_at, next_run_at)) = changes.schedule {
        active.every_hours = Set(every_hours);
        active.daily_at = Set(daily_at);
        active.next_run_at = Set(next_run_at);
    }
    active.updated_at = Set(at);
    active.update(db).await
}

/// Deletes a connection; its syncs stay, no longer naming it.
pub async fn delete<Db: ConnectionTrait>(db: &Db, id: Uuid) -> Result<(), DbErr> {
    employee_sync::Entity::update_many()
        .col_expr(
            employee_sync::Column::HrisConnectionId,
            Expr::val(Option::<Uuid>::None),
        )
        .filter(employee_sync::Column::HrisConnectionId.eq(id))
        .exec(db)
        .await?;
    connection::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

pub async fn all<Db: ConnectionTrait>(db: &Db) -> Result<Vec<connection::Model>, DbErr> {
    connection::Entity::find()
        .order_by_asc(connection::Column::NameFolded)
        .all(db)
        .await
}

/// The newest sync of a connection.
pub async fn last_sync<Db: ConnectionTrait>(
    db: &Db,
    id: Uuid,
) -> Result<Option<employee_sync::Model>, DbErr> {
    employee_sync::Entity::find()
        .filter(employee_sync::Column::HrisConnectionId.eq(id))
        .order_by_desc(employee_sync::Column::CreatedAt)
        .order_by_desc(employee_sync::Column::Id)
        .one(db)
        .await
}

/// A lease is free when nobody holds it or its holder's time ran out (it stopped mid-run).
fn lease_free(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(connection::Column::LeaseUntil.is_null())
        .add(connection::Column::LeaseUntil.lt(now))
}

/// The connections due at `now` whose run this instance now holds until `until`: each is
/// taken by one conditional UPDATE, which only one instance (or task) can win, whatever
/// number of them share the database.
pub async fn lease_due<Db: ConnectionTrait>(
    db: &Db,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<connection::Model>, DbErr> {
    let due = connection::Entity::find()
        .filter(connection::Column::NextRunAt.lte(now))
        .filter(lease_free(now))
        .order_by_asc(connection::Column::NextRunAt)
        .all(db)
        .await?;
    let mut leased = Vec::with_capacity(due.len());
    for candidate in due {
        let taken = connection::Entity::update_many()
            .col_expr(connection::Column::LeaseUntil, Expr::val(Some(until)))
            .filter(connection::Column::Id.eq(candidate.id))
            .filter(connection::Column::NextRunAt.lte(now))
            .filter(lease_free(now))
            .exec(db)
            .await?;
        if taken.rows_affected == 1 {
            leased.push(connection::Model {
                lease_until: Some(until),
                ..candidate
            });
        }
    }
    Ok(leased)
}

/// Records a run at `at` and when the next is due, and lets the lease go.
pub async fn finish_run<Db: ConnectionTrait>(
    db: &Db,
    id: Uuid,
    at: DateTime<Utc>,
    next_run_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    connection::Entity::update_many()
        .col_expr(connection::Column::LastRunAt, Expr::val(Some(at)))
        .col_expr(connection::Column::NextRunAt, Expr::val(next_run_at))
        .col_expr(
            connection::Column::LeaseUntil,
            Expr::val(Option::<DateTime<Utc>>::None),
        )
        .filter(connection::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
