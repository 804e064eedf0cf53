//! The audit log of admin changes. Append-only history that outlives what it mentions: no
//! foreign key to the changed entity or its brand (a deleted brand's events must still say who
//! deleted it), and the actor's token reference is set to null if the token row goes (a brand's
//! portal tokens go with the brand); the actor's name is kept as text.
use sea_orm_migration::{prelude::*, schema::*};

/// The entity types an event may name (the service's `AuditEntity`; a test compares).
pub const CHECKED: &[(&str, &str, &[&str])] = &[(
    "audit_event",
    "entity_type",
    &[
        "brand",
        "identityProvider",
        "identityProviderConfiguration",
        "company",
        "account",
        "contact",
        "apiToken",
    ],
)];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEvent {
    Table,
    Id,
    OccurredAt,
    ActorTokenId,
    ActorName,
    Operation,
    EntityType,
    EntityId,
    BrandId,
    Changes,
}

#[derive(DeriveIden)]
enum ApiToken {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let (_, column, values) = CHECKED[0];
        let allowed = values
            .iter()
            .map(|v| format!("'{v}'"))
            .collect::<Vec<_>>()
            .join(", ");
        m.create_table(
            Table::create()
                .table(AuditEvent::Table)
                .if_not_exists()
                .col(pk_uuid(AuditEvent::Id))
                .col(timestamp_with_time_zone(AuditEvent::OccurredAt))
                .col(uuid_null(AuditEvent::ActorTokenId))
                .col(string_len(AuditEvent::ActorName, 200))
                .col(string_len(AuditEvent::Operation, 100))
                .col(string_len(AuditEvent::EntityType, 40))
                .col(uuid(AuditEvent::EntityId))
                .col(uuid_null(AuditEvent::BrandId))
                .col(json(AuditEvent::Changes))
                .check(Expr::cust(format!("{column} IN ({allowed})")))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_audit_event_actor_token")
                        .from(AuditEvent::Table, AuditEvent::ActorTokenId)
                        .to(ApiToken::Table, ApiToken::Id)
                        .on_delete(ForeignKeyAction::SetNull)
                        .on_update(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // Each filter of `auditEvents` and `Brand.auditEvents`, newest first.
        for (name, col) in [
            ("ix_audit_event_entity", AuditEvent::EntityId),
            ("ix_audit_event_brand", AuditEvent::BrandId),
            ("ix_audit_event_actor", AuditEvent::ActorTokenId),
            ("ix_audit_event_type", AuditEvent::EntityType),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(AuditEvent::Table)
                    .if_not_exists()
                    .col(col)
                    .col(AuditEvent::OccurredAt)
                    .to_owned(),
            )
            .await?;
        }
        m.create_index(
            Index::create()
                .name("ix_audit_event_occurred")
                .table(AuditEvent::Table)
                .if_not_exists()
                .col(AuditEvent::OccurredAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(AuditEvent::Table).to_owned())
            .await
    }
}
