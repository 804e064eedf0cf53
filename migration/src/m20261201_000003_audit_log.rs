//! The audit log of admin changes. Append-only history that outlives what it mentions: no
//! foreign key to the changed entity or its brand (a deleted brand's events must still say who
//! deleted it), and the actor's token reference is set to null if the token row goes (a brand's
//! portal tokens go with the brand); the actor's name is kept as text.
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

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

/// This migration wrote the audit log's entity types as an inline `CHECK` of the table,
/// which cannot be widened in place; `m20261201_000005` calls this, and from there on the
/// list is a named check like every other
/// (`add_check`). PostgreSQL drops the unnamed constraint; SQLite, which cannot drop a
/// constraint, rebuilds the table without it (same columns, rows and indexes).
pub(crate) async fn drop_inline_audit_check(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = m.get_connection();
    match m.get_database_backend() {
        DbBackend::Postgres => {
            db.execute_unprepared(
                "DO $$ DECLARE c text; BEGIN \
                 FOR c IN SELECT conname FROM pg_constraint \
                   WHERE conrelid = 'audit_event'::regclass AND contype = 'c' \
                   AND conname NOT LIKE 'ck\\_%' LOOP \
                   EXECUTE format('ALTER TABLE audit_event DROP CONSTRAINT %I', c); \
                 END LOOP; END $$",
            )
            .await?;
        }
        _ => {
            let (_, column, values) = CHECKED[0];
            let allowed = values
                .iter()
                .map(|v| format!("'{v}'"))
                .collect::<Vec<_>>()
                .join(", ");
            let inline = format!(", CHECK ({column} IN ({allowed}))");
            let row = db
                .query_one_raw(sea_orm::Statement::from_string(
                    DbBackend::Sqlite,
                    "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'audit_event'",
                ))
                .await?;
            let Some(sql) = row.map(|r| r.try_get::<String>("", "sql")).transpose()? else {
                return Ok(());
            };
            if !sql.contains(&inline) {
                return Ok(());
            }
            let indexes = db
                .query_all_raw(sea_orm::Statement::from_string(
                    DbBackend::Sqlite,
                    "SELECT sql FROM sqlite_master WHERE type = 'index' \
                     AND tbl_name = 'audit_event' AND sql IS NOT NULL",
                ))
                .await?
                .into_iter()
                .map(|r| r.try_get::<String>("", "sql"))
                .collect::<Result<Vec<_>, _>>()?;
            let rebuilt = sql.replace(&inline, "").replacen(
                "CREATE TABLE \"audit_event\"",
                "CREATE TABLE \"audit_event_rebuilt\"",
                1,
            );
            db.execute_unprepared(&rebuilt).await?;
            db.execute_unprepared("INSERT INTO audit_event_rebuilt SELECT * FROM audit_event")
                .await?;
            db.execute_unprepared("DROP TABLE audit_event").await?;
            db.execute_unprepared("ALTER TABLE audit_event_rebuilt RENAME TO audit_event")
                .await?;
            for index in indexes {
                db.execute_unprepared(&index).await?;
            }
        }
    }
    Ok(())
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
