//! HTTPS (`--tls-cert`, `--tls-key`): HTTP/1.1 and HTTP/2 by ALPN, bad pairs refused at start
//! by name, and SIGHUP swapping the certificate for new connections while old ones go on.
use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use serde_json::json;

use crate::helpers::{TestDatabase, autoprov, spawn_app_with};

/// A certificate authority, and a server certificate for `localhost` and 127.0.0.1 that it
/// signed, in PEM.
struct Pair {
    /// The authority's certificate: what clients trust.
    ca: String,
    /// The server's certificate, then the authority's: a chain as `--tls-cert` takes it.
    chain: String,
    key: String,
    /// The server's certificate (DER), to tell which one a connection was given.
    leaf: Vec<u8>,
}

impl Pair {
    fn new(name: &str) -> Self {
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.distinguished_name.push(
            rcgen::DnType::CommonName,
            format!("autoprov test CA {name}"),
        );
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca =
            rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap())
                .unwrap();
        let params =
            rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let leaf = params.signed_by(&key, &ca).unwrap();
        Self {
            ca: ca.pem(),
            chain: format!("{}{}", leaf.pem(), ca.pem()),
            key: key.serialize_pem(),
            leaf: leaf.der().to_vec(),
        }
    }

    /// Writes the chain and the key into `dir` (replacing them by rename, as a renewal tool
    /// would) and returns their paths.
    fn write(&self, dir: &Path) -> (PathBuf, PathBuf) {
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        write_by_rename(&cert, &self.chain);
        write_by_rename(&key, &self.key);
        (cert, key)
    }
}

fn write_by_rename(path: &Path, contents: &str) {
    let part = path.with_extension("part");
    std::fs::write(&part, contents).unwrap();
    std::fs::rename(&part, path).unwrap();
}

/// A client that trusts the authorities of `pairs` and reports the certificate it was given.
fn client(pairs: &[&Pair], http1_only: bool) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .tls_info(true);
    for pair in pairs {
        builder = builder
            .add_root_certificate(reqwest::Certificate::from_pem(pair.ca.as_bytes()).unwrap());
    }
    if http1_only {
        builder = builder.http1_only();
    }
    builder.build().unwrap()
}

/// `GET /healthz`: the protocol version and the server's certificate.
async fn healthz(client: &reqwest::Client, base: &str) -> (reqwest::Version, Vec<u8>) {
    let response = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let version = response.version();
    let peer = response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|info| info.peer_certificate())
        .expect("the server's certificate")
        .to_vec();
    assert_eq!(response.text().await.unwrap(), "ok");
    (version, peer)
}

