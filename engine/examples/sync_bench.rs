//! Benchmark: syncing busy issue trackers from the simulator, as the
//! tracker's background jobs do it.
//! `cargo run --release -p engine --example sync_bench -- [repositories] [issues each] [latency ms] [core requests an hour]`
//! (defaults 20, 2000, 50, and GitHub's 5,000; a first sync that needs more
//! waits for the next hour, so give more to count what it needs). Needs PostgreSQL as the tests do
//! (`TALLY_TEST_DATABASE_URL`, else 127.0.0.1:5432).
//!
//! Prints the wall time and the requests used by the first (full) sync of
//! every repository and by a second (incremental) one, by route (issues,
//! comments, pull requests, reviews, commits), with the issues, comments,
//! pull requests, reviews and commits stored, checked against the
//! simulator's truth.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use engine::accounts::Accounts;
use engine::forge::Endpoint;
use engine::forge::directory::Directory;
use engine::jobs::{JobSettings, SyncQueue};
use engine::secrets::Cipher;
use engine::store::testing::TestDb;
use engine::tracker::Tracker;
use engine::tracker::sync::{RepoSyncer, SyncSettings};
use model::ids::UserId;
use serde_json::Value;
use sim::server::faults::Faults;
use sim::server::{SimConfig, Simulator};
use sim::world::{Forge, WorldConfig, generate_with_issues};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u64>().ok());
    let repositories = usize::try_from(args.next().flatten().unwrap_or(20)).unwrap();
    let issues = usize::try_from(args.next().flatten().unwrap_or(2000)).unwrap();
    let latency_ms = args.next().flatten().unwrap_or(50);
    let core_budget = u32::try_from(args.next().flatten().unwrap_or(5000)).unwrap();

    let started = Instant::now();
    // About 45 % of a world's repositories are on GitHub.
    let world = Arc::new(generate_with_issues(
        WorldConfig {
            seed: 2026,
            people: 300,
            repos: repositories * 9 / 4 + 2,
            years: 2,
            until: Utc::now(),
        },
        issues,
    ));
    let paths: Vec<String> = world
        .repos
        .iter()
        .filter(|r| r.forge == Forge::GitHub && !r.deleted)
        .take(repositories)
        .map(|r| world.full_name(r))
        .collect();
    assert_eq!(
        paths.len(),
        repositories,
        "the world has that many GitHub repositories"
    );
    println!(
        "world: {} issues in {} repositories ({:.1} s to generate)",
        world.issues.len(),
        world.repos.len(),
        started.elapsed().as_secs_f64()
    );
    let config = SimConfig {
        faults: [(
            Forge::GitHub,
            Faults {
                latency_ms,
                ..Faults::default()
            },
        )]
        .into(),
        github: sim::server::GitHubLimits {
            core: sim::server::budget::Limit {
                units: core_budget,
                window: Duration::from_secs(3600),
            },
            ..sim::server::GitHubLimits::default()
        },
        ..SimConfig::default()
    };
    let simulator = Simulator::start(world.clone(), config).await.unwrap();
    let api_url = simulator.url(Forge::GitHub).unwrap().to_owned();
    let db = TestDb::new().await;
    let store = db.store.clone();
    let directory = Arc::new(Directory::new(vec![Endpoint {
        forge: Forge::GitHub,
        api_url: api_url.clone(),
        token: Some("sim_bench".into()),
        scope: Vec::new(),
    }]));
    let accounts = Arc::new(Accounts::new(store.clone(), Cipher::new([9; 32]), None));
    let syncer = Arc::new(RepoSyncer::new(
        store.clone(),
        directory.clone(),
        accounts.clone(),
        SyncSettings::default(),
    ));
    let queue = SyncQueue::new(store.clone(), syncer).await.unwrap();
    let tracker = Tracker::new(store.clone(), directory, accounts, queue.clone());
    let user: UserId = sqlx::query_scalar("INSERT INTO users DEFAULT VALUES RETURNING id")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let mut ids = Vec::new();
    for path in &paths {
        ids.push(
            tracker
                .subscribe_address(user, &format!("github:{path}"))
                .await
                .unwrap(),
        );
    }
    reset_stats(&api_url).await;

    let settings = JobSettings::default();
    println!(
        "syncing {repositories} repositories × {issues} issues, {latency_ms} ms per answer, {} syncs at a time, {core_budget} core requests an hour",
        settings.workers
    );
    let running = engine::jobs::start(queue.clone(), None, settings);
    let full = timed_until_synced(&tracker, &store, user, repositories, None).await;
    let full_requests = requests(&api_url).await;
    report("first sync (full)", full, &full_requests);

    let (items, comments) = stored(&tracker, user).await;
    let (truth, commented) = truth_totals(&simulator, &paths);
    println!(
        "stored: {items} issues, {comments} comments; the simulator holds {} and {}: {}",
        truth.0,
        truth.1,
        if (items, comments) == truth {
            "equal"
        } else {
            "DIFFERENT"
        }
    );
    println!(
        "issues with comments: {commented} (reading each one's own comment list would take as many requests)"
    );
    let kept = activity_stored(&store).await;
    let want = activity_truth(&simulator, &paths);
    println!(
        "stored for reports: {} pull requests, {} reviews, {} commits; the simulator holds {}, {} and {}: {}",
        kept.0,
        kept.1,
        kept.2,
        want.0,
        want.1,
        want.2,
        if kept == want { "equal" } else { "DIFFERENT" }
    );
    println!("budget left: {}", budget_left(&api_url).await);

    reset_stats(&api_url).await;
    let since = Utc::now();
    for id in &ids {
        tracker.sync_now(user, *id).await.unwrap();
    }
    let again = timed_until_synced(&tracker, &store, user, repositories, Some(since)).await;
    report(
        "second sync (incremental, nothing changed)",
        again,
        &requests(&api_url).await,
    );
    running.stop();
    simulator.stop().await;
}

