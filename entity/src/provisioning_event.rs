use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "provisioning_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub occurred_at: DateTimeUtc,
    pub brand_id: Option<Uuid>,
    pub identity_provider_id: Option<Uuid>,
    pub subject: String,
    pub contact_id: Option<Uuid>,
    pub account_id: Option<Uuid>,
    /// `created`, `linked`, `signedIn` or `denied`.
    pub outcome: String,
    pub account_assignment: Option<String>,
    /// JSON array of changed attribute names.
    pub changed_attributes: Json,
    pub reason: Option<String>,
    /// Which door the person came through: `sso`, `scim` or `admin`.
    pub source: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
