//! Accounts: create, update and delete (refused while contacts or configurations use one).
use entity::{account, company};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection};
use uuid::Uuid;

use super::{Deletion, Problems, delete_unreferenced, load, now};
use crate::domain::audit::Actor;
use crate::{
    db,
    domain::{id::NodeKind, validate},
    error::AppResult,
};

pub struct NewAccount<'a> {
    pub name: &'a str,
    pub company_id: Option<&'a str>,
    pub is_individual: bool,
}

#[derive(Default)]
pub struct AccountChanges<'a> {
    pub name: Option<&'a str>,
    /// `Some(None)` detaches the account from its company.
    pub company_id: Option<Option<&'a str>>,
}

pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    input: NewAccount<'_>,
) -> AppResult<account::Model> {
    let mut problems = Problems::default();
    let name = problems.check(validate::required_text(
        "name",
        input.name,
        validate::NAME_MAX,
    ));
    let txn = db::begin(db).await?;
    let company = match input.company_id {
        Some(raw) => problems
            .loaded(load::<company::Entity, _>(&txn, NodeKind::Company, "companyId", raw).await)?,
        None => None,
    };
    let name = problems.finish(name)?;
    let model = account::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name),
        is_individual: Set(input.is_individual),
        company_id: Set(company.map(|c| c.id)),
        created_at: Set(now()),
    }
    .insert(&txn)
    .await?;
    super::audit::created(&txn, actor, "accounts.create", &model).await?;
    txn.commit().await?;
    Ok(model)
}

pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    account_id: &str,
    changes: AccountChanges<'_>,
) -> AppResult<account::Model> {
    let mut problems = Problems::default();
    let name = changes
        .name
        .and_then(|n| problems.check(validate::required_text("name", n, validate::NAME_MAX)));
    let txn = db::begin(db).await?;
    let current = problems.loaded(
        load::<account::Entity, _>(&txn, NodeKind::Account, "accountId", account_id).await,
    )?;
    let company = match changes.company_id {
        Some(Some(raw)) => problems
            .loaded(load::<company::Entity, _>(&txn, NodeKind::Company, "companyId", raw).await)?
            .map(|c| Some(c.id)),
        Some(None) => Some(None),
        None => None,
    };
    let current = problems.finish(current)?;
    let before = current.clone();
    let mut active: account::ActiveModel = current.into();
    if let Some(name) = name {
        active.name = Set(name);
    }
    if let Some(company) = company {
        active.company_id = Set(company);
    }
    let model = active.update(&txn).await?;
    super::audit::updated(&txn, actor, "accounts.update", &before, &model).await?;
    txn.commit().await?;
    Ok(model)
}

const DELETE: Deletion = Deletion {
    kind: NodeKind::Account,
    label: "accountId",
    operation: "accounts.delete",
};

pub async fn delete(
    db: &DatabaseConnection,
    actor: &Actor,
    account_id: &str,
) -> AppResult<account::Model> {
    delete_unreferenced::<account::Entity>(db, actor, &DELETE, account_id, async |txn, id| {
        db::queries::references_to_account(txn, id).await
    })
    .await
}
