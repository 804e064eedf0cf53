//! The query planner's statistics. PostgreSQL plans from what its last ANALYZE saw; a table
//! created empty (by the migrations) and filled before its first ANALYZE still looks empty,
//! indexes included, so every index prices the same and the planner may walk the whole page
//! index for a `userName eq` lookup that one unique-index probe answers (3 ms instead of
//! 0.05 ms at 7,000 SCIM users, and linear in them). Autovacuum analyzes such a table within a
//! minute or so, unless it is off or a bulk import outruns it.
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

/// Opens every statement of this module: the statement log does not record them (they are the
/// server's own upkeep, not a request's work), though it counts them.
pub const UPKEEP: &str = "/* autoprov upkeep */";

/// Analyzes each table of the current schema that was never analyzed, by hand or by
/// autovacuum, and has had at least `changed_rows` rows written since it was created; returns
/// their names. Nothing on SQLite, whose planner prices a unique index's full match as one row
/// without statistics.
pub async fn analyze_unseen<Db: ConnectionTrait>(
    db: &Db,
    changed_rows: i64,
) -> Result<Vec<String>, DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(Vec::new());
    }
    let unseen = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!(
                "{UPKEEP} SELECT relname FROM pg_stat_user_tables \
             WHERE schemaname = current_schema() AND last_analyze IS NULL \
             AND last_autoanalyze IS NULL AND n_mod_since_analyze >= $1 ORDER BY relname"
            ),
            [changed_rows.into()],
        ))
        .await?;
    let mut analyzed = Vec::with_capacity(unseen.len());
    for row in unseen {
        let table: String = row.try_get("", "relname")?;
        // The name comes from the catalog; quoting it keeps any spelling one identifier.
        let quoted = format!("\"{}\"", table.replace('"', "\"\""));
        db.execute_unprepared(&format!("{UPKEEP} ANALYZE {quoted}"))
            .await?;
        analyzed.push(table);
    }
    Ok(analyzed)
}
