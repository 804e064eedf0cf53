//! The one write path of `company` rows; the folded name (which the company match of the
//! account rules compares) is derived here from the name.
use chrono::{DateTime, Utc};
use entity::company;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr, IntoActiveModel};
use uuid::Uuid;

use crate::domain::validate;

/// Inserts a company named `name`, created at `at`.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    name: String,
    at: DateTime<Utc>,
) -> Result<company::Model, DbErr> {
    company::ActiveModel {
        id: Set(Uuid::now_v7()),
        name_folded: Set(validate::fold(&name)),
        name: Set(name),
        created_at: Set(at),
    }
    .insert(db)
    .await
}

/// Renames the company `current` (and its folded name); returns it as stored.
pub async fn rename<C: ConnectionTrait>(
    db: &C,
    current: company::Model,
    name: String,
) -> Result<company::Model, DbErr> {
    let mut active = current.into_active_model();
    active.name_folded = Set(validate::fold(&name));
    active.name = Set(name);
    active.update(db).await
}
