//! One trust rule for SCIM (issue 18): a SCIM token is bound to its configuration's row, and a
//! credential records the brand through whose configuration it was created.
//!
//! - `api_token.configuration_id`: the identity-provider configuration a SCIM token serves. A
//!   configuration deleted and created again for the same brand and IdP is a new row, and the
//!   old tokens do not open it. Existing SCIM tokens are bound to the current configuration of
//!   their (brand, IdP) only when they were issued after it was created; a token older than the
//!   configuration was issued for an earlier one and stays unbound, so it opens nothing.
//! - `credential.created_via_brand_id`: the brand whose configuration for the credential's IdP
//!   created it (a sign-in that created or linked the contact, or a SCIM create). A SCIM create
//!   adopts a contact by its SSO identity only when that identity came through the same brand's
//!   configuration. Existing credentials are backfilled from the evidence the database keeps:
//!   the configuration of the SCIM user whose SSO identity the credential is, and the `created`
//!   and `linked` provisioning events of (IdP, subject, contact). When the evidence names more
//!   than one brand, or none, the column stays null: unknown, which SCIM never adopts by
//!   identity (a sign-in through the credential still works as before).
//!
//! No foreign keys: a token and a credential outlive the configuration, and a recreated
//! configuration of the same brand and IdP is the same brand's door (see `credential`).
use sea_orm_migration::{prelude::*, schema::*, sea_orm::ConnectionTrait};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiToken {
    Table,
    ConfigurationId,
}

#[derive(DeriveIden)]
enum Credential {
    Table,
    CreatedViaBrandId,
}

/// The created or linked events of a credential's (IdP, subject, contact), as a condition on
/// the alias `pe` and the outer `credential` row.
const EVENTS_OF_CREDENTIAL: &str = "pe.contact_id = credential.contact_id \
     AND pe.identity_provider_id = credential.identity_provider_id \
     AND pe.subject = credential.subject \
     AND pe.outcome IN ('created', 'linked') \
     AND pe.brand_id IS NOT NULL";

/// The backfill, in order; each statement touches only rows the previous ones left as they
/// need. The same SQL runs on SQLite and PostgreSQL.
fn backfill() -> Vec<String> {
    vec![
        // A SCIM token: the configuration of its (brand, IdP) if it existed when the token was
        // issued.
        "UPDATE api_token SET configuration_id = (\
             SELECT c.id FROM identity_provider_configuration c \
             WHERE c.brand_id = api_token.brand_id \
               AND c.identity_provider_id = api_token.identity_provider_id \
               AND c.created_at <= api_token.created_at) \
         WHERE role = 'scim' AND configuration_id IS NULL"
            .to_owned(),
        // An SSO credential that is a SCIM user's SSO identity: that user's configuration's
        // brand.
        "UPDATE credential SET created_via_brand_id = (\
             SELECT c.brand_id FROM scim_user su \
             JOIN identity_provider_configuration c ON c.id = su.configuration_id \
             WHERE su.contact_id = credential.contact_id \
               AND su.identity_provider_id = credential.identity_provider_id \
               AND su.user_name = credential.subject) \
         WHERE kind = 'sso' AND created_via_brand_id IS NULL"
            .to_owned(),
        // Else the brand of its first created or linked event.
        format!(
            "UPDATE credential SET created_via_brand_id = (\
                 SELECT pe.brand_id FROM provisioning_event pe WHERE {EVENTS_OF_CREDENTIAL} \
                 ORDER BY pe.occurred_at, pe.id LIMIT 1) \
             WHERE kind = 'sso' AND created_via_brand_id IS NULL"
        ),
        // Evidence that disagrees (another brand's event for the same identity: the
        // cross-brand adoption this migration closes) makes it unknown.
        format!(
            "UPDATE credential SET created_via_brand_id = NULL \
             WHERE created_via_brand_id IS NOT NULL AND EXISTS (\
                 SELECT 1 FROM provisioning_event pe WHERE {EVENTS_OF_CREDENTIAL} \
                   AND pe.brand_id <> credential.created_via_brand_id)"
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Each column is added only when missing, so the backfill can be run again over rows
        // a test has cleared.
        if !m.has_column("api_token", "configuration_id").await? {
            m.alter_table(
                Table::alter()
                    .table(ApiToken::Table)
                    .add_column(uuid_null(ApiToken::ConfigurationId))
                    .to_owned(),
            )
            .await?;
        }
        if !m.has_column("credential", "created_via_brand_id").await? {
            m.alter_table(
                Table::alter()
                    .table(Credential::Table)
                    .add_column(uuid_null(Credential::CreatedViaBrandId))
                    .to_owned(),
            )
            .await?;
        }
        let db = m.get_connection();
        for statement in backfill() {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Credential::Table)
                .drop_column(Credential::CreatedViaBrandId)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ApiToken::Table)
                .drop_column(ApiToken::ConfigurationId)
                .to_owned(),
        )
        .await
    }
}
