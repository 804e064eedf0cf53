//! The database under test: a fresh SQLite file or PostgreSQL database per run, and the sqlx
//! pool (sea-orm's own sqlx, so values encode exactly as the app's) that seeds it and runs the
//! baseline. The statements are written once and expanded for both drivers by two macros.
use std::{path::Path, str::FromStr, time::Duration};

use sea_orm::sqlx::{
    self, AssertSqlSafe, Connection, Executor, Postgres, Sqlite,
    pool::PoolConnection,
    postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions},
    sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
    },
};

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Sqlite => "SQLite",
            Kind::Postgres => "PostgreSQL",
        }
    }
}

/// The same pool size as the server's default (`--db-max-connections 10`).
pub const POOL_SIZE: u32 = 10;

/// A sqlx pool on either database.
#[derive(Clone)]
pub enum Pool {
    Sqlite(SqlitePool),
    Pg(PgPool),
}

/// Runs `$body` with `$p` bound to the concrete pool: written once, type-checked for both.
macro_rules! with_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            $crate::db::Pool::Sqlite($p) => $body,
            $crate::db::Pool::Pg($p) => $body,
        }
    };
}
pub(crate) use with_pool;

/// Runs `$body` (a block using `$c: &mut <driver>Connection`, evaluating to
/// `Result<T, sqlx::Error>`) as one write transaction, the way the app does: `BEGIN IMMEDIATE`
/// on SQLite (a reader that later writes would otherwise fail with SQLITE_BUSY instead of
/// queueing), an ordinary transaction on PostgreSQL. An error rolls back.
macro_rules! write_tx {
    ($pool:expr, $c:ident => $body:block) => {
        async {
            match $pool {
                $crate::db::Pool::Sqlite(pool) => {
                    let mut conn = pool.acquire().await?;
                    ::sea_orm::sqlx::query("BEGIN IMMEDIATE")
                        .execute(&mut *conn)
                        .await?;
                    let result = async {
                        let $c = &mut *conn;
                        $body
                    }
                    .await;
                    $crate::db::end_sqlite_tx(conn, result).await
                }
                $crate::db::Pool::Pg(pool) => {
                    let mut tx = pool.begin().await?;
                    let result = async {
                        let $c = &mut *tx;
                        $body
                    }
                    .await;
                    $crate::db::end_pg_tx(tx, result).await
                }
            }
        }
    };
}
pub(crate) use write_tx;

/// Ends the SQLite write transaction of [`write_tx!`] on `conn`: COMMIT after `result` is
/// `Ok`, ROLLBACK after an error (and the connection is dropped, not handed back to the pool
/// with a transaction open, if the ROLLBACK fails).
pub async fn end_sqlite_tx<T>(
    mut conn: PoolConnection<Sqlite>,
    result: Result<T, sqlx::Error>,
) -> Result<T, sqlx::Error> {
    match result {
        Ok(value) => {
            sqlx::query("COMMIT").execute(&mut *conn).await?;
            Ok(value)
        }
        Err(error) => {
            if sqlx::query("ROLLBACK").execute(&mut *conn).await.is_err() {
                drop(conn.detach());
            }
            Err(error)
        }
    }
}

/// Ends the PostgreSQL write transaction of [`write_tx!`]: commits it after `result` is `Ok`,
/// rolls it back after an error.
pub async fn end_pg_tx<T>(
    tx: sqlx::Transaction<'_, Postgres>,
    result: Result<T, sqlx::Error>,
) -> Result<T, sqlx::Error> {
    match result {
        Ok(value) => {
            tx.commit().await?;
            Ok(value)
        }
        Err(error) => {
            tx.rollback().await.ok();
            Err(error)
        }
    }
}

/// A database created for this run and removed when dropped (also on panic).
pub struct Target {
    pub kind: Kind,
    /// What the server is given as `--database-url`.
    pub url: String,
    sqlite_file: Option<(tempfile::TempDir, std::path::PathBuf)>,
    /// Held only to be dropped with the target (which drops the database).
    _pg: Option<PgDatabase>,
}

