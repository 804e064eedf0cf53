use sea_orm::entity::prelude::*;

/// One change of one administrator: by a sync (with its rule) or by hand.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "administrator_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub administrator_id: Uuid,
    pub employee_sync_id: Option<Uuid>,
    /// `created`, `reactivated`, `deactivated`, `roleChanged`, `handedOver` or `updated`.
    pub kind: String,
    pub rule_id: Option<Uuid>,
    /// The rule's name at the time.
    pub rule_name: Option<String>,
    pub old_role: Option<String>,
    pub new_role: String,
    pub old_status: Option<String>,
    pub new_status: String,
    pub reason: String,
    /// Who made a manual change (a token's or administrator's name).
    pub actor: Option<String>,
    pub occurred_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
