//! The audit log's rows: a changed entity's row as the log records it, and the insert.
use chrono::{DateTime, Utc};
use entity::audit_event;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, IdenStatic, Iterable,
    ModelTrait, sea_query::sea_value_to_json_value,
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::domain::{
    audit::{Actor, AuditEntity, camel},
    stored::StoredEnum,
    time,
};

/// Every column of `model`, by its API (camelCase) name; timestamps as [`time::format`] writes them.
pub fn row<M: ModelTrait>(model: &M) -> Map<String, Value> {
    <M::Entity as EntityTrait>::Column::iter()
        .map(|column| {
            let value = match model.get(column) {
                sea_orm::Value::ChronoDateTimeUtc(Some(at)) => json!(time::format(at)),
                sea_orm::Value::Uuid(Some(id)) => json!(id.to_string()),
                other => sea_value_to_json_value(&other),
            };
            (camel(column.as_str()), value)
        })
        .collect()
}

/// One admin change, as written.
pub struct NewAuditEvent<'a> {
    pub actor: &'a Actor,
    pub operation: &'a str,
    pub entity: AuditEntity,
    pub entity_id: Uuid,
    pub brand_id: Option<Uuid>,
    pub changes: Map<String, Value>,
}

/// Writes one event of the audit log, in the transaction of the change it records.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    event: NewAuditEvent<'_>,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    audit_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        occurred_at: Set(at),
        actor_token_id: Set(event.actor.token_id),
        actor_name: Set(event.actor.name.clone()),
        operation: Set(event.operation.to_owned()),
        entity_type: Set(event.entity.as_str().to_owned()),
        entity_id: Set(event.entity_id),
        brand_id: Set(event.brand_id),
        changes: Set(Value::Object(event.changes)),
    }
    .insert(db)
    .await
    .map(|_| ())
}
