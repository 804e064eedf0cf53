use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "credential")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub contact_id: Uuid,
    /// `sso` or `password`.
    pub kind: String,
    pub identity_provider_id: Option<Uuid>,
    pub subject: Option<String>,
    pub password_hash: Option<String>,
    pub created_at: DateTimeUtc,
    pub last_sign_in_at: Option<DateTimeUtc>,
    /// For an SSO credential: the brand through whose configuration for `identity_provider_id`
    /// it was created (a sign-in that created or linked the contact, or a SCIM create). Null
    /// when unknown (credentials older than the column whose origin the log could not tell)
    /// and for passwords. A SCIM create adopts a contact by this identity only for this brand.
    pub created_via_brand_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::contact::Entity",
        from = "Column::ContactId",
        to = "super::contact::Column::Id"
    )]
    Contact,
}

impl Related<super::contact::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Contact.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
