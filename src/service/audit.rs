//! Recording admin changes in the audit log, inside the transaction of the change itself: the
//! change and its record commit together or not at all.
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::{
    db::{self, audit::NewAuditEvent},
    domain::audit::{Actor, AuditEntity, changes},
    error::AppResult,
};

/// One entity's change: its rows before and after (`None` before a create, after a delete).
pub struct Change {
    pub entity: AuditEntity,
    pub id: Uuid,
    pub brand_id: Option<Uuid>,
    pub before: Option<Map<String, Value>>,
    pub after: Option<Map<String, Value>>,
}

impl Change {
    pub fn of<E: EntityTrait>(
        entity: AuditEntity,
        id: Uuid,
        brand_id: Option<Uuid>,
        before: Option<&E::Model>,
        after: Option<&E::Model>,
    ) -> Self {
        Self {
            entity,
            id,
            brand_id,
            before: before.map(db::audit::row::<E>),
            after: after.map(db::audit::row::<E>),
        }
    }
}

/// An entity whose rows the audit log records as they are (configurations add their role
/// mappings, so they build their [`Change`] themselves).
pub trait Audited: EntityTrait {
    const ENTITY: AuditEntity;
    fn id_of(model: &Self::Model) -> Uuid;
    /// The brand the row belongs to, for `Brand.auditEvents`.
    fn brand_of(_model: &Self::Model) -> Option<Uuid> {
        None
    }
}

macro_rules! audited {
    ($($entity:ident: $kind:ident $(, brand $brand:expr)?;)+) => {$(
        impl Audited for entity::$entity::Entity {
            const ENTITY: AuditEntity = AuditEntity::$kind;
            fn id_of(model: &entity::$entity::Model) -> Uuid {
                model.id
            }
            $(fn brand_of(model: &entity::$entity::Model) -> Option<Uuid> {
                let brand: fn(&entity::$entity::Model) -> Option<Uuid> = $brand;
                brand(model)
            })?
        }
    )+};
}

audited! {
    brand: Brand, brand |m| Some(m.id);
    identity_provider: IdentityProvider;
    company: Company;
    account: Account;
    contact: Contact;
    api_token: ApiToken, brand |m| m.brand_id;
}

/// Records the change of one [`Audited`] row: `before` is `None` for a create, `after` for a
/// delete.
pub async fn record_row<E: Audited, C: ConnectionTrait>(
    txn: &C,
    actor: &Actor,
    operation: &str,
    before: Option<&E::Model>,
    after: Option<&E::Model>,
) -> AppResult<()> {
    let Some(row) = after.or(before) else {
        return Ok(());
    };
    let change = Change::of::<E>(E::ENTITY, E::id_of(row), E::brand_of(row), before, after);
    record(txn, actor, operation, change).await
}

/// Writes the event for `change` made by `actor` through `operation` (a mutation's path, e.g.
/// `brands.update`). An update that changed nothing writes nothing.
pub async fn record<C: ConnectionTrait>(
    txn: &C,
    actor: &Actor,
    operation: &str,
    change: Change,
) -> AppResult<()> {
    let changed = changes(change.before.as_ref(), change.after.as_ref());
    let is_update = change.before.is_some() && change.after.is_some();
    if is_update && changed.is_empty() {
        return Ok(());
    }
    db::audit::insert(
        txn,
        NewAuditEvent {
            actor,
            operation,
            entity: change.entity,
            entity_id: change.id,
            brand_id: change.brand_id,
            changes: changed,
        },
        super::now(),
    )
    .await?;
    Ok(())
}
