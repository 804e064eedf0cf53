//! A connection goes back to the pool clean, and without a round trip (issue 23, item 1):
//! the vendored sqlx-core flushes a released connection instead of pinging it
//! (vendor/README.md). Each test runs on a pool of one connection, so every statement after
//! the first reuses the connection the one before released.
use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use autoprov::db::StatementLog;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

use crate::helpers::TestDatabase;

async fn one_connection_pool(url: &str) -> DatabaseConnection {
    autoprov::db::connect(url, 1, &StatementLog::default())
        .await
        .expect("pool of one connection")
}

async fn select_one(db: &DatabaseConnection) -> i64 {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(backend, "SELECT 1 AS one"))
        .await
        .expect("SELECT 1")
        .expect("one row");
    // PostgreSQL answers an int4, SQLite an integer.
    match backend {
        DbBackend::Postgres => i64::from(row.try_get::<i32>("", "one").expect("one")),
        _ => row.try_get::<i64>("", "one").expect("one"),
    }
}

async fn count_probe_rows(db: &DatabaseConnection) -> i64 {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) AS n FROM pool_probe",
        ))
        .await
        .expect("count")
        .expect("one row");
    row.try_get::<i64>("", "n").expect("n")
}

/// A statement that takes about a second: PostgreSQL sleeps, SQLite counts.
fn slow_statement(backend: DbBackend) -> Statement {
    let sql = match backend {
        DbBackend::Postgres => "SELECT 1 AS one FROM pg_sleep(1)",
        _ => {
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000000) \
             SELECT COUNT(*) AS one FROM n"
        }
    };
    Statement::from_string(backend, sql)
}

#[tokio::test]
async fn a_dropped_transaction_or_an_abandoned_statement_leaves_its_connection_clean() {
    let database = TestDatabase::new().await;
    let db = one_connection_pool(&database.url).await;
    db.execute_unprepared("CREATE TABLE pool_probe (n INTEGER NOT NULL)")
        .await
        .expect("create probe table");

    // A transaction dropped with a write in it (a request that failed half way): its ROLLBACK
    // is only queued by the drop; the release must send it before the next user runs.
    let txn = autoprov::db::begin(&db).await.expect("begin");
    txn.execute_unprepared("INSERT INTO pool_probe (n) VALUES (1)")
        .await
        .expect("insert");
    drop(txn);
    assert_eq!(count_probe_rows(&db).await, 0, "the dropped write is gone");
    // The connection is out of that transaction: a new one begins and commits.
    let txn = db.begin().await.expect("a new transaction begins");
    txn.execute_unprepared("INSERT INTO pool_probe (n) VALUES (2)")
        .await
        .expect("insert");
    txn.commit().await.expect("commit");
    assert_eq!(count_probe_rows(&db).await, 1);

    // A statement abandoned while the database is still working on it (a request whose client
    // went away): the answer still owed must not reach the next statement.
    let backend = db.get_database_backend();
    let abandoned = tokio::time::timeout(
        Duration::from_millis(50),
        db.query_one_raw(slow_statement(backend)),
    )
    .await;
    assert!(abandoned.is_err(), "the slow statement was abandoned");
    assert_eq!(
        select_one(&db).await,
        1,
        "the next statement gets its own answer"
    );
    assert_eq!(count_probe_rows(&db).await, 1);
}

/// A TCP proxy in front of PostgreSQL that keeps every byte the pool sends.
struct RecordingProxy {
    address: String,
    sent: Arc<Mutex<Vec<u8>>>,
}

