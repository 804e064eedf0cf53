//! Companies: create, rename, delete (refused while accounts belong to one).
use entity::company;

use super::{App, Deletion, Problems, delete_unreferenced, invalid, now};
use crate::{
    db::{self, queries::references_to_company},
    domain::{
        access::{Action, Principal},
        id::NodeKind,
        validate,
    },
    error::AppResult,
};

/// Company names need not be unique: two organisations may share a name.
pub async fn create(app: &App, principal: &Principal, name: &str) -> AppResult<company::Model> {
    let actor = app.authorize(principal, Action::Administer)?;
    let name = validate::folded_name("name", name, validate::NAME_MAX).map_err(invalid)?;
    app.transaction(async |txn| {
        let model = db::companies::insert(txn, name, now()).await?;
        super::audit::created(txn, &actor, "companies.create", &model).await?;
        Ok(model)
    })
    .await
}

pub async fn update(
    app: &App,
    principal: &Principal,
    company_id: &str,
    name: Option<&str>,
) -> AppResult<company::Model> {
    let actor = app.authorize(principal, Action::Administer)?;
    let mut problems = Problems::default();
    let name =
        name.and_then(|n| problems.check(validate::folded_name("name", n, validate::NAME_MAX)));
    app.transaction(async |txn| {
        let current = problems
            .load::<company::Entity, _>(txn, NodeKind::Company, "companyId", company_id)
            .await?;
        let current = problems.finish(current)?;
        let Some(name) = name else {
            return Ok(current);
        };
        let model = db::companies::rename(txn, current.clone(), name).await?;
        super::audit::updated(txn, &actor, "companies.update", &current, &model).await?;
        Ok(model)
    })
    .await
}

const DELETE: Deletion = Deletion {
    kind: NodeKind::Company,
    label: "companyId",
    operation: "companies.delete",
};

pub async fn delete(app: &App, principal: &Principal, id: &str) -> AppResult<company::Model> {
    delete_unreferenced::<company::Entity>(app, principal, &DELETE, id, references_to_company).await
}
