//! The whole schema of the first release.
//!
//! ON DELETE choices, each deliberate:
//! - a brand's identity-provider configurations and portal tokens go with the brand (CASCADE);
//! - a configuration's role mappings go with it (CASCADE);
//! - a contact's credentials go with the contact (CASCADE);
//! - anything that would orphan people or accounts is refused (RESTRICT): deleting an identity
//!   provider still configured or holding credentials, a company with accounts, an account with
//!   contacts or used as a default account. The service refuses these first with a payload error;
//!   the constraint is the backstop against races;
//! - the provisioning log is append-only history and outlives what it mentions (SET NULL), while
//!   keeping the subject and reason text.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Brand {
    Table,
    Id,
    Name,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum IdentityProvider {
    Table,
    Id,
    Name,
    Protocol,
    Issuer,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum IdentityProviderConfiguration {
    Table,
    Id,
    BrandId,
    IdentityProviderId,
    AutoProvisionLearners,
    DefaultAccountId,
    UpdateAttributesOnLogin,
    LinkExistingContacts,
    CompanyMatch,
    EmailClaim,
    FirstNameClaim,
    LastNameClaim,
    CompanyNameClaim,
    RolesClaim,
    DefaultRole,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RoleMapping {
    Table,
    Id,
    ConfigurationId,
    ProviderRole,
    Role,
}

#[derive(DeriveIden)]
enum Company {
    Table,
    Id,
    Name,
    NameFolded,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
    Name,
    IsIndividual,
    CompanyId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Contact {
    Table,
    Id,
    FirstName,
    LastName,
    Email,
    EmailFolded,
    AccountId,
    Roles,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Credential {
    Table,
    Id,
    ContactId,
    Kind,
    IdentityProviderId,
    Subject,
    PasswordHash,
    CreatedAt,
    LastSignInAt,
}

#[derive(DeriveIden)]
enum ProvisioningEvent {
    Table,
    Id,
    OccurredAt,
    BrandId,
    IdentityProviderId,
    Subject,
    ContactId,
    AccountId,
    Outcome,
    AccountAssignment,
    ChangedAttributes,
    Reason,
}

#[derive(DeriveIden)]
enum ApiToken {
    Table,
    Id,
    Name,
    Role,
    BrandId,
    SecretHash,
    ExpiresAt,
    RevokedAt,
    CreatedAt,
}

pub(crate) fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .on_update(ForeignKeyAction::Cascade)
        .to_owned()
}

pub(crate) fn index(name: &str, table: impl IntoIden) -> IndexCreateStatement {
    Index::create()
        .name(name)
        .table(table)
        .if_not_exists()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Brand::Table)
                .if_not_exists()
                .col(pk_uuid(Brand::Id))
                .col(string_len(Brand::Name, 200))
                .col(timestamp_with_time_zone(Brand::CreatedAt))
                .col(timestamp_with_time_zone(Brand::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ux_brand_name", Brand::Table)
                .col(Brand::Name)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(IdentityProvider::Table)
                .if_not_exists()
                .col(pk_uuid(IdentityProvider::Id))
                .col(string_len(IdentityProvider::Name, 200))
                .col(string_len(IdentityProvider::Protocol, 16))
                .col(string_len(IdentityProvider::Issuer, 2048))
                .col(timestamp_with_time_zone(IdentityProvider::CreatedAt))
                .col(timestamp_with_time_zone(IdentityProvider::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ux_identity_provider_issuer", IdentityProvider::Table)
                .col(IdentityProvider::Issuer)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Company::Table)
                .if_not_exists()
                .col(pk_uuid(Company::Id))
                .col(string_len(Company::Name, 200))
                .col(string_len(Company::NameFolded, 200))
                .col(timestamp_with_time_zone(Company::CreatedAt))
                .to_owned(),
        )
        .await?;
        // Company match looks a name up exactly or case-folded, and wants the oldest.
        m.create_index(
            index("ix_company_name", Company::Table)
                .col(Company::Name)
                .col(Company::CreatedAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ix_company_name_folded", Company::Table)
                .col(Company::NameFolded)
                .col(Company::CreatedAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Account::Table)
                .if_not_exists()
                .col(pk_uuid(Account::Id))
                .col(string_len(Account::Name, 200))
                .col(boolean(Account::IsIndividual))
                .col(uuid_null(Account::CompanyId))
                .col(timestamp_with_time_zone(Account::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_account_company",
                    (Account::Table, Account::CompanyId),
                    (Company::Table, Company::Id),
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
        // A company's first account is its oldest.
        m.create_index(
            index("ix_account_company_created", Account::Table)
                .col(Account::CompanyId)
                .col(Account::CreatedAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(IdentityProviderConfiguration::Table)
                .if_not_exists()
                .col(pk_uuid(IdentityProviderConfiguration::Id))
                .col(uuid(IdentityProviderConfiguration::BrandId))
                .col(uuid(IdentityProviderConfiguration::IdentityProviderId))
                .col(boolean(
                    IdentityProviderConfiguration::AutoProvisionLearners,
                ))
                .col(uuid_null(IdentityProviderConfiguration::DefaultAccountId))
                .col(boolean(
                    IdentityProviderConfiguration::UpdateAttributesOnLogin,
                ))
                .col(boolean(IdentityProviderConfiguration::LinkExistingContacts))
                .col(string_len(IdentityProviderConfiguration::CompanyMatch, 32))
                .col(string_len(IdentityProviderConfiguration::EmailClaim, 200))
                .col(string_len(
                    IdentityProviderConfiguration::FirstNameClaim,
                    200,
                ))
                .col(string_len(
                    IdentityProviderConfiguration::LastNameClaim,
                    200,
                ))
                .col(string_len(
                    IdentityProviderConfiguration::CompanyNameClaim,
                    200,
                ))
                .col(string_len(IdentityProviderConfiguration::RolesClaim, 200))
                .col(string_len(IdentityProviderConfiguration::DefaultRole, 100))
                .col(timestamp_with_time_zone(
                    IdentityProviderConfiguration::CreatedAt,
                ))
                .col(timestamp_with_time_zone(
                    IdentityProviderConfiguration::UpdatedAt,
                ))
                .foreign_key(&mut fk(
                    "fk_idp_configuration_brand",
                    (
                        IdentityProviderConfiguration::Table,
                        IdentityProviderConfiguration::BrandId,
                    ),
                    (Brand::Table, Brand::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "fk_idp_configuration_identity_provider",
                    (
                        IdentityProviderConfiguration::Table,
                        IdentityProviderConfiguration::IdentityProviderId,
                    ),
                    (IdentityProvider::Table, IdentityProvider::Id),
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut fk(
                    "fk_idp_configuration_default_account",
                    (
                        IdentityProviderConfiguration::Table,
                        IdentityProviderConfiguration::DefaultAccountId,
                    ),
                    (Account::Table, Account::Id),
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index(
                "ux_idp_configuration_brand_idp",
                IdentityProviderConfiguration::Table,
            )
            .col(IdentityProviderConfiguration::BrandId)
            .col(IdentityProviderConfiguration::IdentityProviderId)
            .unique()
            .to_owned(),
        )
        .await?;
        m.create_index(
            index(
                "ix_idp_configuration_idp",
                IdentityProviderConfiguration::Table,
            )
            .col(IdentityProviderConfiguration::IdentityProviderId)
            .to_owned(),
        )
        .await?;
        m.create_index(
            index(
                "ix_idp_configuration_default_account",
                IdentityProviderConfiguration::Table,
            )
            .col(IdentityProviderConfiguration::DefaultAccountId)
            .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RoleMapping::Table)
                .if_not_exists()
                .col(pk_uuid(RoleMapping::Id))
                .col(uuid(RoleMapping::ConfigurationId))
                .col(string_len(RoleMapping::ProviderRole, 200))
                .col(string_len(RoleMapping::Role, 100))
                .foreign_key(&mut fk(
                    "fk_role_mapping_configuration",
                    (RoleMapping::Table, RoleMapping::ConfigurationId),
                    (
                        IdentityProviderConfiguration::Table,
                        IdentityProviderConfiguration::Id,
                    ),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        // A provider role maps to exactly one platform role.
        m.create_index(
            index("ux_role_mapping_provider_role", RoleMapping::Table)
                .col(RoleMapping::ConfigurationId)
                .col(RoleMapping::ProviderRole)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Contact::Table)
                .if_not_exists()
                .col(pk_uuid(Contact::Id))
                .col(string_len(Contact::FirstName, 200))
                .col(string_len(Contact::LastName, 200))
                .col(string_len(Contact::Email, 320))
                .col(string_len(Contact::EmailFolded, 320))
                .col(uuid(Contact::AccountId))
                .col(json(Contact::Roles))
                .col(string_len(Contact::Status, 16))
                .col(timestamp_with_time_zone(Contact::CreatedAt))
                .col(timestamp_with_time_zone(Contact::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_contact_account",
                    (Contact::Table, Contact::AccountId),
                    (Account::Table, Account::Id),
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
        // Email is unique case-insensitively: the folded copy carries the constraint.
        m.create_index(
            index("ux_contact_email_folded", Contact::Table)
                .col(Contact::EmailFolded)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ix_contact_account", Contact::Table)
                .col(Contact::AccountId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ix_contact_created", Contact::Table)
                .col(Contact::CreatedAt)
                .col(Contact::Id)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Credential::Table)
                .if_not_exists()
                .col(pk_uuid(Credential::Id))
                .col(uuid(Credential::ContactId))
                .col(string_len(Credential::Kind, 16))
                .col(uuid_null(Credential::IdentityProviderId))
                .col(string_len_null(Credential::Subject, 1024))
                .col(string_len_null(Credential::PasswordHash, 512))
                .col(timestamp_with_time_zone(Credential::CreatedAt))
                .col(timestamp_with_time_zone_null(Credential::LastSignInAt))
                .foreign_key(&mut fk(
                    "fk_credential_contact",
                    (Credential::Table, Credential::ContactId),
                    (Contact::Table, Contact::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "fk_credential_identity_provider",
                    (Credential::Table, Credential::IdentityProviderId),
                    (IdentityProvider::Table, IdentityProvider::Id),
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ux_credential_idp_subject", Credential::Table)
                .col(Credential::IdentityProviderId)
                .col(Credential::Subject)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ix_credential_contact", Credential::Table)
                .col(Credential::ContactId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ProvisioningEvent::Table)
                .if_not_exists()
                .col(pk_uuid(ProvisioningEvent::Id))
                .col(timestamp_with_time_zone(ProvisioningEvent::OccurredAt))
                .col(uuid_null(ProvisioningEvent::BrandId))
                .col(uuid_null(ProvisioningEvent::IdentityProviderId))
                .col(string_len(ProvisioningEvent::Subject, 1024))
                .col(uuid_null(ProvisioningEvent::ContactId))
                .col(uuid_null(ProvisioningEvent::AccountId))
                .col(string_len(ProvisioningEvent::Outcome, 16))
                .col(string_len_null(ProvisioningEvent::AccountAssignment, 32))
                .col(json(ProvisioningEvent::ChangedAttributes))
                .col(text_null(ProvisioningEvent::Reason))
                .foreign_key(&mut fk(
                    "fk_provisioning_event_brand",
                    (ProvisioningEvent::Table, ProvisioningEvent::BrandId),
                    (Brand::Table, Brand::Id),
                    ForeignKeyAction::SetNull,
                ))
                .foreign_key(&mut fk(
                    "fk_provisioning_event_identity_provider",
                    (
                        ProvisioningEvent::Table,
                        ProvisioningEvent::IdentityProviderId,
                    ),
                    (IdentityProvider::Table, IdentityProvider::Id),
                    ForeignKeyAction::SetNull,
                ))
                .foreign_key(&mut fk(
                    "fk_provisioning_event_contact",
                    (ProvisioningEvent::Table, ProvisioningEvent::ContactId),
                    (Contact::Table, Contact::Id),
                    ForeignKeyAction::SetNull,
                ))
                .foreign_key(&mut fk(
                    "fk_provisioning_event_account",
                    (ProvisioningEvent::Table, ProvisioningEvent::AccountId),
                    (Account::Table, Account::Id),
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("ix_provisioning_event_brand", ProvisioningEvent::BrandId),
            (
                "ix_provisioning_event_contact",
                ProvisioningEvent::ContactId,
            ),
            (
                "ix_provisioning_event_idp",
                ProvisioningEvent::IdentityProviderId,
            ),
            (
                "ix_provisioning_event_account",
                ProvisioningEvent::AccountId,
            ),
        ] {
            m.create_index(
                index(name, ProvisioningEvent::Table)
                    .col(col)
                    .col(ProvisioningEvent::OccurredAt)
                    .to_owned(),
            )
            .await?;
        }
        m.create_index(
            index("ix_provisioning_event_occurred", ProvisioningEvent::Table)
                .col(ProvisioningEvent::OccurredAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ApiToken::Table)
                .if_not_exists()
                .col(pk_uuid(ApiToken::Id))
                .col(string_len(ApiToken::Name, 200))
                .col(string_len(ApiToken::Role, 16))
                .col(uuid_null(ApiToken::BrandId))
                .col(string_len(ApiToken::SecretHash, 64))
                .col(timestamp_with_time_zone_null(ApiToken::ExpiresAt))
                .col(timestamp_with_time_zone_null(ApiToken::RevokedAt))
                .col(timestamp_with_time_zone(ApiToken::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_api_token_brand",
                    (ApiToken::Table, ApiToken::BrandId),
                    (Brand::Table, Brand::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ux_api_token_secret_hash", ApiToken::Table)
                .col(ApiToken::SecretHash)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ix_api_token_brand", ApiToken::Table)
                .col(ApiToken::BrandId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ApiToken::Table.into_iden(),
            ProvisioningEvent::Table.into_iden(),
            Credential::Table.into_iden(),
            Contact::Table.into_iden(),
            RoleMapping::Table.into_iden(),
            IdentityProviderConfiguration::Table.into_iden(),
            Account::Table.into_iden(),
            Company::Table.into_iden(),
            IdentityProvider::Table.into_iden(),
            Brand::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
