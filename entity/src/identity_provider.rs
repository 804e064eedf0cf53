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
    /// A JWKS document (JSON) the IdP's ID tokens are verified with (PRODUCT §4.1).
    pub jwks: Option<String>,
    /// Where the IdP publishes its JWKS (HTTPS); fetched sets are kept in
    /// `identity_provider_key_set`.
    pub jwks_url: Option<String>,
    /// PEM certificates (one or two, for rollover) the IdP signs SAML assertions with.
    pub signing_certificates: Option<String>,
    /// Comma-separated JWS algorithms the IdP may sign ID tokens with (`RS256` by default).
    pub allowed_algorithms: String,
    pub clock_skew_seconds: i32,
    pub max_proof_age_seconds: i32,
    /// The audience of the proofs `sso.adminSignIn` accepts (administrators sign in to no
    /// brand, so no configuration names one).
    pub admin_audience: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
