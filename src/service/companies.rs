//! Companies: create, rename, delete (refused while accounts belong to one).
use entity::company;
use sea_orm::DatabaseConnection;

use super::{Deletion, Problems, delete_unreferenced, load, now};
use crate::domain::audit::Actor;
use crate::{
    db,
    domain::{id::NodeKind, validate},
    error::{AppError, AppResult},
};

/// Company names need not be unique: two organisations may share a name.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    name: &str,
) -> AppResult<company::Model> {
    let name = validate::folded_name("name", name, validate::NAME_MAX)
        .map_err(|e| AppError::Invalid(vec![e]))?;
    let txn = db::begin(db).await?;
    let model = db::companies::insert(&txn, name, now()).await?;
    super::audit::created(&txn, actor, "companies.create", &model).await?;
    txn.commit().await?;
    Ok(model)
}

pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    company_id: &str,
    name: Option<&str>,
) -> AppResult<company::Model> {
    let mut problems = Problems::default();
    let name =
        name.and_then(|n| problems.check(validate::folded_name("name", n, validate::NAME_MAX)));
    let txn = db::begin(db).await?;
    let current = problems.loaded(
        load::<company::Entity, _>(&txn, NodeKind::Company, "companyId", company_id).await,
    )?;
    let current = problems.finish(current)?;
    let Some(name) = name else {
        return Ok(current);
    };
    let model = db::companies::rename(&txn, current.clone(), name).await?;
    super::audit::updated(&txn, actor, "companies.update", &current, &model).await?;
    txn.commit().await?;
    Ok(model)
}

const DELETE: Deletion = Deletion {
    kind: NodeKind::Company,
    label: "companyId",
    operation: "companies.delete",
};

pub async fn delete(
    db: &DatabaseConnection,
    actor: &Actor,
    company_id: &str,
) -> AppResult<company::Model> {
    delete_unreferenced::<company::Entity>(db, actor, &DELETE, company_id, async |txn, id| {
        db::queries::references_to_company(txn, id).await
    })
    .await
}