impl Target {
    pub fn sqlite() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("autoprov-bench-")
            .tempdir()
            .expect("cannot create a temporary directory for the SQLite file");
        let file = dir.path().join("bench.db");
        Self {
            kind: Kind::Sqlite,
            url: format!("sqlite://{}?mode=rwc", file.display()),
            sqlite_file: Some((dir, file)),
            _pg: None,
        }
    }

    /// Creates `autoprov_bench_<pid>` after dropping leftovers of earlier (dead) runs.
    pub async fn postgres(admin_url: &str) -> Self {
        let mut admin = PgConnection::connect(admin_url).await.unwrap_or_else(|e| {
            panic!(
                "cannot connect to PostgreSQL at {admin_url} ({e}); set BENCH_DATABASE_URL, or \
                 start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
            )
        });
        let pid = std::process::id();
        let leftovers: Vec<String> = sqlx::query_scalar(
            "SELECT datname FROM pg_database WHERE datname LIKE 'autoprov\\_bench\\_%'",
        )
        .fetch_all(&mut admin)
        .await
        .expect("cannot list databases");
        for name in leftovers {
            let owner = name.rsplit('_').next().and_then(|p| p.parse::<u32>().ok());
            let alive =
                owner.is_some_and(|p| p != pid && Path::new(&format!("/proc/{p}")).exists());
            if alive {
                eprintln!("keeping {name}: its bench process is still running");
                continue;
            }
            eprintln!("dropping leftover database {name}");
            admin
                .execute(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                )))
                .await
                .expect("cannot drop a leftover bench database");
        }
        let name = format!("autoprov_bench_{pid}");
        admin
            .execute(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .await
            .expect("cannot create the bench database");
        admin.close().await.ok();
        Self {
            kind: Kind::Postgres,
            url: with_database(admin_url, &name),
            sqlite_file: None,
            _pg: Some(PgDatabase {
                admin_url: admin_url.to_owned(),
                name,
            }),
        }
    }

    /// A pool of the server's default size, configured like the server's.
    pub async fn pool(&self) -> Pool {
        match (&self.sqlite_file, self.kind) {
            (Some((_, file)), Kind::Sqlite) => {
                let options = SqliteConnectOptions::new()
                    .filename(file)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true);
                Pool::Sqlite(
                    SqlitePoolOptions::new()
                        .max_connections(POOL_SIZE)
                        .connect_with(options)
                        .await
                        .expect("cannot open the SQLite file"),
                )
            }
            _ => {
                let options = PgConnectOptions::from_str(&self.url).expect("bad PostgreSQL URL");
                Pool::Pg(
                    PgPoolOptions::new()
                        .max_connections(POOL_SIZE)
                        .connect_with(options)
                        .await
                        .expect("cannot connect to the bench database"),
                )
            }
        }
    }
}

/// The PostgreSQL database of a run; dropping it runs `DROP DATABASE` on a thread of its own
/// (Drop cannot await, and may run inside the bench's runtime).
struct PgDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin_url)
                    .await
                    .map_err(|e| e.to_string())?;
                admin
                    .execute(AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    )))
                    .await
                    .map_err(|e| e.to_string())?;
                admin.close().await.ok();
                Ok::<_, String>(())
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => eprintln!("dropped database {}", self.name),
            Ok(Err(e)) => eprintln!("could not drop database {}: {e}", self.name),
            Err(_) => eprintln!("could not drop database {}: the thread panicked", self.name),
        }
    }
}

/// `url` with its database path replaced by `database` (query parameters kept).
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{database}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// Fails loudly when a table's columns are not the ones the seeding and baseline statements
/// write: the schema belongs to the app and may change under the bench.
pub async fn check_columns(pool: &Pool, table: &str, expected: &[&str]) {
    let mut actual: Vec<String> = with_pool!(pool, p => {
        let sql = match pool {
            Pool::Sqlite(_) => "SELECT name FROM pragma_table_info($1)",
            Pool::Pg(_) => "SELECT column_name::text FROM information_schema.columns \
                            WHERE table_schema = current_schema() AND table_name = $1",
        };
        sqlx::query_scalar(sql).bind(table).fetch_all(p).await
    })
    .unwrap_or_else(|e| panic!("cannot read the columns of {table}: {e}"));
    let mut expected: Vec<String> = expected.iter().map(|c| (*c).to_owned()).collect();
    actual.sort();
    expected.sort();
    assert_eq!(
        actual, expected,
        "the columns of table {table} changed (database vs. bench); update benches/load"
    );
}

/// Lets the database settle after a bulk load, as it soon would by itself: PostgreSQL vacuums
/// and gathers statistics (autovacuum would, within a minute, competing with the cells for the
/// CPU) and SQLite folds its WAL back into the main file (its auto-checkpoint would at the next
/// commits). The cells then measure the steady state, not the seeding's aftermath.
pub async fn settle(pool: &Pool) {
    let sql = match pool {
        Pool::Sqlite(_) => "PRAGMA wal_checkpoint(TRUNCATE)",
        Pool::Pg(_) => "VACUUM ANALYZE",
    };
    with_pool!(pool, p => sqlx::raw_sql(sql).execute(p).await.map(drop))
        .unwrap_or_else(|e| panic!("{sql} failed: {e}"));
}

/// Refreshes PostgreSQL's statistics before a measured operation, as autovacuum does on a live
/// system. Tables here grow from empty within seconds, faster than autovacuum's one-minute
/// rounds; until it catches up, the planner sizes them by their first rows and can choose full
/// scans, for the server and the baseline alike. SQLite plans from its indexes alone.
pub async fn analyze(pool: &Pool) {
    if let Pool::Pg(p) = pool {
        sqlx::raw_sql("ANALYZE")
            .execute(p)
            .await
            .unwrap_or_else(|e| panic!("ANALYZE failed: {e}"));
    }
}
