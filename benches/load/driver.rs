//! The load driver: `concurrency` tokio tasks call one operation in a loop until the time is
//! up, timing every call. Server cells and baseline cells go through the same code, so their
//! figures are comparable. [`Runner`] runs both for one operation at each concurrency level.
use std::{
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use futures::future::BoxFuture;

use crate::{
    cpu,
    db::{self, Kind},
    options::Options,
    report::Row,
    server,
};

/// One call of an operation; `Err` says what was wrong (transport, status, GraphQL errors,
/// unexpected outcome). The argument is the call's sequence number within its run.
pub type Op = Arc<dyn Fn(u64) -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

pub fn op<F, Fut>(f: F) -> Op
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    Arc::new(move |n| Box::pin(f(n)))
}

/// What one cell measured.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub ok: u64,
    pub errors: u64,
    pub warmup_errors: u64,
    pub elapsed: Duration,
    /// Every call's latency in microseconds, sorted.
    pub latencies_us: Vec<u64>,
    /// A few distinct error messages.
    pub sample_errors: Vec<String>,
    /// The CPU time the watched processes used during the measured run.
    pub cpu: crate::cpu::Used,
}

impl Stats {
    pub fn throughput(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile_ms(&self, p: usize) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let i = (self.latencies_us.len() * p / 100).min(self.latencies_us.len() - 1);
        self.latencies_us[i] as f64 / 1000.0
    }

    pub fn p50_ms(&self) -> f64 {
        self.percentile_ms(50)
    }

    pub fn p99_ms(&self) -> f64 {
        self.percentile_ms(99)
    }

    /// The mean latency of a call, in ms.
    pub fn mean_ms(&self) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        self.latencies_us.iter().sum::<u64>() as f64 / self.latencies_us.len() as f64 / 1000.0
    }

    /// The mean wall-clock cost of one successful call (1 / throughput), in ms.
    pub fn mean_cost_ms(&self) -> f64 {
        1000.0 / self.throughput()
    }
}

/// A warm-up of a tenth of the time (its results are dropped, its errors counted apart), then
/// the measured run, during which `watch`'s processes' CPU time is read.
pub async fn measure(op: &Op, concurrency: usize, seconds: f64, watch: &cpu::Watch) -> Stats {
    let warmup = run(op, concurrency, Duration::from_secs_f64(seconds / 10.0)).await;
    let before = watch.read();
    let mut stats = run(op, concurrency, Duration::from_secs_f64(seconds)).await;
    stats.cpu = watch.read().since(&before);
    stats.warmup_errors = warmup.errors;
    if stats.sample_errors.is_empty() {
        stats.sample_errors = warmup.sample_errors;
    }
    stats
}

/// Runs `op` from `concurrency` tasks until `duration` has passed; calls in flight at the
/// deadline finish and count.
pub async fn run(op: &Op, concurrency: usize, duration: Duration) -> Stats {
    let sequence = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + duration;
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (op, sequence) = (op.clone(), sequence.clone());
            tokio::spawn(async move {
                let mut stats = Stats::default();
                while Instant::now() < deadline {
                    let n = sequence.fetch_add(1, Ordering::Relaxed);
                    let t0 = Instant::now();
                    let result = op(n).await;
                    stats.latencies_us.push(t0.elapsed().as_micros() as u64);
                    match result {
                        Ok(()) => stats.ok += 1,
                        Err(e) => {
                            stats.errors += 1;
                            remember(&mut stats.sample_errors, e);
                        }
                    }
                }
                stats
            })
        })
        .collect();
    let mut total = Stats::default();
    for task in tasks {
        match task.await {
            Ok(stats) => {
                total.ok += stats.ok;
                total.errors += stats.errors;
                total.latencies_us.extend(stats.latencies_us);
                for e in stats.sample_errors {
                    remember(&mut total.sample_errors, e);
                }
            }
            Err(e) => {
                total.errors += 1;
                remember(&mut total.sample_errors, format!("worker task failed: {e}"));
            }
        }
    }
    total.elapsed = start.elapsed();
    total.latencies_us.sort_unstable();
    total
}

/// Runs exactly `count` calls from `concurrency` tasks (unmeasured preparation); panics if any
/// fails, since what follows depends on them.
pub async fn prepare(what: &str, op: &Op, concurrency: usize, count: u64) {
    let sequence = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (op, sequence) = (op.clone(), sequence.clone());
            tokio::spawn(async move {
                let mut first_error = None;
                loop {
                    let n = sequence.fetch_add(1, Ordering::Relaxed);
                    if n >= count {
                        break first_error;
                    }
                    if let Err(e) = op(n).await {
                        first_error.get_or_insert(e);
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        if let Some(e) = task.await.expect("preparation task panicked") {
            panic!("preparing {what} failed: {e}");
        }
    }
}

fn remember(samples: &mut Vec<String>, error: String) {
    if samples.len() < 3 && !samples.contains(&error) {
        samples.push(error);
    }
}

/// Measures each operation at each concurrency level, server then baseline, and keeps rows.
pub struct Runner<'a> {
    pub kind: Kind,
    pub options: &'a Options,
    pub pool: &'a db::Pool,
    pub server: &'a mut server::Server,
    pub rows: Vec<Row>,
}

impl Runner<'_> {
    pub async fn cells(&mut self, operation: &str, server_op: &Op, baseline_op: &Op) {
        db::analyze(self.pool).await;
        let watch = cpu::Watch {
            servers: vec![self.server.pid],
            postgres: self.kind == Kind::Postgres,
        };
        for &c in &self.options.concurrency {
            let logged_before = self.server.log_line_count();
            let server = measure(server_op, c, self.options.seconds, &watch).await;
            let server_log_lines = self.server.log_line_count() - logged_before;
            if !self.server.is_running() {
                panic!(
                    "the server died during {operation:?} at c={c}; its stderr:\n{}",
                    self.server.log_head().join("\n")
                );
            }
            let baseline = measure(baseline_op, c, self.options.seconds, &watch).await;
            eprintln!(
                "  [{}] {operation} c={c}: server {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} errors \
                 | baseline {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} errors",
                self.kind.name(),
                server.throughput(),
                server.p50_ms(),
                server.p99_ms(),
                server.errors + server.warmup_errors,
                baseline.throughput(),
                baseline.p50_ms(),
                baseline.p99_ms(),
                baseline.errors + baseline.warmup_errors,
            );
            if server_log_lines > 0 {
                eprintln!("    the server logged {server_log_lines} warning/error lines");
            }
            for (side, stats) in [("server", &server), ("baseline", &baseline)] {
                for e in &stats.sample_errors {
                    eprintln!("    {side} error: {e}");
                }
            }
            self.rows.push(Row {
                operation: operation.to_owned(),
                concurrency: c,
                server,
                baseline,
                server_log_lines,
            });
        }
    }
}
