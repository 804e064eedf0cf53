//! Brands: the one place their rows are built.
use chrono::{DateTime, Utc};
use entity::brand;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{Set, Unchanged},
    ConnectionTrait, DbErr,
};
use uuid::Uuid;

/// Writes a new brand.
pub async fn insert<Db: ConnectionTrait>(
    db: &Db,
    name: String,
    at: DateTime<Utc>,
) -> Result<brand::Model, DbErr> {
    brand::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(db)
    .await
}

/// Writes a brand's new name; the row as it is now.
pub async fn rename<Db: ConnectionTrait>(
    db: &Db,
    id: Uuid,
    name: String,
    at: DateTime<Utc>,
) -> Result<brand::Model, DbErr> {
    brand::ActiveModel {
        id: Unchanged(id),
        name: Set(name),
        updated_at: Set(at),
        ..Default::default()
    }
    .update(db)
    .await
}
