use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_token")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    /// `owner`, `support`, `auditor`, `portal`, `scim` or `dashboard`.
    pub role: String,
    /// Set for portal and SCIM tokens, which act for one brand only.
    pub brand_id: Option<Uuid>,
    /// Set for SCIM tokens: with `brand_id`, the identity-provider configuration they serve.
    pub identity_provider_id: Option<Uuid>,
    /// Set for SCIM tokens: the configuration row they were issued for. A configuration
    /// deleted and created again is a new row, which the old tokens do not open.
    pub configuration_id: Option<Uuid>,
    /// Set for an administrator's sign-in token (`sso.adminSignIn`) and for every token
    /// created from that administrator's session: valid only while the administrator is
    /// active and holds a role at least the token's.
    pub administrator_id: Option<Uuid>,
    /// For a sign-in token: the identity provider that vouched for the administrator.
    pub sign_in_identity_provider_id: Option<Uuid>,
    /// For a sign-in token: the subject the identity provider asserted.
    pub sign_in_subject: Option<String>,
    /// Hex SHA-256 of the secret; the secret itself is never stored.
    pub secret_hash: String,
    pub expires_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
