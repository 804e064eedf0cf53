//! The one write path of `contact` rows, for every door (sign-in hook, SCIM, admin API). The
//! folded email and its confusable skeleton are derived here from the email, so no door can
//! store one without the others.
use chrono::{DateTime, Utc};
use entity::contact;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter,
    sea_query::{Alias, Expr, ExprTrait, Query},
};
use serde_json::Value;
use uuid::Uuid;

use super::set_some;

use crate::domain::{
    stored::{ContactStatus, StoredEnum},
    validate,
};

/// A contact as a door creates it.
pub struct NewContact {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub account_id: Uuid,
    /// JSON array of platform role names.
    pub roles: Value,
    pub status: ContactStatus,
    pub username: Option<String>,
    pub org_defined_id: Option<String>,
}

/// Inserts a contact created at `at`, with its email's folded form and skeleton.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    new: NewContact,
    at: DateTime<Utc>,
) -> Result<contact::Model, DbErr> {
    let email_folded = validate::fold(&new.email);
    let username_folded = new.username.as_deref().map(validate::fold);
    contact::ActiveModel {
        id: Set(Uuid::now_v7()),
        first_name: Set(new.first_name),
        last_name: Set(new.last_name),
        email: Set(new.email),
        email_skeleton: Set(validate::email_skeleton(&email_folded)),
        email_folded: Set(email_folded),
        account_id: Set(new.account_id),
        roles: Set(new.roles),
        status: Set(new.status.as_str().into()),
        username: Set(new.username),
        username_folded: Set(username_folded),
        org_defined_id: Set(new.org_defined_id),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(db)
    .await
}

/// The columns an update writes; `None` keeps the stored value.
#[derive(Default)]
pub struct ContactChanges {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub status: Option<ContactStatus>,
    pub account_id: Option<Uuid>,
    pub roles: Option<Value>,
    /// `Some(None)` clears it.
    pub username: Option<Option<String>>,
    pub org_defined_id: Option<Option<String>>,
}

/// Writes `changes` over the contact `current` (a new email with its folded form and
/// skeleton) and stamps it updated at `at`; returns the contact as stored.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    current: contact::Model,
    changes: ContactChanges,
    at: DateTime<Utc>,
) -> Result<contact::Model, DbErr> {
    let mut active = current.into_active_model();
    if let Some(email) = changes.email {
        let folded = validate::fold(&email);
        active.email = Set(email);
        active.email_skeleton = Set(validate::email_skeleton(&folded));
        active.email_folded = Set(folded);
    }
    set_some(&mut active.first_name, changes.first_name);
    set_some(&mut active.last_name, changes.last_name);
    set_some(
        &mut active.status,
        changes.status.map(|v| v.as_str().into()),
    );
    set_some(&mut active.account_id, changes.account_id);
    set_some(&mut active.roles, changes.roles);
    if let Some(username) = changes.username {
        active.username_folded = Set(username.as_deref().map(validate::fold));
        active.username = Set(username);
    }
    set_some(&mut active.org_defined_id, changes.org_defined_id);
    active.updated_at = Set(at);
    active.update(db).await
}

/// Gives each of the contacts `ids` the roles `roles` (the same for all), updated at `at`: one
/// statement for all of them (callers send at most a chunk of ids), as a group's members whose
/// roles change alike are written.
pub async fn set_roles<C: ConnectionTrait>(
    db: &C,
    ids: &[Uuid],
    roles: Value,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    contact::Entity::update_many()
        .col_expr(contact::Column::Roles, Expr::val(roles))
        .col_expr(contact::Column::UpdatedAt, Expr::val(at))
        .filter(contact::Column::Id.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}

/// The attributes a sign-in writes to an existing contact.
pub struct SignInUpdate<'a> {
    pub email: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub roles: Value,
    pub username: Option<&'a str>,
    pub org_defined_id: Option<&'a str>,
    pub updated_at: DateTime<Utc>,
}

/// The sign-in hook's update on login, in one statement (the hook is measured in round trips);
/// returns the contact as updated. The email (with its folded form and skeleton) changes only
/// if no other contact has it or an address that looks like it (the same skeleton, which the
/// same address also has; the check is inside the statement); the caller compares the returned
/// email with the one it asked for. `None` when the contact does not exist.
pub async fn update_on_sign_in<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    update: SignInUpdate<'_>,
) -> Result<Option<contact::Model>, DbErr> {
    let email_folded = validate::fold(update.email);
    let email_skeleton = validate::email_skeleton(&email_folded);
    let other = Alias::new("other");
    let taken = Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from_as(contact::Entity, other.clone())
            .and_where(
                Expr::col((other.clone(), contact::Column::EmailSkeleton))
                    .eq(email_skeleton.as_str()),
            )
            .and_where(Expr::col((other, contact::Column::Id)).ne(id))
            .to_owned(),
    );
    let guarded = [
        (contact::Column::Email, update.email),
        (contact::Column::EmailFolded, email_folded.as_str()),
        (contact::Column::EmailSkeleton, email_skeleton.as_str()),
    ];
    let mut query = contact::Entity::update_many();
    for (column, value) in guarded {
        let kept = Expr::case(taken.clone(), Expr::col(column)).finally(Expr::val(value));
        query = query.col_expr(column, kept.into());
    }
    let updated = query
        .col_expr(contact::Column::FirstName, Expr::val(update.first_name))
        .col_expr(contact::Column::LastName, Expr::val(update.last_name))
        .col_expr(contact::Column::Roles, Expr::val(update.roles))
        .col_expr(contact::Column::Username, Expr::val(update.username))
        .col_expr(
            contact::Column::UsernameFolded,
            Expr::val(update.username.map(validate::fold)),
        )
        .col_expr(
            contact::Column::OrgDefinedId,
            Expr::val(update.org_defined_id),
        )
        .col_expr(contact::Column::UpdatedAt, Expr::val(update.updated_at))
        .filter(contact::Column::Id.eq(id))
        .exec_with_returning(db)
        .await?;
    Ok(updated.into_iter().next())
}
