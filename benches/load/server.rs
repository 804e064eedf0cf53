//! The server under test: the real `autoprov` binary in a child process, as deployed.
//! `Server` kills it when dropped, so a panicking bench does not leave it running.
use std::{
    collections::{BTreeMap, VecDeque},
    io::{BufRead, BufReader},
    net::SocketAddr,
    process::{Child, Command, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
        mpsc,
    },
    time::Duration,
};

const BIN: &str = env!("CARGO_BIN_EXE_autoprov");

/// How many log lines of one kind, and the largest `elapsed_ms` among them.
type LogGroup = (u64, Option<u64>);

/// Runs a one-shot `autoprov` command and returns its stdout; panics with its stderr on failure.
pub fn cli(database_url: &str, args: &[&str]) -> String {
    let output = Command::new(BIN)
        .args(args)
        .args(["--database-url", database_url])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"));
    assert!(
        output.status.success(),
        "`autoprov {}` failed ({}):\n{}",
        args.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The largest employee file the server takes (`--max-employee-file-bytes`): room for the
/// files of a million employees (about 105 MB each) on every door.
pub const MAX_EMPLOYEE_FILE_BYTES: u64 = 1 << 30;

pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    pub pid: u32,
    /// The server's employee inbox (`--employee-inbox`), polled every second; removed with
    /// the server.
    pub inbox: tempfile::TempDir,
    /// Lines the server wrote to stderr (warnings and errors, as RUST_LOG=warn).
    log_lines: Arc<AtomicU64>,
    /// The first few of them, shown if the server dies.
    log_head: Arc<Mutex<VecDeque<String>>>,
    /// All of them, grouped by kind.
    log_groups: Arc<Mutex<BTreeMap<String, LogGroup>>>,
}

impl Server {
    /// Starts `autoprov serve` on a free port and waits for the line that gives the address.
    pub fn start(database_url: &str) -> Self {
        let inbox = tempfile::Builder::new()
            .prefix("autoprov-bench-inbox-")
            .tempdir()
            .expect("cannot create the employee inbox");
        let mut child = Command::new(BIN)
            .args([
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--database-url",
                database_url,
                // JSON lines, so that the warnings can be grouped for the report.
                "--log-format",
                "json",
                // The benchmark measures the hook, not its pacing of one busy token.
                "--sign-in-rate",
                "0",
                "--employee-inbox-poll-seconds",
                "1",
                "--max-employee-file-bytes",
                &MAX_EMPLOYEE_FILE_BYTES.to_string(),
            ])
            .arg("--employee-inbox")
            .arg(inbox.path())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {BIN}: {e}"));
        let pid = child.id();
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");

        // Keep reading both pipes for the server's whole life, or it would block on a full pipe.
        let (address_tx, address_rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.trim().strip_prefix("GraphiQL: http://") {
                    let addr = rest.trim_end_matches("/graphql").to_owned();
                    address_tx.send(addr).ok();
                }
            }
        });
        let log_lines = Arc::new(AtomicU64::new(0));
        let log_head = Arc::new(Mutex::new(VecDeque::new()));
        let log_groups = Arc::new(Mutex::new(BTreeMap::new()));
        {
            let (lines, head, groups) = (log_lines.clone(), log_head.clone(), log_groups.clone());
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    lines.fetch_add(1, Ordering::Relaxed);
                    let (kind, elapsed_ms) = log_kind(&line);
                    if let Ok(mut groups) = groups.lock() {
                        let group = groups.entry(kind).or_insert((0, None));
                        group.0 += 1;
                        group.1 = group.1.max(elapsed_ms);
                    }
                    if let Ok(mut head) = head.lock()
                        && head.len() < 20
                    {
                        head.push_back(line);
                    }
                }
            });
        }
        let mut server = Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            pid,
            inbox,
            log_lines,
            log_head,
            log_groups,
        };
        match address_rx.recv_timeout(Duration::from_secs(120)) {
            Ok(addr) => {
                server.addr = addr
                    .parse()
                    .unwrap_or_else(|_| panic!("the server printed an odd address: {addr}"));
            }
            Err(_) => {
                std::thread::sleep(Duration::from_millis(200));
                panic!(
                    "the server did not print its address (exit status: {:?}); its stderr:\n{}",
                    server.child.try_wait().ok().flatten(),
                    server.log_head().join("\n")
                );
            }
        }
        server
    }

    pub fn url(&self) -> String {
        format!("http://{}/graphql", self.addr)
    }

    /// (peak RSS, current RSS) in MiB, from /proc/<pid>/status.
    pub fn memory_mib(&self) -> (f64, f64) {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
                .map_or(f64::NAN, |kb| kb / 1024.0)
        };
        (field("VmHWM:"), field("VmRSS:"))
    }

    /// Resets the peak RSS (VmHWM) to the current RSS, so that the next [`Self::memory_mib`]
    /// gives the peak since now; `false` if the kernel refused (then VmHWM stays the peak since
    /// the server started).
    pub fn reset_peak_rss(&self) -> bool {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid), "5").is_ok()
    }

    /// Whether the process is still running (a crash under load would explain errors).
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn log_line_count(&self) -> u64 {
        self.log_lines.load(Ordering::Relaxed)
    }

    /// The log grouped by kind, most frequent first: "N × kind (max M ms)".
    pub fn log_summary(&self) -> Vec<String> {
        let groups = self
            .log_groups
            .lock()
            .map(|g| g.clone())
            .unwrap_or_default();
        let mut groups: Vec<_> = groups.into_iter().collect();
        groups.sort_by_key(|(_, (count, _))| std::cmp::Reverse(*count));
        groups
            .into_iter()
            .map(|(kind, (count, max_ms))| match max_ms {
                Some(ms) => format!("{count} × {kind} (max {ms} ms)"),
                None => format!("{count} × {kind}"),
            })
            .collect()
    }

    pub fn log_head(&self) -> Vec<String> {
        self.log_head
            .lock()
            .map(|h| h.iter().cloned().collect())
            .unwrap_or_default()
    }
}

/// What a log line says, without its particulars: level, message, (for slow statements) the
/// SQL and (for errors) the error, shortened; plus its `elapsed_ms` if it has one. Non-JSON
/// lines (a panic) are kept as they are.
fn log_kind(line: &str) -> (String, Option<u64>) {
    let Ok(event) = serde_json::from_str::<serde_json::Value>(line) else {
        return (line.chars().take(200).collect(), None);
    };
    let fields = &event["fields"];
    let mut kind = format!(
        "{} {}",
        event["level"].as_str().unwrap_or("?"),
        fields["message"].as_str().unwrap_or("")
    );
    if let Some(sql) = fields["sql"].as_str() {
        // The column list says nothing; what follows FROM does.
        let sql = match (sql.strip_prefix("SELECT "), sql.find(" FROM ")) {
            (Some(_), Some(from)) => format!("SELECT … {}", &sql[from + 1..]),
            _ => sql.to_owned(),
        };
        kind.push_str(&format!(
            ": `{}`",
            sql.chars().take(160).collect::<String>()
        ));
    }
    // An error says what failed in its `error` field (a pool timeout, a lock, ...).
    if let Some(error) = fields["error"].as_str() {
        kind.push_str(&format!(
            ": {}",
            error.chars().take(160).collect::<String>()
        ));
    }
    (kind, fields["elapsed_ms"].as_u64())
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}
