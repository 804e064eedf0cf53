use sea_orm::entity::prelude::*;

/// Which employees should administer the platform, and with which role. Precedence is the
/// order of creation.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "admin_provisioning_rule")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    /// Folded; unique.
    pub name_folded: String,
    /// `[{field, operation, values}]`, normalised (see `domain::employees::rules`).
    pub conditions: Json,
    /// `owner`, `support` or `auditor`.
    pub role: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
