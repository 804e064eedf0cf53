//! Where a cell's time went: the CPU time the server processes, the database's processes
//! (PostgreSQL's backends; SQLite runs inside the server) and the bench itself used during the
//! measured run, read from `/proc`. Divided by the calls made, it splits the cost of one call
//! between them; what no process used is the cores' idle time (waiting on round trips, locks
//! or fsync).
use std::{sync::OnceLock, time::Instant};

/// Which processes a cell's CPU time is read from.
#[derive(Clone, Debug, Default)]
pub struct Watch {
    /// The server processes (several in the scale-out cells).
    pub servers: Vec<u32>,
    /// Whether to add up PostgreSQL's processes (none for SQLite, which runs in the server).
    pub postgres: bool,
}

/// CPU seconds used by each side between two readings, and the wall time between them.
#[derive(Clone, Copy, Debug, Default)]
pub struct Used {
    pub server: f64,
    /// `None` when the database runs inside the server (SQLite).
    pub database: Option<f64>,
    pub client: f64,
    pub wall: f64,
}

impl Used {
    /// Milliseconds of each side per call: (server, database, client).
    pub fn per_call_ms(&self, calls: u64) -> (f64, Option<f64>, f64) {
        let per = |s: f64| s * 1000.0 / calls.max(1) as f64;
        (per(self.server), self.database.map(per), per(self.client))
    }

    /// The share of the machine's cores no watched process used.
    pub fn idle_share(&self) -> f64 {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let busy = self.server + self.database.unwrap_or(0.0) + self.client;
        (1.0 - busy / (self.wall * cores)).max(0.0)
    }
}

/// A reading of the watched processes' CPU time.
pub struct Reading {
    server: f64,
    database: Option<f64>,
    client: f64,
    at: Instant,
}

impl Watch {
    pub fn read(&self) -> Reading {
        Reading {
            server: self.servers.iter().map(|pid| cpu_seconds(*pid)).sum(),
            database: self.postgres.then(postgres_seconds),
            client: cpu_seconds(std::process::id()),
            at: Instant::now(),
        }
    }
}

impl Reading {
    pub fn since(&self, earlier: &Reading) -> Used {
        Used {
            server: self.server - earlier.server,
            database: self.database.zip(earlier.database).map(|(a, b)| a - b),
            client: self.client - earlier.client,
            wall: self.at.duration_since(earlier.at).as_secs_f64(),
        }
    }
}

/// Clock ticks per second, as `/proc/<pid>/stat` counts CPU time.
fn ticks_per_second() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// The command name and the user + system CPU seconds of one process (all its threads), or
/// `None` if it is gone.
fn stat(pid: &str) -> Option<(String, f64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The name is in parentheses and may hold spaces; the fields after it are space-separated,
    // utime and stime being the 14th and 15th of the line (the 12th and 13th after the name).
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let name = stat[open + 1..close].to_owned();
    let mut fields = stat[close + 1..].split_whitespace().skip(11);
    let user: f64 = fields.next()?.parse().ok()?;
    let system: f64 = fields.next()?.parse().ok()?;
    Some((name, (user + system) / ticks_per_second()))
}

fn cpu_seconds(pid: u32) -> f64 {
    stat(&pid.to_string()).map_or(0.0, |(_, seconds)| seconds)
}

/// Every `postgres` process on the machine: the backends serving the cell, and the server's
/// own (WAL writer, checkpointer), which the cell's writes keep busy too. Backends that end
/// during the cell take their time with them; the bench's pools keep theirs open.
fn postgres_seconds() -> f64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| name.bytes().all(|b| b.is_ascii_digit()))
        .filter_map(|pid| stat(&pid))
        .filter(|(name, _)| name == "postgres")
        .map(|(_, seconds)| seconds)
        .sum()
}