#[tokio::test]
async fn https_speaks_http1_and_http2_by_alpn_and_serves_graphql() {
    let pair = Pair::new("a");
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = pair.write(dir.path());
    let mut app = spawn_app_with(|s| {
        s.tls_cert = Some(cert);
        s.tls_key = Some(key);
    })
    .await;
    assert!(app.address.starts_with("https://"), "{}", app.address);

    for (http1_only, version) in [
        (true, reqwest::Version::HTTP_11),
        (false, reqwest::Version::HTTP_2),
    ] {
        let client = client(&[&pair], http1_only);
        let (got, peer) = healthz(&client, &app.address).await;
        assert_eq!(got, version);
        assert_eq!(peer, pair.leaf);

        // The admin API on the test database, through the same connection.
        app.client = client.clone();
        let brand = app
            .data(
                "mutation($name: String!) { brands { create(input: {name: $name}) { brand { name } } } }",
                json!({"name": format!("over {version:?}")}),
            )
            .await;
        assert_eq!(
            brand["brands"]["create"]["brand"]["name"],
            format!("over {version:?}")
        );
        let response = app
            .request(Some(&app.owner_token))
            .json(&json!({"query": "{ brands { pageInfo { totalRecords } } }"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.version(), version);
        assert_eq!(response.status(), 200);
    }

    // A client that does not trust the authority is refused in the handshake.
    let stranger = client(&[&Pair::new("stranger")], false);
    let refused = stranger
        .get(format!("{}/healthz", app.address))
        .send()
        .await;
    assert!(refused.is_err(), "{refused:?}");
}

/// Runs `autoprov serve` with `args` (and `env`) on a database it never reaches, expecting it
/// to stop at once; returns its stderr.
fn refused_start(args: &[&str], env: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let output = autoprov()
        .args(["serve", "--bind", "127.0.0.1:0"])
        .arg("--database-url")
        .arg(format!(
            "sqlite://{}/never.db?mode=rwc",
            dir.path().display()
        ))
        .args(args)
        .envs(env.iter().copied())
        .env("RUST_LOG", "off")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
    assert!(output.stdout.is_empty(), "{args:?}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[tokio::test]
async fn a_bad_pair_is_refused_at_start_with_the_file_at_fault() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (Pair::new("a"), Pair::new("b"));
    let path = |name: &str| dir.path().join(name).display().to_string();
    std::fs::write(path("a.pem"), &a.chain).unwrap();
    std::fs::write(path("a.key"), &a.key).unwrap();
    std::fs::write(path("b.key"), &b.key).unwrap();
    std::fs::write(
        path("garbage.pem"),
        "-----BEGIN CERTIFICATE-----\nnot base64!\n",
    )
    .unwrap();
    std::fs::write(path("empty.pem"), "").unwrap();

    let mismatch = refused_start(
        &["--tls-cert", &path("a.pem"), "--tls-key", &path("b.key")],
        &[],
    );
    assert!(
        mismatch.contains("does not match")
            && mismatch.contains(&path("a.pem"))
            && mismatch.contains(&path("b.key")),
        "{mismatch}"
    );

    // The chain given as the key: a file without a key.
    let no_key = refused_start(
        &["--tls-cert", &path("a.pem"), "--tls-key", &path("a.pem")],
        &[],
    );
    assert!(
        no_key.contains(&format!("{} holds no private key", path("a.pem"))),
        "{no_key}"
    );

    let no_certificate = refused_start(
        &["--tls-cert", &path("a.key"), "--tls-key", &path("a.key")],
        &[],
    );
    assert!(
        no_certificate.contains(&format!("{} holds no certificate", path("a.key"))),
        "{no_certificate}"
    );
    let empty = refused_start(
        &[
            "--tls-cert",
            &path("empty.pem"),
            "--tls-key",
            &path("a.key"),
        ],
        &[],
    );
    assert!(empty.contains("holds no certificate"), "{empty}");

    let garbage = refused_start(
        &[
            "--tls-cert",
            &path("garbage.pem"),
            "--tls-key",
            &path("a.key"),
        ],
        &[],
    );
    assert!(
        garbage.contains(&format!("{} is not valid PEM", path("garbage.pem"))),
        "{garbage}"
    );

    let missing = refused_start(
        &[
            "--tls-cert",
            &path("nowhere.pem"),
            "--tls-key",
            &path("a.key"),
        ],
        &[],
    );
    assert!(
        missing.contains(&format!("cannot read {}", path("nowhere.pem"))),
        "{missing}"
    );

    // One of the two, by flag or by environment: the message names the one missing.
    let alone = refused_start(&["--tls-cert", &path("a.pem")], &[]);
    assert!(alone.contains("without --tls-key"), "{alone}");
    let alone = refused_start(&[], &[("AUTOPROV_TLS_KEY", &path("a.key"))]);
    assert!(alone.contains("without --tls-cert"), "{alone}");
    // The flag wins over the environment: a good pair by environment, a bad key by flag.
    let flag_wins = refused_start(
        &["--tls-key", &path("b.key")],
        &[
            ("AUTOPROV_TLS_CERT", &path("a.pem")),
            ("AUTOPROV_TLS_KEY", &path("a.key")),
        ],
    );
    assert!(flag_wins.contains("does not match"), "{flag_wins}");
}

/// The real binary, serving HTTPS; its stderr lines arrive on the channel.
struct Server {
    child: Child,
    base: String,
    log: mpsc::Receiver<String>,
}

impl Server {
    fn start(database_url: &str, cert: &Path, key: &Path) -> Self {
        let mut child = autoprov()
            .args([
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--database-url",
                database_url,
            ])
            .arg("--tls-cert")
            .arg(cert)
            .arg("--tls-key")
            .arg(key)
            .env("RUST_LOG", "info")
            .env("AUTOPROV_LOG_FORMAT", "json")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.trim().strip_prefix("GraphiQL: ") {
                    tx.send(url.trim_end_matches("/graphql").to_owned()).ok();
                }
            }
        });
        let stderr = child.stderr.take().unwrap();
        let (log_tx, log) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                log_tx.send(line).ok();
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server announces its address");
        Self { child, base, log }
    }

    fn hangup(&self) {
        let status = Command::new("kill")
            .args(["-HUP", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits (at most 20 s) for a log line containing `needle`, and returns it.
    fn logged(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.log.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(e) => panic!("no log line with {needle:?}: {e}"),
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

#[tokio::test]
async fn sighup_gives_new_connections_the_new_certificate_and_keeps_old_ones() {
    let database = TestDatabase::new().await;
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (Pair::new("a"), Pair::new("b"));
    let (cert, key) = a.write(dir.path());
    let server = Server::start(&database.url, &cert, &key);
    assert!(
        server.base.starts_with("https://127.0.0.1:"),
        "{}",
        server.base
    );
    let loaded = server.logged("loaded the TLS certificate");
    assert!(loaded.contains(&cert.display().to_string()), "{loaded}");

    // A keep-alive connection made with A.
    let old = client(&[&a, &b], true);
    assert_eq!(healthz(&old, &server.base).await.1, a.leaf);

    b.write(dir.path());
    server.hangup();
    server.logged("reloaded the TLS certificate");
    let fresh = client(&[&a, &b], false);
    assert_eq!(healthz(&fresh, &server.base).await.1, b.leaf);
    // The old connection still answers, and is still the one made with A.
    let (version, peer) = healthz(&old, &server.base).await;
    assert_eq!((version, peer), (reqwest::Version::HTTP_11, a.leaf.clone()));

    // A broken key: the reload fails by name and B goes on serving.
    write_by_rename(
        &key,
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    );
    server.hangup();
    let failed = server.logged("cannot reload the TLS certificate");
    assert!(failed.contains(&key.display().to_string()), "{failed}");
    assert_eq!(
        healthz(&client(&[&a, &b], false), &server.base).await.1,
        b.leaf
    );
    // A mismatched pair neither.
    write_by_rename(&key, &a.key);
    server.hangup();
    let failed = server.logged("cannot reload the TLS certificate");
    assert!(failed.contains("does not match"), "{failed}");
    assert_eq!(
        healthz(&client(&[&a, &b], false), &server.base).await.1,
        b.leaf
    );
}

#[tokio::test]
async fn a_tls_handshake_that_never_finishes_is_closed_after_the_header_read_timeout() {
    use tokio::io::AsyncReadExt;
    let pair = Pair::new("a");
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = pair.write(dir.path());
    let app = spawn_app_with(|s| {
        s.tls_cert = Some(cert);
        s.tls_key = Some(key);
        s.header_read_timeout_seconds = 1;
        // One slot: a stuck handshake that kept it would starve the request below.
        s.max_connections = 1;
    })
    .await;
    let addr = app.address.trim_start_matches("https://");
    let started = Instant::now();
    let mut silent = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(10), silent.read(&mut buf))
        .await
        .expect("the server closes the silent connection");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    // The slot is free again.
    let first = client(&[&pair], false);
    assert_eq!(
        healthz(&first, &app.address).await.0,
        reqwest::Version::HTTP_2
    );

    // `first` keeps its HTTP/2 connection open, idle, in its pool: it holds the one slot
    // until the server closes it for having no request in flight for the same second.
    let started = Instant::now();
    let second = client(&[&pair], false);
    assert_eq!(
        healthz(&second, &app.address).await.0,
        reqwest::Version::HTTP_2
    );
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    drop(first);
}

#[tokio::test]
async fn shutdown_lets_a_tls_request_in_flight_finish() {
    use autoprov::{config::Settings, startup::Application};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let pair = Pair::new("a");
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = pair.write(dir.path());
    let database = TestDatabase::new().await;
    let mut settings = Settings::for_database(database.url.clone());
    settings.tls_cert = Some(cert);
    settings.tls_key = Some(key);
    let app = Application::build(&settings).await.unwrap();
    let addr = app.local_addr();
    let token = app.bootstrap_secret().unwrap().to_owned();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        stopped.await.ok();
    }));

    // A request whose body is half sent when the shutdown starts.
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(<rustls::pki_types::CertificateDer as rustls::pki_types::pem::PemObject>::from_pem_slice(pair.ca.as_bytes()).unwrap())
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut tls = connector
        .connect("localhost".try_into().unwrap(), tcp)
        .await
        .unwrap();
    let body = json!({"query": "{ brands { pageInfo { totalRecords } } }"}).to_string();
    let (head, tail) = body.split_at(body.len() / 2);
    let request = format!(
        "POST /graphql HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{head}",
        body.len()
    );
    tls.write_all(request.as_bytes()).await.unwrap();
    tls.flush().await.unwrap();
    // Let the server read the headers before it is told to stop.
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.send(()).unwrap();
    // New connections are refused once the listener is closed.
    let deadline = Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(addr).await.is_ok() {
        assert!(Instant::now() < deadline, "the listener stays open");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        !server.is_finished(),
        "the server waits for the request in flight"
    );

    tls.write_all(tail.as_bytes()).await.unwrap();
    tls.flush().await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut response))
        .await
        .expect("the response, then the close")
        .ok();
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("totalRecords"), "{response}");
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server stops once the request is answered")
        .unwrap()
        .unwrap();
}
