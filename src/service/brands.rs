//! Brands: create, rename and delete (refused while configurations exist).
use entity::brand;
use sea_orm::DatabaseConnection;

use super::{Deletion, Problems, delete_unreferenced, load, now, unique_or_internal};
use crate::domain::audit::Actor;
use crate::{
    db,
    domain::{id::NodeKind, validate},
    error::{AppError, AppResult, ErrorCode, FieldError},
};

fn name_taken(raw: &str) -> FieldError {
    FieldError::new(
        "name",
        ErrorCode::AlreadyExists,
        "a brand with this name already exists",
        Some(raw),
    )
}

pub async fn create(db: &DatabaseConnection, actor: &Actor, name: &str) -> AppResult<brand::Model> {
    let name_clean = validate::required_text("name", name, validate::NAME_MAX)
        .map_err(|e| AppError::Invalid(vec![e]))?;
    let txn = db::begin(db).await?;
    if db::queries::brand_named(&txn, &name_clean, None)
        .await?
        .is_some()
    {
        return Err(AppError::Invalid(vec![name_taken(name)]));
    }
    let model = db::brands::insert(&txn, name_clean, now())
        .await
        .map_err(|e| unique_or_internal(e, || name_taken(name)))?;
    super::audit::created(&txn, actor, "brands.create", &model).await?;
    txn.commit().await?;
    Ok(model)
}

pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    brand_id: &str,
    name: Option<&str>,
) -> AppResult<brand::Model> {
    let mut problems = Problems::default();
    let name_clean =
        name.and_then(|n| problems.check(validate::required_text("name", n, validate::NAME_MAX)));
    let txn = db::begin(db).await?;
    let brand = problems
        .loaded(load::<brand::Entity, _>(&txn, NodeKind::Brand, "brandId", brand_id).await)?;
    let brand = problems.finish(brand)?;
    let Some(new_name) = name_clean else {
        return Ok(brand);
    };
    if db::queries::brand_named(&txn, &new_name, Some(brand.id))
        .await?
        .is_some()
    {
        return Err(AppError::Invalid(vec![name_taken(
            name.unwrap_or_default(),
        )]));
    }
    let model = db::brands::rename(&txn, brand.id, new_name, now())
        .await
        .map_err(|e| unique_or_internal(e, || name_taken(name.unwrap_or_default())))?;
    super::audit::updated(&txn, actor, "brands.update", &brand, &model).await?;
    txn.commit().await?;
    Ok(model)
}

const DELETE: Deletion = Deletion {
    kind: NodeKind::Brand,
    label: "brandId",
    operation: "brands.delete",
};

pub async fn delete(
    db: &DatabaseConnection,
    actor: &Actor,
    brand_id: &str,
) -> AppResult<brand::Model> {
    delete_unreferenced::<brand::Entity>(db, actor, &DELETE, brand_id, async |txn, id| {
        db::queries::references_to_brand(txn, id).await
    })
    .await
}
