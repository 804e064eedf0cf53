//! Prometheus metrics, one registry per application (tests run many in one process): HTTP
//! requests and latency by route, GraphQL operations (root fields) and their latency, sign-in
//! outcomes and denials by reason, the database pool, and build info. `GET /metrics` renders
//! them in the Prometheus text format. Every label value comes from the code or the schema,
//! never from the client, so no request can grow the number of series.
use std::time::Duration;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry,
    TextEncoder, core::Collector,
};

/// Latency buckets, in seconds: from a cached token lookup to a slow write.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

pub struct Metrics {
    registry: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    graphql_operations: IntCounterVec,
    graphql_duration: HistogramVec,
    sign_ins: IntCounterVec,
    sign_in_denials: IntCounterVec,
    jwks_fetches: IntCounterVec,
    employee_syncs: IntCounterVec,
    administrator_changes: IntCounterVec,
    db_statements: IntCounter,
    db_connections: IntGaugeVec,
}

/// What one employee sync did, for [`Metrics::employee_sync`].
pub struct SyncResult<'a> {
    pub source: &'a str,
    pub status: &'a str,
    /// (change, how many): created, reactivated, deactivated, roleChanged, updated.
    pub changes: [(&'static str, i32); 5],
}

impl<'a> From<&'a entity::employee_sync::Model> for SyncResult<'a> {
    fn from(sync: &'a entity::employee_sync::Model) -> Self {
        Self {
            source: &sync.source,
            status: &sync.status,
            changes: [
                ("created", sync.created),
                ("reactivated", sync.reactivated),
                ("deactivated", sync.deactivated),
                ("roleChanged", sync.role_changed),
                ("updated", sync.updated),
            ],
        }
    }
}

/// Registers `metric` under `name`. Names and labels are constants of this file, so neither
/// building nor registering can fail at run time.
fn registered<M: Collector + Clone + 'static>(
    registry: &Registry,
    name: &str,
    metric: prometheus::Result<M>,
) -> M {
    let metric = metric.unwrap_or_else(|e| unreachable!("metric {name}: {e}"));
    registry
        .register(Box::new(metric.clone()))
        .unwrap_or_else(|e| unreachable!("metric {name}: {e}"));
    metric
}

fn counter(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let counter = IntCounterVec::new(Opts::new(name, help), labels);
    registered(registry, name, counter)
}

fn histogram(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> HistogramVec {
    let opts = HistogramOpts::new(name, help).buckets(BUCKETS.to_vec());
    registered(registry, name, HistogramVec::new(opts, labels))
}

fn gauge(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    let gauge = IntGaugeVec::new(Opts::new(name, help), labels);
    registered(registry, name, gauge)
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let build_info = gauge(
            &registry,
            "autoprov_build_info",
            "The running build: always 1, with its version as a label.",
            &["version"],
        );
        build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION")])
            .set(1);
        Self {
            http_requests: counter(
                &registry,
                "autoprov_http_requests_total",
                "HTTP requests answered, by route, method and status.",
                &["route", "method", "status"],
            ),
            http_duration: histogram(
                &registry,
                "autoprov_http_request_duration_seconds",
                "Time to answer an HTTP request, by route and method.",
                &["route", "method"],
            ),
            graphql_operations: counter(
                &registry,
                "autoprov_graphql_operations_total",
                "GraphQL operations run, by root field (`query brands`, `mutation \
                 brands.create`) and result (ok or error).",
                &["operation", "result"],
            ),
            graphql_duration: histogram(
                &registry,
                "autoprov_graphql_operation_duration_seconds",
                "Time to resolve a GraphQL operation's root field, by operation.",
                &["operation"],
            ),
            sign_ins: counter(
                &registry,
                "autoprov_sign_ins_total",
                "sso.signIn calls, by outcome and, for created contacts, the account rule \
                 (none otherwise).",
                &["outcome", "account_assignment"],
            ),
            sign_in_denials: counter(
                &registry,
                "autoprov_sign_in_denials_total",
                "Denied sso.signIn calls, by reason code (SignInDenialReason).",
                &["reason"],
            ),
            jwks_fetches: counter(
                &registry,
                "autoprov_jwks_fetches_total",
                "Fetches of identity providers' JWKS URLs, by result (ok, failed).",
                &["result"],
            ),
            employee_syncs: counter(
                &registry,
                "autoprov_employee_syncs_total",
                "Employee syncs, by source (upload, cli, inbox, rules) and status (applied, \
                 held, dryRun, rejected).",
                &["source", "status"],
            ),
            administrator_changes: counter(
                &registry,
                "autoprov_administrator_changes_total",
                "Administrators changed by applied employee syncs, by change.",
                &["change"],
            ),
            db_statements: {
                let name = "autoprov_db_statements_total";
                let help = "SQL statements run on the pool since the start (BEGIN and \
                            COMMIT not counted), read at scrape time.";
                registered(&registry, name, IntCounter::new(name, help))
            },
            db_connections: gauge(
                &registry,
                "autoprov_db_connections",
                "Database pool connections, by state (in_use, idle), at scrape time.",
                &["state"],
            ),
            registry,
        }
    }

    pub fn http_request(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        self.http_requests
            .with_label_values(&[route, method, &status.to_string()])
            .inc();
        self.http_duration
            .with_label_values(&[route, method])
            .observe(elapsed.as_secs_f64());
    }

    pub fn graphql_operation(&self, operation: &str, ok: bool, elapsed: Duration) {
        let result = if ok { "ok" } else { "error" };
        self.graphql_operations
            .with_label_values(&[operation, result])
            .inc();
        self.graphql_duration
            .with_label_values(&[operation])
            .observe(elapsed.as_secs_f64());
    }

    pub fn sign_in(&self, outcome: &str, account_assignment: Option<&str>, denial: Option<&str>) {
        self.sign_ins
            .with_label_values(&[outcome, account_assignment.unwrap_or("none")])
            .inc();
        if let Some(reason) = denial {
            self.sign_in_denials.with_label_values(&[reason]).inc();
        }
    }

    pub fn jwks_fetch(&self, ok: bool) {
        let result = if ok { "ok" } else { "failed" };
        self.jwks_fetches.with_label_values(&[result]).inc();
    }

    pub fn employee_sync(&self, sync: SyncResult<'_>) {
        self.employee_syncs
            .with_label_values(&[sync.source, sync.status])
            .inc();
        if sync.status == "applied" {
            for (change, n) in sync.changes {
                if let Ok(n) = u64::try_from(n) {
                    self.administrator_changes
                        .with_label_values(&[change])
                        .inc_by(n);
                }
            }
        }
    }

    /// The text exposition of every metric, with the pool gauges and the statement count
    /// read now.
    pub fn render(&self, pool: (u32, u32), statements_run: u64) -> String {
        let (in_use, idle) = pool;
        for (state, connections) in [("in_use", in_use), ("idle", idle)] {
            let gauge = self.db_connections.with_label_values(&[state]);
            gauge.set(i64::from(connections));
        }
        // The log counts every statement as it ends; the counter catches up at each scrape.
        let counted = self.db_statements.get();
        self.db_statements
            .inc_by(statements_run.saturating_sub(counted));
        let mut buffer = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut buffer) {
            tracing::error!(error = %e, "metrics could not be encoded");
        }
        String::from_utf8_lossy(&buffer).into_owned()
    }
}
