//! How the SCIM tables are written: `scim_user` (a user's SCIM attributes beside its contact),
//! `scim_group` and `scim_group_member`. The folded names the uniqueness checks and filters
//! compare are derived here; a row is deleted with `queries::delete`, its memberships going
//! with it by the foreign key.
use chrono::{DateTime, Utc};
use entity::{scim_group, scim_group_member, scim_user};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter,
    sea_query::{Expr, OnConflict},
};
use serde_json::Value;
use uuid::Uuid;

use super::ID_CHUNK;
use crate::domain::{
    scim::user::{self, UserData},
    validate,
};

/// Where a new SCIM user belongs: its id, its configuration (and that configuration's IdP)
/// and its contact.
pub struct NewUser {
    pub id: Uuid,
    pub configuration_id: Uuid,
    pub identity_provider_id: Uuid,
    pub contact_id: Uuid,
}

fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// Sets the columns that hold the user's SCIM attributes (its contact holds the rest).
fn set_attributes(row: &mut scim_user::ActiveModel, data: &UserData) {
    let chosen = user::chosen_email(&data.emails);
    row.user_name = Set(data.user_name.clone());
    row.user_name_folded = Set(validate::fold(&data.user_name));
    row.external_id = Set(data.external_id.clone());
    row.display_name = Set(data.display_name.clone());
    row.title = Set(data.title.clone());
    row.department = Set(data.department.clone());
    row.employee_number = Set(data.employee_number.clone());
    row.organization = Set(data.organization.clone());
    row.manager_id = Set(data.manager.clone());
    row.email_type = Set(chosen.and_then(|e| e.kind.clone()));
    row.email_primary = Set(chosen.and_then(|e| e.primary));
    row.emails = Set(to_json(&data.emails));
    row.phone_numbers = Set(to_json(&data.phone_numbers));
}

/// Inserts a SCIM user with `data`'s attributes and no group roles yet, created at `at`.
pub async fn insert_user<C: ConnectionTrait>(
    db: &C,
    new: NewUser,
    data: &UserData,
    at: DateTime<Utc>,
) -> Result<scim_user::Model, DbErr> {
    let mut row = scim_user::ActiveModel {
        id: Set(new.id),
        configuration_id: Set(new.configuration_id),
        identity_provider_id: Set(new.identity_provider_id),
        contact_id: Set(new.contact_id),
        group_roles: Set(Value::Array(Vec::new())),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    };
    set_attributes(&mut row, data);
    row.insert(db).await
}

/// Writes `data`'s attributes over the user `current` (its group roles stay), updated at `at`.
pub async fn update_user<C: ConnectionTrait>(
    db: &C,
    current: scim_user::Model,
    data: &UserData,
    at: DateTime<Utc>,
) -> Result<scim_user::Model, DbErr> {
    let mut row = current.into_active_model();
    set_attributes(&mut row, data);
    row.updated_at = Set(at);
    row.update(db).await
}

/// Records, for each of `users`, the roles their groups grant them now (`roles`, the same for
/// all), updated at `at`: one statement for all of them (callers send at most a chunk of ids).
pub async fn set_group_roles_of<C: ConnectionTrait>(
    db: &C,
    users: &[Uuid],
    roles: Value,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    scim_user::Entity::update_many()
        .col_expr(scim_user::Column::GroupRoles, Expr::val(roles))
        .col_expr(scim_user::Column::UpdatedAt, Expr::val(at))
        .filter(scim_user::Column::Id.is_in(users.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}

/// A group as created.
pub struct NewGroup {
    pub configuration_id: Uuid,
    pub display_name: String,
    pub external_id: Option<String>,
}

/// Inserts a group (with its folded display name), created at `at`.
pub async fn insert_group<C: ConnectionTrait>(
    db: &C,
    new: NewGroup,
    at: DateTime<Utc>,
) -> Result<scim_group::Model, DbErr> {
    scim_group::ActiveModel {
        id: Set(Uuid::now_v7()),
        configuration_id: Set(new.configuration_id),
        display_name_folded: Set(validate::fold(&new.display_name)),
        display_name: Set(new.display_name),
        external_id: Set(new.external_id),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(db)
    .await
}

/// Writes a group's display name (and its folded form) and external id, updated at `at`.
pub async fn update_group<C: ConnectionTrait>(
    db: &C,
    current: scim_group::Model,
    display_name: String,
    external_id: Option<String>,
    at: DateTime<Utc>,
) -> Result<scim_group::Model, DbErr> {
    let mut row = current.into_active_model();
    row.display_name_folded = Set(validate::fold(&display_name));
    row.display_name = Set(display_name);
    row.external_id = Set(external_id);
    row.updated_at = Set(at);
    row.update(db).await
}

/// Stamps a group updated at `at` (a new version): its members changed.
pub async fn touch_group<C: ConnectionTrait>(
    db: &C,
    current: scim_group::Model,
    at: DateTime<Utc>,
) -> Result<scim_group::Model, DbErr> {
    let mut row = current.into_active_model();
    row.updated_at = Set(at);
    row.update(db).await
}

/// Adds `users` to a group; one already in it stays, once.
pub async fn add_members<C: ConnectionTrait>(
    db: &C,
    group_id: Uuid,
    users: &[Uuid],
) -> Result<(), DbErr> {
    for chunk in users.chunks(ID_CHUNK) {
        let rows = chunk.iter().map(|user| scim_group_member::ActiveModel {
            group_id: Set(group_id),
            user_id: Set(*user),
        });
        scim_group_member::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([
                    scim_group_member::Column::GroupId,
                    scim_group_member::Column::UserId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Removes `users` from a group.
pub async fn remove_members<C: ConnectionTrait>(
    db: &C,
    group_id: Uuid,
    users: &[Uuid],
) -> Result<(), DbErr> {
    for chunk in users.chunks(ID_CHUNK) {
        scim_group_member::Entity::delete_many()
            .filter(scim_group_member::Column::GroupId.eq(group_id))
            .filter(scim_group_member::Column::UserId.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
    }
    Ok(())
}
