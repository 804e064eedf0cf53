use sea_orm::entity::prelude::*;

/// A contact as one identity-provider configuration's SCIM client sees it. Names, email and
/// status live on the contact.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scim_user")]
pub struct Model {
    /// The SCIM `id`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub configuration_id: Uuid,
    pub identity_provider_id: Uuid,
    pub contact_id: Uuid,
    pub user_name: String,
    /// Case-folded; carries the per-IdP unique constraint.
    pub user_name_folded: String,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    pub title: Option<String>,
    pub department: Option<String>,
    pub employee_number: Option<String>,
    pub organization: Option<String>,
    /// The enterprise extension's `manager.value`.
    pub manager_id: Option<String>,
    /// `type` and `primary` of the element of `emails` that is the contact's email, for
    /// filters.
    pub email_type: Option<String>,
    pub email_primary: Option<bool>,
    /// JSON array of `{value, type, primary}`, as the IdP sent them; the chosen one is the
    /// contact's email.
    pub emails: Json,
    /// JSON array of `{value, type, primary}`.
    pub phone_numbers: Json,
    /// JSON array of the platform roles this user's groups granted, last time they changed.
    pub group_roles: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
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
