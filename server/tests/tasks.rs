//! Discovery's tasks over HTTP against running `tally` processes and the
//! simulated GitHub: who may start a run (401/403/422, sessions with their
//! CSRF token, API tokens made, used and revoked, stored hashed), runs that
//! finish with the world's numbers, a run that survives its process being
//! killed, two processes that never run one run twice, the rate-limit
//! standing, the schedules' heartbeat, and `--private-api`.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use std::time::Duration;

use common::{Browser, Server};
use engine::store::testing::TestDb;
use model::forge::Forge;
use model::tasks::{TaskRunDetail, TaskState, TasksOverview};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// `tally` reading the simulated GitHub, with fast schedules.
fn serve(db: &TestDb, simulator: &sim::server::Simulator, extra: &[(&str, String)]) -> Server {
    let mut env = common::sim_forges(simulator);
    env.push(("TALLY_HEARTBEAT_EVERY_SECS", "1".into()));
    env.push(("TALLY_DISCOVERY_EVERY_SECS", "0".into()));
    env.extend(extra.iter().cloned());
    common::start_with(&db.url, &env)
}

async fn post_task(
    server: &Server,
    body: &str,
    headers: &[(&str, &str)],
    cookie: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/api/v1/tasks", server.url))
        .header("content-type", "application/json")
        .body(body.to_owned());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(cookie) = cookie {
        request = request.header("cookie", format!("tally_session={cookie}"));
    }
    let answer = request.send().await.unwrap();
    let status = answer.status().as_u16();
    let headers = answer.headers().clone();
    let text = answer.text().await.unwrap();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn get_json(server: &Server, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = reqwest::Client::new().get(format!("{}{path}", server.url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let answer = request.send().await.unwrap();
    (answer.status().as_u16(), answer.json().await.unwrap())
}

/// Waits until the run at `path` has finished, and answers it.
async fn finished(server: &Server, path: &str) -> TaskRunDetail {
    for _ in 0..600 {
        let (status, body) = get_json(server, path, None).await;
        assert_eq!(status, 200, "{body}");
        let run: TaskRunDetail = serde_json::from_value(body).unwrap();
        if run.run.state.is_finished() {
            return run;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} did not finish in a minute");
}

fn error_field(body: &Value) -> (&str, &str) {
    (
        body["error"]["code"].as_str().unwrap(),
        body["error"]["field"].as_str().unwrap_or_default(),
    )
}

#[tokio::test]
async fn only_sessions_with_their_csrf_token_and_working_api_tokens_start_runs() {
    let simulator = common::simulator(31, 40).await;
    let db = TestDb::new().await;
    let server = serve(&db, &simulator, &[]);
    let seed = common::busiest_on_github(&simulator.world).username.clone();
    let body = json!({"name": "full_profile_sync", "username": seed}).to_string();

    // Nobody: 401.
    let (status, _, answer) = post_task(&server, &body, &[], None).await;
    assert_eq!((status, error_field(&answer).0), (401, "unauthorized"));

    // A session without its CSRF token: 403; with it: 202.
    let browser = Browser::new(&server.url);
    browser.sign_in(&simulator, Forge::GitHub, &seed).await;
    let cookie = browser.session().unwrap();
    let (status, _, answer) = post_task(&server, &body, &[], Some(&cookie)).await;
    assert_eq!(
        (status, error_field(&answer).0),
        (403, "forbidden"),
        "{answer}"
    );
    let csrf = browser.csrf().await;
    let (status, headers, answer) =
        post_task(&server, &body, &[("x-csrf-token", &csrf)], Some(&cookie)).await;
    assert_eq!(status, 202, "{answer}");
    let location = headers["location"].to_str().unwrap().to_owned();
    assert_eq!(answer["url"], location.as_str());
    assert_eq!(answer["state"], "queued");

    // The run finishes with what the world holds (before the scraper
    // starts, so the seed's network is its frontier).
    let profile = finished(&server, &location).await;
    assert_eq!(profile.run.state, TaskState::Succeeded, "{:?}", profile.run);
    let followers: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM follows f JOIN developers d ON d.id = f.followed_id
         WHERE d.login = $1",
    )
    .bind(&seed)
    .fetch_one(db.store.pool())
    .await
    .unwrap();
    let account = simulator.world.find_account(Forge::GitHub, &seed).unwrap();
    let live_followers = account
        .followers
        .iter()
        .filter(|id| !simulator.world.account(**id).deleted)
        .count();
    assert_eq!(usize::try_from(followers).unwrap(), live_followers);
    // A token, made on the settings page's server function.
    let (status, made) = browser
        .call(
            "create_api_token",
            &[("csrf", csrf.clone()), ("name", "ci".into())],
        )
        .await;
    assert_eq!(status, 200, "{made}");
    let token = made["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("tally_"));
    let bearer = format!("Bearer {token}");
    let scraper = json!({"name": "discovery_scraper", "count": 3}).to_string();
    let (status, headers, _) =
        post_task(&server, &scraper, &[("authorization", &bearer)], None).await;
    assert_eq!(status, 202);
    let scraper_at = headers["location"].to_str().unwrap().to_owned();

    // Bad requests name the field; with a token, so they reach the check.
    for (body, code, field) in [
        ("{not json", "bad_request", "body"),
        (r#"{"name": "nope"}"#, "invalid", "name"),
        (r#"{"name": "full_profile_sync"}"#, "invalid", "username"),
        (
            r#"{"name": "full_profile_sync", "username": "-x-"}"#,
            "invalid",
            "username",
        ),
        (
            r#"{"name": "discovery_scraper", "count": 1000}"#,
            "invalid",
            "count",
        ),
        (
            r#"{"name": "discovery_scraper", "colour": "red"}"#,
            "invalid",
            "colour",
        ),
    ] {
        let (status, _, answer) =
            post_task(&server, body, &[("authorization", &bearer)], None).await;
        let expected = if code == "invalid" { 422 } else { 400 };
        assert_eq!(status, expected, "{body}: {answer}");
        assert_eq!(error_field(&answer), (code, field), "{body}");
    }

    let scraped = finished(&server, &scraper_at).await;
    assert_eq!(scraped.run.state, TaskState::Succeeded);
    assert_eq!(scraped.children.len(), 3);
    assert!(
        scraped
            .children
            .iter()
            .all(|c| c.state == TaskState::Succeeded)
    );
    assert_eq!(scraped.run.progress.done, 3);

    // Only a digest of the token is kept.
    let rows: Vec<String> = sqlx::query_scalar("SELECT row_to_json(t)::text FROM api_tokens t")
        .fetch_all(db.store.pool())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(!rows[0].contains(&token[6..]), "the token is not stored");
    let digest: Vec<u8> = sqlx::query_scalar("SELECT digest FROM api_tokens")
        .fetch_one(db.store.pool())
        .await
        .unwrap();
    assert_eq!(digest, Sha256::digest(token.as_bytes()).to_vec());

    // Revoked, it stops working at once, reads included.
    let id = made["details"]["id"].as_i64().unwrap();
    let (status, answer) = browser
        .call(
            "revoke_api_token",
            &[("csrf", csrf), ("token", id.to_string())],
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let (status, _, _) = post_task(&server, &scraper, &[("authorization", &bearer)], None).await;
    assert_eq!(status, 401);
    let (status, _) = get_json(&server, "/api/v1/developers", Some(&token)).await;
    assert_eq!(status, 401);
    simulator.stop().await;
}

#[tokio::test]
async fn the_rate_limit_and_the_schedules_are_shown() {
    let simulator = common::simulator(31, 40).await;
    let db = TestDb::new().await;
    let server = serve(&db, &simulator, &[]);
    let seed = common::busiest_on_github(&simulator.world).username.clone();
    let run = db
        .store
        .create_run(
            &model::tasks::TaskRequest::FullProfileSync {
                forge: Forge::GitHub,
                username: seed,
            },
            "test",
            None,
        )
        .await
        .unwrap();
    // A run written without its job (a process that died in between) is
    // found and queued by the sweeper.
    let done = finished(&server, &format!("/api/v1/tasks/{run}")).await;
    assert_eq!(done.run.state, TaskState::Succeeded);

    let (status, limits) = get_json(&server, "/api/v1/rate_limit", None).await;
    assert_eq!(status, 200);
    assert_eq!(limits["query_share"], 0.5);
    assert_eq!(limits["crawler_share"], 0.5);
    assert_eq!(limits["sync_share"], 0.75);
    let core = limits["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["bucket"] == "core")
        .unwrap();
    assert_eq!(core["forge"], "github");
    assert_eq!(core["limit"], 5000);
    assert!(core["remaining"].as_u64().unwrap() < 5000);
    assert_ne!(core["token"], "sim_instance", "never the token itself");
    assert_eq!(
        core["reset"].as_i64().unwrap(),
        chrono::DateTime::parse_from_rfc3339(core["reset_at"].as_str().unwrap())
            .unwrap()
            .timestamp()
    );

    // The heartbeat runs every second, once per period.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (_, overview) = get_json(&server, "/api/v1/tasks", None).await;
    let overview: TasksOverview = serde_json::from_value(overview).unwrap();
    let heartbeat = overview
        .schedules
        .iter()
        .find(|s| s.name == "heartbeat")
        .unwrap();
    assert!(heartbeat.runs >= 2, "{heartbeat:?}");
    assert!(heartbeat.last_run_by.is_some());
    assert_eq!(overview.types.len(), 3);
    assert_eq!(overview.recent[0].id, run);
    simulator.stop().await;
}

/// Runs of each kind started at once on two processes.
#[tokio::test]
async fn two_processes_never_run_one_run_twice_and_a_killed_ones_run_resumes() {
    let simulator = common::simulator(31, 60).await;
    let db = TestDb::new().await;
    let world = &simulator.world;
    let mut logins: Vec<String> = world
        .accounts
        .iter()
        .filter(|a| a.forge == Forge::GitHub && !a.deleted)
        .map(|a| a.username.clone())
        .collect();
    logins.truncate(8);
    // Slow answers, so runs overlap and one can be cut off.
    simulator.set_faults(
        Forge::GitHub,
        sim::server::faults::Faults {
            latency_ms: 40,
            ..Default::default()
        },
    );
    let mut first = serve(&db, &simulator, &[]);
    let second = serve(&db, &simulator, &[]);
    let seed = common::busiest_on_github(world).username.clone();
    let mut runs = Vec::new();
    for login in std::iter::once(&seed).chain(&logins) {
        let request = model::tasks::TaskRequest::FullProfileSync {
            forge: Forge::GitHub,
            username: login.clone(),
        };
        runs.push(db.store.create_run(&request, "test", None).await.unwrap());
    }
    // Kill the first process while it holds a run part-way.
    let cut = loop {
        let running: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM task_runs WHERE state = 'running' AND done >= 2
               AND worker LIKE '%:' || $1 LIMIT 1",
        )
        .bind(first.pid().to_string())
        .fetch_optional(db.store.pool())
        .await
        .unwrap();
        if let Some((id,)) = running {
            break id;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    first.kill();
    for run in &runs {
        let done = finished(&second, &format!("/api/v1/tasks/{run}")).await;
        assert_eq!(done.run.state, TaskState::Succeeded, "{:?}", done.run);
    }
    let starts: Vec<(i64, i32)> = sqlx::query_as("SELECT id, starts FROM task_runs ORDER BY id")
        .fetch_all(db.store.pool())
        .await
        .unwrap();
    for (id, starts) in starts {
        // Each run started once, but the killed process's runs were cut
        // off (the one seen, and any other it held at that moment).
        assert!(
            starts == 1 || starts == 2,
            "run {id} started {starts} times"
        );
        if id == cut {
            assert_eq!(starts, 2, "the cut-off run was resumed");
        }
    }
    // Each developer's network is the world's, once.
    let follows: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT follower_id, followed_id FROM follows
          GROUP BY 1, 2 HAVING count(*) > 1) twice",
    )
    .fetch_one(db.store.pool())
    .await
    .unwrap();
    assert_eq!(follows, 0);
    for login in std::iter::once(&seed).chain(&logins) {
        let account = world.find_account(Forge::GitHub, login).unwrap();
        let stored: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM follows f JOIN developers d ON d.id = f.follower_id
             WHERE d.login = $1",
        )
        .bind(login)
        .fetch_one(db.store.pool())
        .await
        .unwrap();
        let live = account
            .following
            .iter()
            .filter(|id| !world.account(**id).deleted)
            .count();
        assert_eq!(usize::try_from(stored).unwrap(), live, "{login}");
    }
    simulator.stop().await;
}

#[tokio::test]
async fn a_private_api_answers_only_sessions_and_tokens() {
    let simulator = common::simulator(31, 30).await;
    let db = TestDb::new().await;
    let server = serve(&db, &simulator, &[("TALLY_PRIVATE_API", "true".into())]);
    let (status, answer) = get_json(&server, "/api/v1/developers", None).await;
    assert_eq!((status, error_field(&answer).0), (401, "unauthorized"));
    let browser = Browser::new(&server.url);
    let seed = common::busiest_on_github(&simulator.world).username.clone();
    browser.sign_in(&simulator, Forge::GitHub, &seed).await;
    let answer = browser.get("/api/v1/developers").await;
    assert_eq!(answer.status(), 200, "a session reads");
    let csrf = browser.csrf().await;
    let (_, made) = browser
        .call(
            "create_api_token",
            &[("csrf", csrf), ("name", "reader".into())],
        )
        .await;
    let token = made["token"].as_str().unwrap();
    let (status, _) = get_json(&server, "/api/v1/developers", Some(token)).await;
    assert_eq!(status, 200, "a token reads");
    simulator.stop().await;
}
