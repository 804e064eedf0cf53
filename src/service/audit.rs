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
