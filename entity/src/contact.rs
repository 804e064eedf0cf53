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
    /// The Username an identity provider or an administrator gave (Brightspace's), and its
    /// folded form, which lookups compare. Indexed, not unique.
    pub username: Option<String>,
    pub username_folded: Option<String>,
    /// The OrgDefinedId (an organisation's own id of the person), compared exactly. Indexed,
    /// not unique.
    pub org_defined_id: Option<String>,
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
