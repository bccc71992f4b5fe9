//! `tally` with no DATABASE_URL runs its own PostgreSQL: it must create the
//! cluster in an empty data directory, become ready, stop the cluster on
//! shutdown, and reuse the same cluster (and data) on the next start.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};

struct RunningTally {
    child: Child,
    url: String,
    log: mpsc::Receiver<String>,
}

/// Starts `tally` on a free port and waits until it logs where it listens.
fn start_tally(data_dir: &Path) -> RunningTally {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tally"))
        .args(["--addr", "127.0.0.1:0", "--log-format", "text"])
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--site-root")
        .arg(data_dir.join("site"))
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn tally");
    let stderr = child.stderr.take().unwrap();
    let (sender, log) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    match wait_for_listening(&log) {
        Ok(url) => RunningTally { child, url, log },
        Err(seen) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("tally did not start listening; its log:\n{seen}");
        }
    }
}

/// The URL from the "listening on" line, or everything logged before giving up.
fn wait_for_listening(log: &mpsc::Receiver<String>) -> Result<String, String> {
    let mut seen = Vec::new();
    while let Ok(line) = log.recv_timeout(Duration::from_secs(120)) {
        if let Some(at) = line.find("listening on http://") {
            return Ok(line[at + "listening on ".len()..].trim().to_owned());
        }
        seen.push(line);
    }
    Err(seen.join("\n"))
}

impl RunningTally {
    /// SIGTERM, then the exit status and everything it logged after start-up.
    fn terminate(mut self) -> (std::process::ExitStatus, String) {
        kill(
            Pid::from_raw(i32::try_from(self.child.id()).unwrap()),
            Signal::SIGTERM,
        )
        .unwrap();
        let status = self.child.wait().unwrap();
        let rest: Vec<String> = self.log.try_iter().collect();
        (status, rest.join("\n"))
    }
}

async fn get_readyz(base: &str) -> (u16, serde_json::Value) {
    let response = reqwest::Client::new()
        .get(format!("{base}/readyz"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn instance_id(data_dir: &Path) -> String {
    let mut connection = PgConnectOptions::new()
        .socket(data_dir.join("postgres/run"))
        .username("tally")
        .database("tally")
        .connect()
        .await
        .unwrap();
    let id: sqlx::types::Uuid = sqlx::query_scalar("SELECT id FROM instance")
        .fetch_one(&mut connection)
        .await
        .unwrap();
    connection.close().await.unwrap();
    id.to_string()
}

#[tokio::test]
async fn starts_a_private_cluster_when_no_database_url_and_reuses_it() {
    let data_dir = tempfile::tempdir().unwrap();
    let pgdata = data_dir.path().join("postgres/pgdata");

    let first = start_tally(data_dir.path());
    let (status, body) = get_readyz(&first.url).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ready"], true);
    assert!(
        pgdata.join("PG_VERSION").is_file(),
        "cluster created in the data directory"
    );
    let id_before = instance_id(data_dir.path()).await;
    let (exit, log) = first.terminate();
    assert!(exit.success(), "graceful shutdown exits 0; log:\n{log}");
    assert!(
        !pgdata.join("postmaster.pid").exists(),
        "the private cluster is stopped on shutdown"
    );

    let second = start_tally(data_dir.path());
    let (status, _) = get_readyz(&second.url).await;
    assert_eq!(status, 200);
    assert_eq!(
        instance_id(data_dir.path()).await,
        id_before,
        "the second start uses the same cluster and its data"
    );
    let (exit, _) = second.terminate();
    assert!(exit.success());
}

#[test]
fn a_bad_database_url_is_reported_naming_it() {
    let output = Command::new(env!("CARGO_BIN_EXE_tally"))
        .args(["--addr", "127.0.0.1:0"])
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
}

#[test]
fn json_logs_are_one_object_per_line() {
    let output = Command::new(env!("CARGO_BIN_EXE_tally"))
        .args(["--addr", "127.0.0.1:0", "--log-format", "json"])
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let json_lines: Vec<serde_json::Value> = stderr
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert!(
        json_lines
            .iter()
            .any(|line| line["level"] == "ERROR" && line["error"].is_string()),
        "{stderr}"
    );
}
