//! Who may sign administrators in, and what their tokens stand on (PRODUCT §7):
//! - identity providers say whether they may sign administrators in (`admin_sign_in`) and
//!   whether their emails count as verified without an `email_verified` claim
//!   (`trust_email`); both default to false, so no existing IdP signs an administrator in
//!   until an owner says so;
//! - an administrator keeps the (IdP, subject) of its first SSO sign-in, unique: one IdP
//!   identity is one administrator;
//! - a sign-in token keeps the (IdP, subject) it was issued to, for the audit log;
//! - a held sync says why it is held (`hold_reason`).
use sea_orm_migration::{prelude::*, schema::*};

use crate::{
    m20261123_000001_create_tables::index,
    m20261201_000002_enum_checks::{add_check, drop_check},
};

/// The enum columns this migration defines: (table, column, values).
pub const CHECKED: &[(&str, &str, &[&str])] = &[(
    "employee_sync",
    "hold_reason",
    &["tooManyDeactivations", "needsOwner"],
)];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IdentityProvider {
    Table,
    AdminSignIn,
    TrustEmail,
}

#[derive(DeriveIden)]
enum Administrator {
    Table,
    SignInIdentityProviderId,
    SignInSubject,
}

#[derive(DeriveIden)]
enum ApiToken {
    Table,
    SignInIdentityProviderId,
    SignInSubject,
}

#[derive(DeriveIden)]
enum EmployeeSync {
    Table,
    HoldReason,
}

/// One column per statement: SQLite alters one thing at a time.
pub(crate) async fn add(
    m: &SchemaManager<'_>,
    table: impl IntoIden,
    column: ColumnDef,
) -> Result<(), DbErr> {
    let mut column = column;
    m.alter_table(
        Table::alter()
            .table(table)
            .add_column(&mut column)
            .to_owned(),
    )
    .await
}

pub(crate) async fn drop(
    m: &SchemaManager<'_>,
    table: impl IntoIden,
    column: impl IntoIden,
) -> Result<(), DbErr> {
    m.alter_table(Table::alter().table(table).drop_column(column).to_owned())
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add(
            m,
            IdentityProvider::Table,
            boolean(IdentityProvider::AdminSignIn)
                .default(false)
                .to_owned(),
        )
        .await?;
        add(
            m,
            IdentityProvider::Table,
            boolean(IdentityProvider::TrustEmail)
                .default(false)
                .to_owned(),
        )
        .await?;
        add(
            m,
            Administrator::Table,
            uuid_null(Administrator::SignInIdentityProviderId),
        )
        .await?;
        add(
            m,
            Administrator::Table,
            string_len_null(Administrator::SignInSubject, 1024),
        )
        .await?;
        // Unbound administrators (nulls) do not collide, on PostgreSQL and SQLite alike.
        m.create_index(
            index("ux_administrator_sign_in", Administrator::Table)
                .col(Administrator::SignInIdentityProviderId)
                .col(Administrator::SignInSubject)
                .unique()
                .to_owned(),
        )
        .await?;
        add(
            m,
            ApiToken::Table,
            uuid_null(ApiToken::SignInIdentityProviderId),
        )
        .await?;
        add(
            m,
            ApiToken::Table,
            string_len_null(ApiToken::SignInSubject, 1024),
        )
        .await?;
        add(
            m,
            EmployeeSync::Table,
            string_len_null(EmployeeSync::HoldReason, 32),
        )
        .await?;
        for (table, column, values) in CHECKED {
            add_check(m, table, column, values).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, column, _) in CHECKED {
            drop_check(m, table, column).await?;
        }
        drop(m, EmployeeSync::Table, EmployeeSync::HoldReason).await?;
        drop(m, ApiToken::Table, ApiToken::SignInSubject).await?;
        drop(m, ApiToken::Table, ApiToken::SignInIdentityProviderId).await?;
        m.drop_index(
            Index::drop()
                .name("ux_administrator_sign_in")
                .table(Administrator::Table)
                .to_owned(),
        )
        .await?;
        drop(m, Administrator::Table, Administrator::SignInSubject).await?;
        drop(
            m,
            Administrator::Table,
            Administrator::SignInIdentityProviderId,
        )
        .await?;
        drop(m, IdentityProvider::Table, IdentityProvider::TrustEmail).await?;
        drop(m, IdentityProvider::Table, IdentityProvider::AdminSignIn).await?;
        Ok(())
    }
}
