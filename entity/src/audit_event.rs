use sea_orm::entity::prelude::*;

/// One admin change: who, which operation, which entity, and the changed fields.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub occurred_at: DateTimeUtc,
    /// The API token that made the change; null for the service itself (first start, CLI).
    pub actor_token_id: Option<Uuid>,
    /// The token's name at the time (or the service's own name for itself).
    pub actor_name: String,
    /// The mutation, e.g. `brands.updateIdentityProviderConfiguration`.
    pub operation: String,
    /// `brand`, `identityProvider`, `identityProviderConfiguration`, `company`, `account`,
    /// `contact` or `apiToken` (the API's `AuditEntityType` values).
    pub entity_type: String,
    pub entity_id: Uuid,
    /// The brand the entity belongs to (a brand, its configurations, its portal tokens).
    pub brand_id: Option<Uuid>,
    /// `{field: {before, after}}`.
    pub changes: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
