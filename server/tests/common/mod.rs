//! What the server's tests share: a running `tally` and a simulated world.
#![allow(
    dead_code,
    clippy::unwrap_used,
    reason = "shared test helpers: each test binary uses some of them, and stops loudly on the unexpected"
)]

pub mod schema;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use model::forge::Forge;
use sim::server::{SimConfig, Simulator};
use sim::world::{Account, World, WorldConfig, generate_with_issues};

/// A `tally serve` child process, killed when dropped.
pub struct Server {
    child: Child,
    pub url: String,
}

impl Server {
    /// The process id, as runs record their worker (`host:pid`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the process at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The key test servers seal tokens with (every process of a test shares it).
pub const SECRET_KEY: &str = "0101010101010101010101010101010101010101010101010101010101010101";

/// Starts `tally` on a free port with `database_url` and, when given, a
/// GitHub API (URL and token, none if empty); without one it serves its
/// demo forges.
pub fn start(database_url: &str, github: Option<(&str, &str)>) -> Server {
    let mut env: Vec<(&str, String)> = Vec::new();
    if let Some((api_url, token)) = github {
        env.push(("TALLY_GITHUB_API_URL", api_url.to_owned()));
        if !token.is_empty() {
            env.push(("TALLY_GITHUB_TOKEN", token.to_owned()));
        }
    }
    start_with(database_url, &env)
}

/// A fresh database and `tally` on it reading the simulator's GitHub with
/// the token tests use.
pub async fn on_simulated_github(
    simulator: &Simulator,
) -> (engine::store::testing::TestDb, Server) {
    let db = engine::store::testing::TestDb::new().await;
    let server = start(
        &db.url,
        Some((simulator.url(Forge::GitHub).unwrap(), "sim_server_test")),
    );
    (db, server)
}

/// The settings of a `tally` reading the simulator's GitHub and GitLab with
/// an instance token, and signing in through their OAuth servers.
pub fn sim_forges(simulator: &Simulator) -> Vec<(&'static str, String)> {
    let url = |forge| simulator.url(forge).unwrap().to_owned();
    vec![
        ("TALLY_GITHUB_API_URL", url(Forge::GitHub)),
        ("TALLY_GITHUB_TOKEN", "sim_instance".into()),
        ("TALLY_GITHUB_CLIENT_ID", "tally-test".into()),
        ("TALLY_GITHUB_CLIENT_SECRET", "sim_client_secret".into()),
        ("TALLY_GITLAB_URL", url(Forge::GitLab)),
        ("TALLY_GITLAB_TOKEN", "sim_instance".into()),
        ("TALLY_GITLAB_CLIENT_ID", "tally-test".into()),
        ("TALLY_GITLAB_CLIENT_SECRET", "sim_client_secret".into()),
    ]
}

/// Starts `tally` on a free port with `database_url` and the environment
/// `env` (forges, sign-in); the test key seals tokens.
pub fn start_with(database_url: &str, env: &[(&str, String)]) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tally"));
    command
        .args(["--addr", "127.0.0.1:0"])
        .env("DATABASE_URL", database_url)
        .env("TALLY_SECRET_KEY", SECRET_KEY)
        .stderr(Stdio::piped())
        .stdout(Stdio::null());
    for (name, _) in std::env::vars() {
        if name.starts_with("TALLY_")
            && name != "TALLY_TEST_DATABASE_URL"
            && name != "TALLY_SHARED_DIR"
        {
            command.env_remove(name);
        }
    }
    command.env("TALLY_SECRET_KEY", SECRET_KEY);
    for (name, value) in env {
        command.env(name, value);
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

/// Makes `forge` of the simulator answer every request `ms` late, so a
/// fault a test injects lands mid-way through the work.
pub async fn slow_down(simulator: &Simulator, forge: Forge, ms: u64) {
    reqwest::Client::new()
        .put(format!("{}/_sim/faults", simulator.url(forge).unwrap()))
        .json(&serde_json::json!({ "latency_ms": ms }))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
}

/// A one-year simulated world ending 2026-11-01, served on loopback.
pub async fn simulator(seed: u64, people: usize) -> Simulator {
    busy_simulator(seed, people, 0).await
}

/// Like [`simulator`], each repository with an issue tracker holding at
/// least `issues` issues.
pub async fn busy_simulator(seed: u64, people: usize, issues: usize) -> Simulator {
    let world = Arc::new(generate_with_issues(
        WorldConfig {
            seed,
            people,
            repos: 20,
            years: 1,
            until: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
        },
        issues,
    ));
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

/// A browser's view of one server: it keeps the session cookie and does
/// not follow redirects (tests look at each).
pub struct Browser {
    pub base: String,
    http: reqwest::Client,
    cookie: std::sync::Mutex<Option<String>>,
}

impl Browser {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .unwrap(),
            cookie: std::sync::Mutex::new(None),
        }
    }

    /// The session cookie's value, if there is one.
    pub fn session(&self) -> Option<String> {
        self.cookie.lock().unwrap().clone()
    }

    fn keep_cookie(&self, response: &reqwest::Response) {
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().unwrap();
            if let Some(pair) = text.split(';').next()
                && let Some(value) = pair.strip_prefix("tally_session=")
            {
                *self.cookie.lock().unwrap() =
                    (!value.is_empty() && !text.contains("Max-Age=0")).then(|| value.to_owned());
            }
        }
    }

