//! SCIM v2 (PRODUCT §6): tokens bound to an identity provider as well as a brand, the `scim`
//! token role, where provisioning events came from, and SCIM users and groups per
//! identity-provider configuration.
//!
//! A SCIM user is a contact seen through one configuration: the row keeps what only SCIM knows
//! (userName, externalId, the enterprise attributes); names, email and status stay on the
//! contact, so the sign-in hook and SCIM read and write the same person. Users and groups go
//! with their configuration (deleting it disconnects the IdP); contacts never do.
use sea_orm_migration::{prelude::*, schema::*};

use crate::{
    m20261123_000001_create_tables::{fk, index},
    m20261201_000002_enum_checks::{add_check, drop_check},
};

/// The enum columns this migration (re)defines: (table, column, values).
pub const CHECKED: &[(&str, &str, &[&str])] = &[
    (
        "api_token",
        "role",
        &["owner", "support", "auditor", "portal", "scim"],
    ),
    ("provisioning_event", "source", &["sso", "scim", "admin"]),
    (
        "provisioning_event",
        "outcome",
        &[
            "created",
            "linked",
            "signedIn",
            "denied",
            "updated",
            "deactivated",
            "reactivated",
            "deprovisioned",
        ],
    ),
];

/// The lists this migration replaces, as they were before it.
const BEFORE: &[(&str, &str, &[&str])] = &[
    (
        "api_token",
        "role",
        &["owner", "support", "auditor", "portal"],
    ),
    (
        "provisioning_event",
        "outcome",
        &["created", "linked", "signedIn", "denied"],
    ),
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiToken {
    Table,
    IdentityProviderId,
}

#[derive(DeriveIden)]
enum ProvisioningEvent {
    Table,
    Source,
}

#[derive(DeriveIden)]
enum IdentityProviderConfiguration {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Contact {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ScimUser {
    Table,
    Id,
    ConfigurationId,
    IdentityProviderId,
    ContactId,
    UserName,
    UserNameFolded,
    ExternalId,
    DisplayName,
    Title,
    Department,
    EmployeeNumber,
    Organization,
    ManagerId,
    EmailType,
    EmailPrimary,
    Emails,
    PhoneNumbers,
    GroupRoles,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ScimGroup {
    Table,
    Id,
    ConfigurationId,
    DisplayName,
    DisplayNameFolded,
    ExternalId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ScimGroupMember {
    Table,
    GroupId,
    UserId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(ApiToken::Table)
                .add_column(uuid_null(ApiToken::IdentityProviderId))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ProvisioningEvent::Table)
                .add_column(string_len(ProvisioningEvent::Source, 16).default("sso"))
                .to_owned(),
        )
        .await?;
        for (table, column, _) in BEFORE {
            drop_check(m, table, column).await?;
        }
        for (table, column, values) in CHECKED {
            add_check(m, table, column, values).await?;
        }

        m.create_table(
            Table::create()
                .table(ScimUser::Table)
                .if_not_exists()
                .col(pk_uuid(ScimUser::Id))
                .col(uuid(ScimUser::ConfigurationId))
                .col(uuid(ScimUser::IdentityProviderId))
                .col(uuid(ScimUser::ContactId))
                .col(string_len(ScimUser::UserName, 1024))
                .col(string_len(ScimUser::UserNameFolded, 1024))
                .col(string_len_null(ScimUser::ExternalId, 1024))
                .col(string_len_null(ScimUser::DisplayName, 400))
                .col(string_len_null(ScimUser::Title, 200))
                .col(string_len_null(ScimUser::Department, 200))
                .col(string_len_null(ScimUser::EmployeeNumber, 200))
                .col(string_len_null(ScimUser::Organization, 200))
                .col(string_len_null(ScimUser::ManagerId, 1024))
                .col(string_len_null(ScimUser::EmailType, 200))
                .col(boolean_null(ScimUser::EmailPrimary))
                .col(json(ScimUser::Emails))
                .col(json(ScimUser::PhoneNumbers))
                .col(json(ScimUser::GroupRoles))
                .col(timestamp_with_time_zone(ScimUser::CreatedAt))
                .col(timestamp_with_time_zone(ScimUser::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_scim_user_configuration",
                    (ScimUser::Table, ScimUser::ConfigurationId),
                    (
                        IdentityProviderConfiguration::Table,
                        IdentityProviderConfiguration::Id,
                    ),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "fk_scim_user_contact",
                    (ScimUser::Table, ScimUser::ContactId),
                    (Contact::Table, Contact::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        // userName is unique per identity provider, case-insensitively (RFC 7643 §4.1.1), and a
        // contact has at most one SCIM identity per identity provider.
        m.create_index(
            index("ux_scim_user_idp_user_name", ScimUser::Table)
                .col(ScimUser::IdentityProviderId)
                .col(ScimUser::UserNameFolded)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ux_scim_user_idp_contact", ScimUser::Table)
                .col(ScimUser::IdentityProviderId)
                .col(ScimUser::ContactId)
                .unique()
                .to_owned(),
        )
        .await?;
        // Paging in a stable order, and the filters Okta and Entra send.
        for (name, column) in [
            ("ix_scim_user_page", ScimUser::CreatedAt),
            ("ix_scim_user_external_id", ScimUser::ExternalId),
        ] {
            m.create_index(
                index(name, ScimUser::Table)
                    .col(ScimUser::ConfigurationId)
                    .col(column)
                    .col(ScimUser::Id)
                    .to_owned(),
            )
            .await?;
        }
        m.create_index(
            index("ix_scim_user_contact", ScimUser::Table)
                .col(ScimUser::ContactId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ScimGroup::Table)
                .if_not_exists()
                .col(pk_uuid(ScimGroup::Id))
                .col(uuid(ScimGroup::ConfigurationId))
                .col(string_len(ScimGroup::DisplayName, 400))
                .col(string_len(ScimGroup::DisplayNameFolded, 400))
                .col(string_len_null(ScimGroup::ExternalId, 1024))
                .col(timestamp_with_time_zone(ScimGroup::CreatedAt))
                .col(timestamp_with_time_zone(ScimGroup::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_scim_group_configuration",
                    (ScimGroup::Table, ScimGroup::ConfigurationId),
                    (
                        IdentityProviderConfiguration::Table,
                        IdentityProviderConfiguration::Id,
                    ),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ux_scim_group_display_name", ScimGroup::Table)
                .col(ScimGroup::ConfigurationId)
                .col(ScimGroup::DisplayNameFolded)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ix_scim_group_page", ScimGroup::Table)
                .col(ScimGroup::ConfigurationId)
                .col(ScimGroup::CreatedAt)
                .col(ScimGroup::Id)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ScimGroupMember::Table)
                .if_not_exists()
                .col(uuid(ScimGroupMember::GroupId))
                .col(uuid(ScimGroupMember::UserId))
                .primary_key(
                    Index::create()
                        .col(ScimGroupMember::GroupId)
                        .col(ScimGroupMember::UserId),
                )
                .foreign_key(&mut fk(
                    "fk_scim_group_member_group",
                    (ScimGroupMember::Table, ScimGroupMember::GroupId),
                    (ScimGroup::Table, ScimGroup::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "fk_scim_group_member_user",
                    (ScimGroupMember::Table, ScimGroupMember::UserId),
                    (ScimUser::Table, ScimUser::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ix_scim_group_member_user", ScimGroupMember::Table)
                .col(ScimGroupMember::UserId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ScimGroupMember::Table.into_iden(),
            ScimGroup::Table.into_iden(),
            ScimUser::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        for (table, column, _) in CHECKED {
            drop_check(m, table, column).await?;
        }
        for (table, column, values) in BEFORE {
            add_check(m, table, column, values).await?;
        }
        m.alter_table(
            Table::alter()
                .table(ProvisioningEvent::Table)
                .drop_column(ProvisioningEvent::Source)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ApiToken::Table)
                .drop_column(ApiToken::IdentityProviderId)
                .to_owned(),
        )
        .await
    }
}
