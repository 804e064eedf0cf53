//! A sync's list of changes is written in parts: at a million employees it is tens of MB of JSON
//! text, and sent as one statement parameter it was held three times over (the text, the
//! statement's copy, the driver's send buffer, which the pooled connection keeps). The parts
//! live here only inside the sync's transaction: the database joins them into
//! `employee_sync.changes` and they are deleted before it commits.
use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261123_000001_create_tables::fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum EmployeeSyncChangePart {
    Table,
    EmployeeSyncId,
    Seq,
    Part,
}

#[derive(DeriveIden)]
enum EmployeeSync {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use EmployeeSyncChangePart as P;
        m.create_table(
            Table::create()
                .table(P::Table)
                .if_not_exists()
                .col(uuid(P::EmployeeSyncId))
                .col(integer(P::Seq))
                .col(text(P::Part))
                .primary_key(Index::create().col(P::EmployeeSyncId).col(P::Seq))
                .foreign_key(&mut fk(
                    "fk_employee_sync_change_part_sync",
                    (P::Table, P::EmployeeSyncId),
                    (EmployeeSync::Table, EmployeeSync::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(
            Table::drop()
                .table(EmployeeSyncChangePart::Table)
                .to_owned(),
        )
        .await
    }
}