    fn with_cookie(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self.session() {
            Some(cookie) => request.header("cookie", format!("tally_session={cookie}")),
            None => request,
        }
    }

    /// GETs a URL (this server's when it is a path).
    pub async fn get(&self, url: &str) -> reqwest::Response {
        let url = if url.starts_with('/') {
            format!("{}{url}", self.base)
        } else {
            url.to_owned()
        };
        let response = self.with_cookie(self.http.get(url)).send().await.unwrap();
        self.keep_cookie(&response);
        response
    }

    /// POSTs a form to a path of this server, with extra headers.
    pub async fn post(
        &self,
        path: &str,
        form: &[(&str, String)],
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = self
            .with_cookie(self.http.post(format!("{}{path}", self.base)))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(serde_urlencoded::to_string(form).unwrap());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        self.keep_cookie(&response);
        response
    }

    /// Calls a server function and reads its JSON answer.
    pub async fn call(&self, endpoint: &str, form: &[(&str, String)]) -> (u16, serde_json::Value) {
        let response = self.post(&format!("/api/{endpoint}"), form, &[]).await;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        )
    }

    /// The session's CSRF token, as the pages get it.
    pub async fn csrf(&self) -> String {
        let (status, viewer) = self.call("viewer", &[]).await;
        assert_eq!(status, 200, "{viewer}");
        viewer["csrf"].as_str().unwrap().to_owned()
    }

    /// Signs in with `forge` as `username` through the simulator's OAuth
    /// server, as a person clicking through would; returns where it lands.
    pub async fn sign_in(&self, simulator: &Simulator, forge: Forge, username: &str) -> String {
        approve_as(simulator, forge, username).await;
        let start = self
            .get(&format!("/auth/{}/start?next=/issues", forge.key()))
            .await;
        let authorize = location(&start);
        let back = self.get(&authorize).await;
        let callback = location(&back);
        let landed = self.get(&callback).await;
        location(&landed)
    }
}

/// Makes the simulated forge's OAuth server approve every sign-in as `username`.
pub async fn approve_as(simulator: &Simulator, forge: Forge, username: &str) {
    reqwest::Client::new()
        .put(format!("{}/_sim/oauth", simulator.url(forge).unwrap()))
        .json(&serde_json::json!({ "approve_as": username }))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
}

/// Where a redirect points.
pub fn location(response: &reqwest::Response) -> String {
    assert!(
        response.status().is_redirection(),
        "expected a redirect, got {} for {}",
        response.status(),
        response.url()
    );
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// A query parameter of a URL.
pub fn param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Query pages through HTTP, as a browser without JavaScript uses them.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .unwrap()
}

pub async fn get(url: &str) -> (u16, String) {
    let response = client().get(url).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Posts the query form as a browser without JavaScript does; answers the
/// query's address the server redirects to.
pub async fn post_query(base: &str, form: &[(&str, String)]) -> String {
    let (_, home) = get(base).await;
    let action = home
        .split("action=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    assert!(action.contains("create_query"), "{action}");
    let posted = client()
        .post(format!("{base}{action}"))
        .header("content-type", "application/x-www-form-urlencoded")
        // What a browser sends when it submits a form without JavaScript.
        .header("accept", "text/html,application/xhtml+xml")
        .header("referer", base)
        .body(serde_urlencoded::to_string(form).unwrap())
        .send()
        .await
        .unwrap();
    let status = posted.status();
    let location = posted
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    assert!(
        status.is_redirection(),
        "{status} {location:?} {}",
        posted.text().await.unwrap()
    );
    let location = location.unwrap();
    assert!(
        model::query::is_hash(location.strip_prefix("/q/").unwrap()),
        "{location}"
    );
    location
}

/// The query page once its fetch is over.
pub async fn filled(page_url: &str) -> String {
    filled_within(page_url, std::time::Duration::from_secs(60)).await
}

/// The query page once its fetch is over, waiting at most `within`.
pub async fn filled_within(page_url: &str, within: std::time::Duration) -> String {
    let until = std::time::Instant::now() + within;
    while std::time::Instant::now() < until {
        let (status, body) = get(page_url).await;
        assert_eq!(status, 200);
        if !body.contains("Fetching from the forges") {
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    panic!("{page_url} was still fetching after {within:?}");
}

/// The retry button's form, posted without JavaScript.
pub async fn retry_query(base: &str, page_url: &str, hash: &str) -> reqwest::Response {
    client()
        .post(format!("{base}/api/retry_query"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html,application/xhtml+xml")
        .header("referer", page_url)
        .body(serde_urlencoded::to_string([("hash", hash)]).unwrap())
        .send()
        .await
        .unwrap()
}
