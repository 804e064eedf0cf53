use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contact")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// Lowercased email; carries the case-insensitive unique constraint.
    pub email_folded: String,
    /// The confusable skeleton (Unicode TS #39) of `email_folded`: addresses that look alike
    /// share it. Indexed, not unique.
    pub email_skeleton: String,
    pub account_id: Uuid,
    /// JSON array of platform role names.
    pub roles: Json,
    /// `active` or `inactive`.
    pub status: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
