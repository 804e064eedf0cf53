//! Signed proofs (PRODUCT §4.1):
//! - an identity provider keeps its key sources (a JWKS document, a JWKS URL, PEM signing
//!   certificates), the algorithms it may sign with (`RS256` unless it says otherwise), the clock
//!   skew and the oldest proof it accepts, and the audience of its administrators' proofs;
//! - the JWKS last fetched from an IdP's URL is kept in `identity_provider_key_set`, so a
//!   restart or a failed fetch still verifies with the last good set;
//! - a configuration keeps the audience its proofs must name, the SAML recipient (ACS URL) and
//!   its `proof_policy` (`optional` for every existing configuration: nothing changes until an
//!   owner or support says `required`);
//! - `proof_replay` holds each accepted proof's key until the proof expires: its primary key
//!   (identity provider, key) makes a second acceptance impossible, on both databases.
use sea_orm_migration::{prelude::*, schema::*};

use crate::{
    m20261123_000001_create_tables::{fk, index},
    m20261201_000002_enum_checks::{add_check, drop_check},
    m20261202_000008_admin_trust::{add, drop},
};

/// The enum columns this migration defines: (table, column, values).
pub const CHECKED: &[(&str, &str, &[&str])] = &[(
    "identity_provider_configuration",
    "proof_policy",
    &["optional", "required"],
)];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IdentityProvider {
    Table,
    Id,
    Jwks,
    JwksUrl,
    SigningCertificates,
    AllowedAlgorithms,
    ClockSkewSeconds,
    MaxProofAgeSeconds,
    AdminAudience,
}

#[derive(DeriveIden)]
enum IdentityProviderConfiguration {
    Table,
    Audience,
    Recipient,
    ProofPolicy,
}

#[derive(DeriveIden)]
enum IdentityProviderKeySet {
    Table,
    IdentityProviderId,
    Jwks,
    FetchedAt,
}

#[derive(DeriveIden)]
enum ProofReplay {
    Table,
    IdentityProviderId,
    ReplayKey,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use IdentityProvider as Idp;
        use IdentityProviderConfiguration as Conf;
        add(m, Idp::Table, text_null(Idp::Jwks)).await?;
        add(m, Idp::Table, string_len_null(Idp::JwksUrl, 2048)).await?;
        add(m, Idp::Table, text_null(Idp::SigningCertificates)).await?;
        add(
            m,
            Idp::Table,
            string_len(Idp::AllowedAlgorithms, 200)
                .default("RS256")
                .to_owned(),
        )
        .await?;
        add(
            m,
            Idp::Table,
            integer(Idp::ClockSkewSeconds).default(60).to_owned(),
        )
        .await?;
        add(
            m,
            Idp::Table,
            integer(Idp::MaxProofAgeSeconds).default(600).to_owned(),
        )
        .await?;
        add(m, Idp::Table, string_len_null(Idp::AdminAudience, 2048)).await?;
        add(m, Conf::Table, string_len_null(Conf::Audience, 2048)).await?;
        add(m, Conf::Table, string_len_null(Conf::Recipient, 2048)).await?;
        add(
            m,
            Conf::Table,
            string_len(Conf::ProofPolicy, 16)
                .default("optional")
                .to_owned(),
        )
        .await?;
        for (table, column, values) in CHECKED {
            add_check(m, table, column, values).await?;
        }
        m.create_table(
            Table::create()
                .table(IdentityProviderKeySet::Table)
                .if_not_exists()
                .col(uuid(IdentityProviderKeySet::IdentityProviderId).primary_key())
                .col(text(IdentityProviderKeySet::Jwks))
                .col(timestamp_with_time_zone(IdentityProviderKeySet::FetchedAt))
                .foreign_key(&mut fk(
                    "fk_identity_provider_key_set_identity_provider",
                    (
                        IdentityProviderKeySet::Table,
                        IdentityProviderKeySet::IdentityProviderId,
                    ),
                    (Idp::Table, Idp::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ProofReplay::Table)
                .if_not_exists()
                .col(uuid(ProofReplay::IdentityProviderId))
                .col(string_len(ProofReplay::ReplayKey, 64))
                .col(timestamp_with_time_zone(ProofReplay::ExpiresAt))
                .primary_key(
                    Index::create()
                        .col(ProofReplay::IdentityProviderId)
                        .col(ProofReplay::ReplayKey),
                )
                .foreign_key(&mut fk(
                    "fk_proof_replay_identity_provider",
                    (ProofReplay::Table, ProofReplay::IdentityProviderId),
                    (Idp::Table, Idp::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        // Pruning deletes by expiry.
        m.create_index(
            index("ix_proof_replay_expires_at", ProofReplay::Table)
                .col(ProofReplay::ExpiresAt)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use IdentityProvider as Idp;
        use IdentityProviderConfiguration as Conf;
        m.drop_table(Table::drop().table(ProofReplay::Table).to_owned())
            .await?;
        m.drop_table(
            Table::drop()
                .table(IdentityProviderKeySet::Table)
                .to_owned(),
        )
        .await?;
        for (table, column, _) in CHECKED {
            drop_check(m, table, column).await?;
        }
        for column in [Conf::ProofPolicy, Conf::Recipient, Conf::Audience] {
            drop(m, Conf::Table, column).await?;
        }
        for column in [
            Idp::AdminAudience,
            Idp::MaxProofAgeSeconds,
            Idp::ClockSkewSeconds,
            Idp::AllowedAlgorithms,
            Idp::SigningCertificates,
            Idp::JwksUrl,
            Idp::Jwks,
        ] {
            drop(m, Idp::Table, column).await?;
        }
        Ok(())
    }
}