impl RecordingProxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let address = listener.local_addr().expect("proxy address").to_string();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let record = sent.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let server = TcpStream::connect(&upstream).await.expect("upstream");
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                let record = record.clone();
                tokio::spawn(async move {
                    let mut buffer = vec![0u8; 64 << 10];
                    while let Ok(n) = client_read.read(&mut buffer).await {
                        if n == 0 {
                            break;
                        }
                        record
                            .lock()
                            .expect("record")
                            .extend_from_slice(&buffer[..n]);
                        if server_write.write_all(&buffer[..n]).await.is_err() {
                            break;
                        }
                    }
                });
                tokio::spawn(async move {
                    tokio::io::copy(&mut server_read, &mut client_write)
                        .await
                        .ok();
                });
            }
        });
        Self { address, sent }
    }

    /// Sync messages sent so far: the frontend's `S` with length 4. A sqlx ping is exactly
    /// one; each statement of the extended protocol ends with one. The statements below carry
    /// no parameters, so these five bytes cannot occur inside one.
    fn syncs(&self) -> usize {
        self.sent
            .lock()
            .expect("record")
            .windows(5)
            .filter(|w| *w == b"S\0\0\0\x04")
            .count()
    }
}

#[tokio::test]
async fn on_postgresql_a_statement_outside_a_transaction_is_one_round_trip() {
    let database = TestDatabase::new().await;
    if !database.url.starts_with("postgres") {
        // The count is read off PostgreSQL's wire protocol; on SQLite the same pool code runs
        // (the test above covers what a release must still do there).
        eprintln!("PostgreSQL only: skipped on SQLite (CI runs the suite on both)");
        return;
    }
    let mut url = reqwest::Url::parse(&database.url).expect("database URL");
    let upstream = format!(
        "{}:{}",
        url.host_str().expect("host"),
        url.port().unwrap_or(5432)
    );
    let proxy = RecordingProxy::start(upstream).await;
    let (host, port) = proxy.address.rsplit_once(':').expect("host:port");
    url.set_host(Some(host)).expect("host");
    url.set_port(Some(port.parse().expect("port")))
        .expect("port");
    // Plain text, so that the proxy reads the messages.
    url.set_query(Some("sslmode=disable"));
    let db = one_connection_pool(url.as_str()).await;

    // The first run prepares the statement (a round trip of its own), later runs reuse it.
    assert_eq!(select_one(&db).await, 1);
    let before = proxy.syncs();
    for _ in 0..10 {
        assert_eq!(select_one(&db).await, 1);
    }
    // The last release runs in a task of its own: a further checkout waits for it.
    let txn = db.begin().await.expect("begin");
    let during = proxy.syncs();
    txn.rollback().await.expect("rollback");
    assert_eq!(
        during - before,
        10,
        "one Sync per statement: no ping when a connection is taken or given back \
         (with sqlx's ping on release it was 21)"
    );
}

#[tokio::test]
async fn on_postgresql_a_connection_that_broke_is_replaced_after_its_first_failure() {
    let database = TestDatabase::new().await;
    if !database.url.starts_with("postgres") {
        eprintln!("PostgreSQL only: skipped on SQLite (no server to drop a connection)");
        return;
    }
    let db = one_connection_pool(&database.url).await;
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_backend_pid() AS pid",
        ))
        .await
        .expect("pid")
        .expect("one row");
    let pid: i32 = row.try_get("", "pid").expect("pid");

    // The server drops the pooled connection while it is idle (a restart, a proxy, an
    // administrator): nothing is owed on it, so its release did no I/O and it is still pooled.
    let admin = sea_orm::Database::connect(&database.url)
        .await
        .expect("second connection");
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend({pid}); SELECT pg_sleep(0.2)"
        ))
        .await
        .expect("terminate");
    admin.close().await.ok();

    // Its next statement fails; the answer it still owes makes the release read, which finds
    // the connection closed, so the pool drops it rather than handing it out again.
    let backend = db.get_database_backend();
    let failed = db
        .query_one_raw(Statement::from_string(backend, "SELECT 1 AS one"))
        .await;
    assert!(
        failed.is_err(),
        "the statement on the dropped connection fails"
    );
    for _ in 0..3 {
        assert_eq!(
            select_one(&db).await,
            1,
            "a new connection serves the next ones"
        );
    }
}
