//! The one write path of `account` rows: the admin API's accounts and the individual accounts
//! the account rules create for a sign-in or a SCIM user.
use chrono::{DateTime, Utc};
use entity::account;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr, IntoActiveModel};
use uuid::Uuid;

use super::set_some;

/// An account as created.
pub struct NewAccount {
    pub name: String,
    pub is_individual: bool,
    pub company_id: Option<Uuid>,
}

/// Inserts an account created at `at`.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    new: NewAccount,
    at: DateTime<Utc>,
) -> Result<account::Model, DbErr> {
    account::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(new.name),
        is_individual: Set(new.is_individual),
        company_id: Set(new.company_id),
        created_at: Set(at),
    }
    .insert(db)
    .await
}

/// The columns an update writes; `None` keeps the stored value.
#[derive(Default)]
pub struct AccountChanges {
    pub name: Option<String>,
    /// `Some(None)` detaches the account from its company.
    pub company_id: Option<Option<Uuid>>,
}

/// Writes `changes` over the account `current`; returns the account as stored.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    current: account::Model,
    changes: AccountChanges,
) -> Result<account::Model, DbErr> {
    let mut active = current.into_active_model();
    set_some(&mut active.name, changes.name);
    set_some(&mut active.company_id, changes.company_id);
    active.update(db).await
}
