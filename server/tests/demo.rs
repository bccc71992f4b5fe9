//! With no forge configured Tally serves simulated demo forges and says so
//! on every page; with one configured, it does not.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use engine::store::testing::TestDb;

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(database_url: &str, github_api_url: Option<&str>) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tally"));
    command
        .args(["--addr", "127.0.0.1:0"])
        .env("DATABASE_URL", database_url)
        .env_remove("TALLY_GITHUB_API_URL")
        .stderr(Stdio::piped())
        .stdout(Stdio::null());
    if let Some(url) = github_api_url {
        command.env("TALLY_GITHUB_API_URL", url);
    }
    let mut child = command.spawn().unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut server = Server {
        child,
        url: String::new(),
    };
    for line in stderr.lines().map_while(Result::ok) {
        if let Some(at) = line.find("listening on http://") {
            server.url = line[at + "listening on ".len()..].trim().to_owned();
            break;
        }
    }
    assert!(!server.url.is_empty(), "tally did not start");
    server
}

async fn home_page(server: &Server) -> String {
    reqwest::Client::new()
        .get(&server.url)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn without_a_forge_the_pages_say_the_data_is_simulated() {
    let db = TestDb::new().await;
    let server = start(&db.url, None);
    let html = home_page(&server).await;
    assert!(
        html.contains("demo-banner") && html.contains("Demo data."),
        "no demo notice in:\n{html}"
    );
}

#[tokio::test]
async fn with_a_forge_configured_there_is_no_demo_notice() {
    let db = TestDb::new().await;
    let server = start(&db.url, Some("https://api.github.com"));
    let html = home_page(&server).await;
    assert!(
        html.contains("Every contribution, counted once"),
        "the page did not render:\n{html}"
    );
    assert!(!html.contains("demo-banner"));
}
