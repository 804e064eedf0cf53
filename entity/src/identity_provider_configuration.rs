use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "identity_provider_configuration")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub brand_id: Uuid,
    pub identity_provider_id: Uuid,
    pub auto_provision_learners: bool,
    pub default_account_id: Option<Uuid>,
    pub update_attributes_on_login: bool,
    /// `None`: follows `update_attributes_on_login` (which refreshed roles too before the two
    /// were apart).
    pub update_roles_on_login: Option<bool>,
    pub link_existing_contacts: bool,
    /// `exact` or `caseInsensitive`.
    pub company_match: String,
    pub email_claim: String,
    pub first_name_claim: String,
    pub last_name_claim: String,
    pub company_name_claim: String,
    pub roles_claim: String,
    /// The claims of a Username and an OrgDefinedId; `None`: not mapped.
    pub username_claim: Option<String>,
    pub org_defined_id_claim: Option<String>,
    /// `subject`, `email`, `username` or `orgDefinedId`: what finds an existing contact
    /// without a credential of the subject.
    pub match_by: String,
    pub default_role: String,
    /// What a proof must name as its audience (OIDC client ID, SAML SP entity ID).
    pub audience: Option<String>,
    /// SAML: the assertion consumer URL a proof's `Recipient`/`Destination` must equal.
    pub recipient: Option<String>,
    /// `optional` or `required`.
    pub proof_policy: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
