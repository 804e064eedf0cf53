//! Emails and company names are compared in a new folded form (NFKC + Unicode case folding,
//! where the first release used `to_lowercase`): this recomputes the stored keys.
//!
//! The fold below is a frozen copy of the service's `domain::validate::fold` as it was when this
//! migration was written, as a migration must not change with the code it once ran beside.
//! Two contacts whose addresses were distinct under the old key but are one address under the
//! new one cannot both hold it (the key is unique): the one that already holds the new key keeps
//! it and the other keeps its old key, so nothing is lost; an administrator merges the two.
use sea_orm_migration::{
    prelude::*,
    sea_orm::{ConnectionTrait, Statement},
};
use unicode_normalization::UnicodeNormalization;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Contact {
    Table,
    Email,
    EmailFolded,
}

#[derive(DeriveIden)]
enum Company {
    Table,
    Name,
    NameFolded,
}

fn fold(text: &str) -> String {
    let compatible: String = text.trim().nfkc().collect();
    caseless::default_case_fold_str(&compatible)
        .nfkc()
        .collect()
}

/// Rows of `(text, stored key)` whose key is not the new fold of the text.
async fn stale_keys(
    manager: &SchemaManager<'_>,
    table: &str,
    text: &str,
    key: &str,
) -> Result<Vec<(String, String, String)>, DbErr> {
    let db = manager.get_connection();
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT {text} AS text, {key} AS key FROM {table} ORDER BY created_at, id"),
        ))
        .await?;
    let mut stale = Vec::new();
    for row in rows {
        let text: String = row.try_get("", "text")?;
        let key: String = row.try_get("", "key")?;
        let folded = fold(&text);
        if folded != key {
            stale.push((text, key, folded));
        }
    }
    Ok(stale)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _, folded) in stale_keys(manager, "company", "name", "name_folded").await? {
            manager
                .exec_stmt(
                    Query::update()
                        .table(Company::Table)
                        .value(Company::NameFolded, folded)
                        .and_where(Expr::col(Company::Name).eq(name))
                        .to_owned(),
                )
                .await?;
        }
        for (email, old, folded) in stale_keys(manager, "contact", "email", "email_folded").await? {
            // Skipped when another contact already holds the new key (see the module doc).
            let taken = Query::select()
                .expr(Expr::val(1))
                .from_as(Contact::Table, Alias::new("other"))
                .and_where(
                    Expr::col((Alias::new("other"), Contact::EmailFolded)).eq(folded.clone()),
                )
                .to_owned();
            manager
                .exec_stmt(
                    Query::update()
                        .table(Contact::Table)
                        .value(Contact::EmailFolded, folded)
                        .and_where(Expr::col(Contact::EmailFolded).eq(old))
                        .and_where(Expr::col(Contact::Email).eq(email))
                        .and_where(Expr::exists(taken).not())
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // The new keys are as good a lookup key as the old ones were; nothing to undo.
        Ok(())
    }
}
