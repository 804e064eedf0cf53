//! Look-alike emails (PRODUCT §3; Unicode TS #39): every contact stores the confusable
//! skeleton of its folded email, indexed, so that an address that looks like another contact's
//! (Cyrillic `а` for Latin `a`, `rn` for `m`) but is not the same address can be refused.
//!
//! The skeleton below is a frozen copy of `domain::validate::email_skeleton` as it was when this
//! migration was written (a migration must not change with the code it once ran beside). The
//! column is not unique: contacts stored before this migration may already share a skeleton,
//! and they keep working; only new addresses are checked.
use sea_orm_migration::{
    prelude::*,
    sea_orm::{ConnectionTrait, Statement},
};

use crate::m20261123_000001_create_tables::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Contact {
    Table,
    Id,
    EmailSkeleton,
}

fn skeleton(folded: &str) -> String {
    unicode_security::skeleton(folded).collect()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if !m.has_column("contact", "email_skeleton").await? {
            m.alter_table(
                Table::alter()
                    .table(Contact::Table)
                    .add_column(
                        ColumnDef::new(Contact::EmailSkeleton)
                            .string()
                            .not_null()
                            .default(""),
                    )
                    .to_owned(),
            )
            .await?;
        }
        let db = m.get_connection();
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT id, email_folded FROM contact WHERE email_skeleton = ''",
            ))
            .await?;
        for row in rows {
            let id: sea_orm_migration::sea_orm::prelude::Uuid = row.try_get("", "id")?;
            let folded: String = row.try_get("", "email_folded")?;
            m.exec_stmt(
                Query::update()
                    .table(Contact::Table)
                    .value(Contact::EmailSkeleton, skeleton(&folded))
                    .and_where(Expr::col(Contact::Id).eq(id))
                    .to_owned(),
            )
            .await?;
        }
        m.create_index(
            index("ix_contact_email_skeleton", Contact::Table)
                .col(Contact::EmailSkeleton)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_contact_email_skeleton")
                .table(Contact::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Contact::Table)
                .drop_column(Contact::EmailSkeleton)
                .to_owned(),
        )
        .await
    }
}