/// Waits until every subscription has synced (after `since`, when given):
/// its issues, and then its pull requests and commits (read after them).
async fn timed_until_synced(
    tracker: &Tracker,
    store: &engine::store::Store,
    user: UserId,
    count: usize,
    since: Option<chrono::DateTime<Utc>>,
) -> Duration {
    let started = Instant::now();
    // Watermarks are on the forge's clock; a little slack for the difference.
    let after = since.map(|t| t - chrono::Duration::seconds(5));
    loop {
        let subscriptions = tracker.subscriptions(user).await.unwrap();
        let done = subscriptions.iter().filter(|s| {
            s.state == model::tracker::SyncState::Synced
                && since.is_none_or(|t| s.last_synced_at.is_some_and(|at| at > t))
        });
        let activity_read: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM tracked_repositories
              WHERE changes_watermark > coalesce($1, '-infinity')
                AND commits_watermark > coalesce($1, '-infinity')",
        )
        .bind(after)
        .fetch_one(store.pool())
        .await
        .unwrap();
        if done.count() == count && usize::try_from(activity_read).unwrap() == count {
            return started.elapsed();
        }
        if let Some(failed) = subscriptions
            .iter()
            .find(|s| s.state == model::tracker::SyncState::Failed)
        {
            panic!("{} failed: {:?}", failed.repository, failed.problem);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn stored(tracker: &Tracker, user: UserId) -> (u64, u64) {
    let subscriptions = tracker.subscriptions(user).await.unwrap();
    (
        subscriptions.iter().map(|s| s.items).sum(),
        subscriptions.iter().map(|s| s.comments).sum(),
    )
}

/// Issues and comments the simulator holds, and the issues with comments.
fn truth_totals(simulator: &Simulator, paths: &[String]) -> ((u64, u64), u64) {
    let mut totals = (0, 0);
    let mut commented = 0;
    for path in paths {
        let items = simulator.issue_truth(Forge::GitHub, path).unwrap();
        totals.0 += items.len() as u64;
        totals.1 += items.iter().map(|i| i.comments).sum::<u64>();
        commented += items.iter().filter(|i| i.comments > 0).count() as u64;
    }
    (totals, commented)
}

/// Pull requests, reviews and commits the sync kept.
async fn activity_stored(store: &engine::store::Store) -> (i64, i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM tracked_changes), (SELECT count(*) FROM change_reviews),
                (SELECT count(*) FROM tracked_commits)",
    )
    .fetch_one(store.pool())
    .await
    .unwrap()
}

/// Pull requests, reviews and commits the simulator holds for `paths` now.
fn activity_truth(simulator: &Simulator, paths: &[String]) -> (i64, i64, i64) {
    let world = &simulator.world;
    let now = Utc::now();
    let mut totals = (0, 0, 0);
    for repo in world
        .repos
        .iter()
        .filter(|r| r.forge == Forge::GitHub && !r.deleted && paths.contains(&world.full_name(r)))
    {
        for change in world.changes_as_of(repo.id, now) {
            totals.0 += 1;
            totals.1 += i64::try_from(change.reviews.len()).unwrap();
        }
        totals.2 += i64::try_from(
            world
                .commits_in(repo.id)
                .filter(|c| c.committed_at <= now)
                .count(),
        )
        .unwrap();
    }
    totals
}

async fn reset_stats(api_url: &str) {
    reqwest::Client::new()
        .delete(format!("{api_url}/_sim/stats"))
        .send()
        .await
        .unwrap();
}

async fn requests(api_url: &str) -> Value {
    reqwest::get(format!("{api_url}/_sim/stats"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn budget_left(api_url: &str) -> String {
    let answer: Value = reqwest::Client::new()
        .get(format!("{api_url}/rate_limit"))
        .bearer_auth("sim_bench")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let core = &answer["resources"]["core"];
    format!(
        "{} of {} core requests this hour",
        core["remaining"], core["limit"]
    )
}

fn report(what: &str, took: Duration, requests: &Value) {
    println!(
        "{what}: {:.1} s, {} requests",
        took.as_secs_f64(),
        requests["requests"]
    );
    if let Some(routes) = requests["by_route"].as_object() {
        for (route, count) in routes {
            println!("    {count:>6}  {route}");
        }
    }
}
