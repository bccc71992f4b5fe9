//! What the server's tests share: a running `tally` and a simulated world.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use model::forge::Forge;
use sim::server::{SimConfig, Simulator};
use sim::world::{Account, World, WorldConfig, generate};

/// A `tally serve` child process, killed when dropped.
pub struct Server {
    child: Child,
    pub url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `tally` on a free port with `database_url` and, when given, a
/// GitHub API (URL and token, none if empty); without one it serves its
/// demo forges.
pub fn start(database_url: &str, github: Option<(&str, &str)>) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tally"));
    command
        .args(["--addr", "127.0.0.1:0"])
        .env("DATABASE_URL", database_url)
        .env_remove("TALLY_GITHUB_API_URL")
        .env_remove("TALLY_GITHUB_TOKEN")
        .stderr(Stdio::piped())
        .stdout(Stdio::null());
    if let Some((api_url, token)) = github {
        command.env("TALLY_GITHUB_API_URL", api_url);
        if !token.is_empty() {
            command.env("TALLY_GITHUB_TOKEN", token);
        }
    }
    let mut child = command.spawn().unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut url = String::new();
    for line in lines.by_ref().map_while(Result::ok) {
        if let Some(at) = line.find("listening on http://") {
            url = line[at + "listening on ".len()..].trim().to_owned();
            break;
        }
    }
    // Keep reading the log so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
    assert!(!url.is_empty(), "tally did not start");
    Server { child, url }
}

/// A one-year simulated world ending 2026-11-01, served on loopback.
pub async fn simulator(seed: u64, people: usize) -> Simulator {
    let world = Arc::new(generate(WorldConfig {
        seed,
        people,
        repos: 20,
        years: 1,
        until: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
    }));
    Simulator::start(world, SimConfig::default()).await.unwrap()
}

/// The live GitHub account with the most commits.
pub fn busiest_on_github(world: &World) -> &Account {
    world
        .accounts
        .iter()
        .filter(|a| a.forge == Forge::GitHub && !a.deleted)
        .max_by_key(|a| world.commits.iter().filter(|c| c.author == a.id).count())
        .unwrap()
}

/// The number inside the element marked `data-testid="<id>"`.
pub fn number(html: &str, id: &str) -> u64 {
    let marker = format!("data-testid=\"{id}\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {id} in:\n{html}"));
    let inside = &html[at..];
    let start = inside.find('>').unwrap() + 1;
    inside[start..]
        .split('<')
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}
