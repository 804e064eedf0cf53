//! Recording admin changes in the audit log, inside the transaction of the change itself: the
//! change and its record commit together or not at all.
use sea_orm::{ConnectionTrait, ModelTrait};
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

/// A row the audit log records as it is (configurations add their role mappings, so they
/// build their [`Change`] themselves).
pub trait Audited: ModelTrait + Sync {
    const ENTITY: AuditEntity;
    fn id(&self) -> Uuid;
    /// The brand the row belongs to, for `Brand.auditEvents`.
    fn brand(&self) -> Option<Uuid> {
        None
    }
}

macro_rules! audited {
    ($($entity:ident: $kind:ident $(, brand $brand:expr)?;)+) => {$(
        impl Audited for entity::$entity::Model {
            const ENTITY: AuditEntity = AuditEntity::$kind;
            fn id(&self) -> Uuid {
                self.id
            }
            $(fn brand(&self) -> Option<Uuid> {
                let brand: fn(&Self) -> Option<Uuid> = $brand;
                brand(self)
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
    administrator: Administrator;
    admin_provisioning_rule: AdminProvisioningRule;
}

async fn record_row<M: Audited, C: ConnectionTrait>(
    txn: &C,
    actor: &Actor,
    operation: &str,
    before: Option<&M>,
    after: Option<&M>,
) -> AppResult<()> {
    let Some(row) = after.or(before) else {
        return Ok(());
    };
    let change = Change {
        entity: M::ENTITY,
        id: row.id(),
        brand_id: row.brand(),
        before: before.map(db::audit::row),
        after: after.map(db::audit::row),
    };
    record(txn, actor, operation, change).await
}

/// Records the creation of `row` by `actor` through `operation`.
pub async fn created<M: Audited, C: ConnectionTrait>(
    txn: &C,
    actor: &Actor,
    operation: &str,
    row: &M,
) -> AppResult<()> {
    record_row(txn, actor, operation, None, Some(row)).await
}

/// Records the change of a row from `before` to `after` (nothing if no field changed).
pub async fn updated<M: Audited, C: ConnectionTrait>(
    txn: &C,
    actor: &Actor,
    operation: &str,
    before: &M,
    after: &M,
) -> AppResult<()> {
    record_row(txn, actor, operation, Some(before), Some(after)).await
}

/// Records the deletion of `row`.
pub async fn deleted<M: Audited, C: ConnectionTrait>(
    txn: &C,
    actor: &Actor,
    operation: &str,
    row: &M,
) -> AppResult<()> {
    record_row(txn, actor, operation, Some(row), None).await
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
