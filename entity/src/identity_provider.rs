use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "identity_provider")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    /// `oidc` or `saml`.
    pub protocol: String,
    pub issuer: String,
    /// Whether administrators may sign in through this IdP (`sso.adminSignIn`).
    pub admin_sign_in: bool,
    /// Whether this IdP's emails count as verified for `sso.adminSignIn` when its claims
    /// carry no `email_verified` (an explicit no still denies).
    pub trust_email: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
