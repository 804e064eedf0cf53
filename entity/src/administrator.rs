use sea_orm::entity::prelude::*;

/// A person who runs the platform: created by hand (`manual`) or by a rule from employee data.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "administrator")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub email: String,
    /// Folded as contacts' emails are; unique.
    pub email_folded: String,
    pub first_name: String,
    pub last_name: String,
    /// `owner`, `support` or `auditor`.
    pub role: String,
    /// `active` or `inactive`.
    pub status: String,
    /// `manual` or `rule`.
    pub origin: String,
    /// The rule controlling a rule-provisioned administrator (null once that rule is deleted).
    pub rule_id: Option<Uuid>,
    /// The `EmployeeId` of the employee a rule-provisioned administrator comes from.
    pub employee_id: Option<String>,
    /// The identity provider of the administrator's first SSO sign-in: later ones must come
    /// from the same (IdP, subject).
    pub sign_in_identity_provider_id: Option<Uuid>,
    /// The subject of the administrator's first SSO sign-in.
    pub sign_in_subject: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
