//! Issue 23, item 7: 1, 2 and 4 instances of the server on one PostgreSQL database, in one
//! run. Each cell spreads its calls round-robin over the instances, as a load balancer would,
//! and measures first sign-ins (a new individual account each) and SCIM creates per second.
//! The instances run on the same cores as the database and the bench, so the figure shows what
//! more instances buy on one machine, not on several.
use std::{fmt::Write as _, sync::Arc};

use crate::{
    api::{Api, ScimSetup, Setup},
    cpu,
    db::{self, Pool},
    driver::{self, Op, Stats, op},
    scenarios::{self, Client},
    scim::{self, Scim},
    server::Server,
};

/// Rows of each operation made before the cells (through the first instance, unmeasured).
const PREPARED: u64 = 10_000;

/// Instance counts, in the order they are measured.
pub const INSTANCES: [usize; 3] = [1, 2, 4];

pub struct Cell {
    pub instances: usize,
    pub operation: &'static str,
    pub concurrency: usize,
    pub stats: Stats,
}

/// What every instance's clients are made from.
pub struct Shared<'a> {
    pub database_url: &'a str,
    pub setup: &'a Setup,
    pub scim: &'a ScimSetup,
    pub prefix: &'a str,
}

/// Measures each operation at each concurrency level with 1, 2 and 4 instances; `first` is the
/// instance already serving (the one setup went through), the others are started here.
///
/// The tables first get [`PREPARED`] rows of each operation, and each cell starts from fresh
/// statistics (`db::analyze`, as every other cell does). With tables growing from empty during
/// the cells, one cell or another cost PostgreSQL far more CPU per call than its neighbours:
/// without `ANALYZE` the 2-instance SCIM cell (two thirds more per create, in two runs); with
/// it alone, the 1-instance cells (analyzed nearly empty).
pub async fn cells(
    pool: &Pool,
    first: &Server,
    shared: &Shared<'_>,
    concurrency: &[usize],
    seconds: f64,
) -> Vec<Cell> {
    let servers = [first];
    driver::prepare(SIGN_IN, &sign_in(&servers, shared, 0), 16, PREPARED).await;
    driver::prepare(SCIM_CREATE, &scim_create(&servers, shared, 0), 16, PREPARED).await;
    let mut others: Vec<Server> = Vec::new();
    let mut cells = Vec::new();
    for instances in INSTANCES {
        while others.len() + 1 < instances {
            let server = Server::start(shared.database_url);
            eprintln!("  another instance: pid {} on {}", server.pid, server.addr);
            others.push(server);
        }
        let servers: Vec<&Server> = std::iter::once(first).chain(&others).collect();
        let watch = cpu::Watch {
            servers: servers.iter().map(|s| s.pid).collect(),
            postgres: true,
        };
        let operations = [
            (SIGN_IN, sign_in(&servers, shared, instances)),
            (SCIM_CREATE, scim_create(&servers, shared, instances)),
        ];
        for (operation, spread) in &operations {
            for &c in concurrency {
                db::analyze(pool).await;
                let stats = driver::measure(spread, c, seconds, &watch).await;
                eprintln!(
                    "  [scale-out] {instances} instance(s), {operation} c={c}: {:.0} req/s, p50 \
                     {:.2} ms, p99 {:.2} ms, {} errors",
                    stats.throughput(),
                    stats.p50_ms(),
                    stats.p99_ms(),
                    stats.errors + stats.warmup_errors
                );
                for e in &stats.sample_errors {
                    eprintln!("    error: {e}");
                }
                cells.push(Cell {
                    instances,
                    operation,
                    concurrency: c,
                    stats,
                });
            }
        }
    }
    cells
}

const SIGN_IN: &str = "first sign-in, individual account";
const SCIM_CREATE: &str = "SCIM create user";

/// One operation per instance, called in turn by call number.
fn round_robin(per_instance: Vec<Op>) -> Op {
    let per_instance = Arc::new(per_instance);
    op(move |n| {
        let instance = &per_instance[n as usize % per_instance.len()];
        instance(n)
    })
}

/// A prefix no other cell's names share: the run's, the instance count (0 for the prepared
/// rows) and the instance.
fn prefix_of(shared: &Shared<'_>, instances: usize, instance: usize) -> String {
    format!("{}-x{instances}i{instance}", shared.prefix)
}

fn sign_in(servers: &[&Server], shared: &Shared<'_>, instances: usize) -> Op {
    let learners = Arc::new(std::sync::Mutex::new(Vec::new()));
    round_robin(
        servers
            .iter()
            .enumerate()
            .map(|(i, server)| {
                let client = Arc::new(Client::new(
                    Api::new(server.url()),
                    shared.setup.clone(),
                    prefix_of(shared, instances, i),
                ));
                scenarios::first_individual(
                    &client,
                    &shared.setup.idp_individual,
                    "scale",
                    &learners,
                )
            })
            .collect(),
    )
}

fn scim_create(servers: &[&Server], shared: &Shared<'_>, instances: usize) -> Op {
    round_robin(
        servers
            .iter()
            .enumerate()
            .map(|(i, server)| {
                let scim = Scim::new(
                    &server.addr.to_string(),
                    "scale",
                    &prefix_of(shared, instances, i),
                    shared.scim.clone(),
                );
                scim::create(&Arc::new(scim))
            })
            .collect(),
    )
}

/// The table: req/s per instance count side by side, for each operation and concurrency.
pub fn markdown(cells: &[Cell]) -> String {
    let mut w = String::new();
    writeln!(
        w,
        "Scale-out: calls spread round-robin over 1, 2 and 4 instances on one database \
         (req/s, p99 ms in parentheses; CPU ms per call: all instances / PostgreSQL / bench).\n"
    )
    .ok();
    write!(w, "| operation | c |").ok();
    for instances in INSTANCES {
        write!(w, " {instances} instance(s) |").ok();
    }
    writeln!(w, " errors |").ok();
    writeln!(w, "|---|---:|{}---:|", "---|".repeat(INSTANCES.len())).ok();
    let mut rows: Vec<(&str, usize)> = cells.iter().map(|c| (c.operation, c.concurrency)).collect();
    rows.dedup();
    rows.sort_by_key(|(operation, c)| (*operation, *c));
    rows.dedup();
    for (operation, c) in rows {
        write!(w, "| {operation} | {c} |").ok();
        let mut errors = 0;
        for instances in INSTANCES {
            match cells.iter().find(|x| {
                x.operation == operation && x.concurrency == c && x.instances == instances
            }) {
                Some(cell) => {
                    let s = &cell.stats;
                    let (server, database, bench) = s.cpu.per_call_ms(s.ok);
                    errors += s.errors + s.warmup_errors;
                    write!(
                        w,
                        " {:.0} ({:.1}; {:.2} / {:.2} / {:.2}) |",
                        s.throughput(),
                        s.p99_ms(),
                        server,
                        database.unwrap_or(f64::NAN),
                        bench
                    )
                    .ok();
                }
                None => {
                    write!(w, " – |").ok();
                }
            }
        }
        writeln!(w, " {errors} |").ok();
    }
    w
}

/// Calls that failed in any cell (a failure of the run, as in the other cells).
pub fn failed(cells: &[Cell]) -> u64 {
    cells
        .iter()
        .map(|c| c.stats.errors + c.stats.warmup_errors)
        .sum()
}
