//! Brightspace's JIT settings (seed 003), on a configuration:
//! - `update_roles_on_login`, apart from `update_attributes_on_login`. `NULL` (every existing
//!   configuration) follows `update_attributes_on_login`, which refreshed roles too until now:
//!   nothing changes until an owner or support sets it;
//! - the claims that carry a Username and an OrgDefinedId (`NULL`: not mapped, as before);
//! - `match_by`: which claim finds an existing contact that has no credential of the subject
//!   (`email` for every existing configuration, as before).
//!
//! A contact keeps the Username (with its folded form, which lookups compare) and the
//! OrgDefinedId that sign-ins or an administrator gave it; both are indexed, not unique (two
//! contacts holding one is an ambiguity a sign-in refuses to resolve).
use sea_orm_migration::{prelude::*, schema::*};

use crate::{
    m20261123_000001_create_tables::index,
    m20261201_000002_enum_checks::{add_check, drop_check},
    m20261202_000008_admin_trust::{add, drop},
};

/// The enum columns this migration defines: (table, column, values).
pub const CHECKED: &[(&str, &str, &[&str])] = &[(
    "identity_provider_configuration",
    "match_by",
    &["subject", "email", "username", "orgDefinedId"],
)];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IdentityProviderConfiguration {
    Table,
    UpdateRolesOnLogin,
    UsernameClaim,
    OrgDefinedIdClaim,
    MatchBy,
}

#[derive(DeriveIden)]
enum Contact {
    Table,
    Username,
    UsernameFolded,
    OrgDefinedId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use IdentityProviderConfiguration as Conf;
        add(m, Conf::Table, boolean_null(Conf::UpdateRolesOnLogin)).await?;
        add(m, Conf::Table, string_len_null(Conf::UsernameClaim, 200)).await?;
        add(
            m,
            Conf::Table,
            string_len_null(Conf::OrgDefinedIdClaim, 200),
        )
        .await?;
        add(
            m,
            Conf::Table,
            string_len(Conf::MatchBy, 16).default("email").to_owned(),
        )
        .await?;
        for (table, column, values) in CHECKED {
            add_check(m, table, column, values).await?;
        }
        add(m, Contact::Table, string_len_null(Contact::Username, 200)).await?;
        add(
            m,
            Contact::Table,
            string_len_null(Contact::UsernameFolded, 200),
        )
        .await?;
        add(
            m,
            Contact::Table,
            string_len_null(Contact::OrgDefinedId, 200),
        )
        .await?;
        // A sign-in that matches by Username or OrgDefinedId finds its contact by these.
        m.create_index(
            index("ix_contact_username_folded", Contact::Table)
                .col(Contact::UsernameFolded)
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ix_contact_org_defined_id", Contact::Table)
                .col(Contact::OrgDefinedId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use IdentityProviderConfiguration as Conf;
        for name in ["ix_contact_org_defined_id", "ix_contact_username_folded"] {
            m.drop_index(Index::drop().name(name).table(Contact::Table).to_owned())
                .await?;
        }
        for column in [
            Contact::OrgDefinedId,
            Contact::UsernameFolded,
            Contact::Username,
        ] {
            drop(m, Contact::Table, column).await?;
        }
        for (table, column, _) in CHECKED {
            drop_check(m, table, column).await?;
        }
        for column in [
            Conf::MatchBy,
            Conf::OrgDefinedIdClaim,
            Conf::UsernameClaim,
            Conf::UpdateRolesOnLogin,
        ] {
            drop(m, Conf::Table, column).await?;
        }
        Ok(())
    }
}
