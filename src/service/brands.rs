//! Brands: create, rename and delete (refused while configurations exist).
use entity::brand;

use super::{App, Deletion, Problems, delete_unreferenced, invalid, now, unless_taken};
use crate::{
    db::{self, queries::references_to_brand},
    domain::{
        access::{Action, Principal},
        id::NodeKind,
        validate,
    },
    error::{AppResult, ErrorCode, FieldError},
};

fn name_taken(raw: &str) -> FieldError {
    FieldError::new(
        "name",
        ErrorCode::AlreadyExists,
        "a brand with this name already exists",
        Some(raw),
    )
}

pub async fn create(app: &App, principal: &Principal, name: &str) -> AppResult<brand::Model> {
    let actor = app.authorize(principal, Action::Administer)?;
    let name_clean = validate::required_text("name", name, validate::NAME_MAX).map_err(invalid)?;
    app.transaction(async |txn| {
        let existing = db::queries::brand_named(txn, &name_clean, None).await?;
        let insert = db::brands::insert(txn, name_clean, now());
        let model = unless_taken(existing, || name_taken(name), insert).await?;
        super::audit::created(txn, &actor, "brands.create", &model).await?;
        Ok(model)
    })
    .await
}

pub async fn update(
    app: &App,
    principal: &Principal,
    brand_id: &str,
    name: Option<&str>,
) -> AppResult<brand::Model> {
    let actor = app.authorize(principal, Action::Administer)?;
    let mut problems = Problems::default();
    let name_clean = name.and_then(|n| problems.name("name", n));
    app.transaction(async |txn| {
        let brand = problems
            .load::<brand::Entity, _>(txn, NodeKind::Brand, "brandId", brand_id)
            .await?;
        let brand = problems.finish(brand)?;
        let Some(new_name) = name_clean else {
            return Ok(brand);
        };
        let existing = db::queries::brand_named(txn, &new_name, Some(brand.id)).await?;
        let rename = db::brands::rename(txn, brand.id, new_name, now());
        let model = unless_taken(existing, || name_taken(name.unwrap_or_default()), rename).await?;
        super::audit::updated(txn, &actor, "brands.update", &brand, &model).await?;
        Ok(model)
    })
    .await
}

const DELETE: Deletion = Deletion {
    kind: NodeKind::Brand,
    label: "brandId",
    operation: "brands.delete",
};

pub async fn delete(app: &App, principal: &Principal, id: &str) -> AppResult<brand::Model> {
    delete_unreferenced::<brand::Entity>(app, principal, &DELETE, id, references_to_brand).await
}
