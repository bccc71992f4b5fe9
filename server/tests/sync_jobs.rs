//! The tracker's sync jobs across real `tally` processes on one database:
//! two processes share the work without doing any of it twice, and a
//! process killed mid-sync leaves a job the next one finishes, ending with
//! exactly the simulator's issues and comments.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use std::time::Duration;

use common::Browser;
use engine::store::testing::TestDb;
use model::forge::Forge;
use serde_json::{Value, json};
use sim::server::Simulator;

/// The `n` live repositories of `forge` with the most issues.
fn busiest(simulator: &Simulator, forge: Forge, n: usize) -> Vec<String> {
    let world = &simulator.world;
    let repos = world.repos_by_issues(forge);
    repos.iter().take(n).map(|r| world.full_name(r)).collect()
}

async fn stats(simulator: &Simulator, forge: Forge) -> Value {
    reqwest::get(format!("{}/_sim/stats", simulator.url(forge).unwrap()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Waits until every subscription of the browser's person is synced.
async fn all_synced(browser: &Browser, count: usize) {
    let mut last = Value::Null;
    for _ in 0..900 {
        let (_, subscriptions) = browser.call("subscriptions", &[]).await;
        if let Some(list) = subscriptions.as_array()
            && list.len() == count
            && list.iter().all(|s| s["state"] == "synced")
        {
            return;
        }
        last = subscriptions;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the subscriptions did not sync: {last}");
}

/// The stored items of a repository equal the truth: numbers, states and
/// comments, each comment stored once.
async fn assert_stored_is_truth(
    pool: &sqlx::PgPool,
    simulator: &Simulator,
    forge: Forge,
    path: &str,
) {
    let expected = simulator.issue_truth(forge, path).unwrap();
    let stored: Vec<(i64, String, i32)> = sqlx::query_as(
        "SELECT i.number, i.status, i.comments FROM tracked_issues i
         JOIN tracked_repositories r ON r.id = i.repository_id
         WHERE r.path = $1 ORDER BY i.number",
    )
    .bind(path)
    .fetch_all(pool)
    .await
    .unwrap();
    let seen: Vec<(u64, bool, u64)> = stored
        .iter()
        .map(|(n, s, c)| {
            (
                u64::try_from(*n).unwrap(),
                s == "open",
                u64::try_from(*c).unwrap(),
            )
        })
        .collect();
    let wanted: Vec<(u64, bool, u64)> = expected
        .iter()
        .map(|t| (t.number, t.open, t.comments))
        .collect();
    assert_eq!(seen, wanted, "{forge:?} {path}");
    let comments: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM issue_comments c JOIN tracked_repositories r ON r.id = c.repository_id
         WHERE r.path = $1",
    )
    .bind(path)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(
        u64::try_from(comments).unwrap(),
        expected.iter().map(|t| t.comments).sum::<u64>(),
        "{path}: every comment once"
    );
}

#[tokio::test]
async fn two_processes_on_one_database_share_the_syncs_without_repeating_any() {
    let simulator = common::simulator(43, 40).await;
    let db = TestDb::new().await;
    let settings = common::sim_forges(&simulator);
    let first = common::start_with(&db.url, &settings);
    let second = common::start_with(&db.url, &settings);
    let browser = Browser::new(&first.url);
    let person = common::busiest_on_github(&simulator.world).username.clone();
    browser.sign_in(&simulator, Forge::GitHub, &person).await;
    let csrf = browser.csrf().await;
    let github = busiest(&simulator, Forge::GitHub, 3);
    let gitlab = busiest(&simulator, Forge::GitLab, 1);
    let addresses: Vec<(Forge, String)> = github
        .iter()
        .map(|p| (Forge::GitHub, p.clone()))
        .chain(gitlab.iter().map(|p| (Forge::GitLab, p.clone())))
        .collect();
    for (forge, path) in &addresses {
        let (status, answer) = browser
            .call(
                "subscribe_address",
                &[
                    ("csrf", csrf.clone()),
                    ("address", format!("{}:{path}", forge.key())),
                ],
            )
            .await;
        assert!(status == 200 || status == 302, "{answer}");
    }
    all_synced(&browser, addresses.len()).await;
    // The other process serves the same person the same list.
    let other = Browser::new(&second.url);
    assert_eq!(other.call("viewer", &[]).await.1, Value::Null);
    for (forge, path) in &addresses {
        assert_stored_is_truth(db.store.pool(), &simulator, *forge, path).await;
    }
    let attempts: Vec<(Option<String>, i64)> = sqlx::query_as(
        "SELECT t.concurrency_key, count(a.*) FROM underway.task t
         JOIN underway.task_attempt a ON a.task_queue_name = t.task_queue_name AND a.task_id = t.id
         GROUP BY t.concurrency_key",
    )
    .fetch_all(db.store.pool())
    .await
    .unwrap();
    assert_eq!(attempts.len(), addresses.len(), "{attempts:?}");
    assert!(
        attempts.iter().all(|(_, n)| *n == 1),
        "each sync ran once: {attempts:?}"
    );
    // Each repository was looked up once when subscribed and once by its
    // one sync: a second sync, in either process, would show here.
    let github_stats = stats(&simulator, Forge::GitHub).await;
    assert_eq!(
        github_stats["by_route"]["GET /repos/{owner}/{repo}"],
        json!(2 * github.len()),
        "{github_stats}"
    );
    drop(second);
}

#[tokio::test]
async fn a_process_killed_mid_sync_leaves_a_job_the_next_one_finishes() {
    // GitLab reads each issue's comments (no list for the repository), and
    // 300 issues make several batches: the kill lands between them.
    let simulator = common::busy_simulator(44, 40, 300).await;
    let db = TestDb::new().await;
    let settings = common::sim_forges(&simulator);
    // Slow answers, so the kill lands mid-sync.
    common::slow_down(&simulator, Forge::GitHub, 40).await;
    let mut doomed = common::start_with(&db.url, &settings);
    let browser = Browser::new(&doomed.url);
    let path = busiest(&simulator, Forge::GitLab, 1).remove(0);
    let person = common::busiest_on_github(&simulator.world).username.clone();
    browser.sign_in(&simulator, Forge::GitHub, &person).await;
    let csrf = browser.csrf().await;
    browser
        .call(
            "subscribe_address",
            &[("csrf", csrf), ("address", format!("gitlab:{path}"))],
        )
        .await;
    let expected =
        i64::try_from(simulator.issue_truth(Forge::GitLab, &path).unwrap().len()).unwrap();
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM tracked_issues")
            .fetch_one(db.store.pool())
            .await
            .unwrap()
    };
    let mut stored = 0;
    for _ in 0..3000 {
        stored = count().await;
        if stored > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    doomed.kill();
    assert!(
        stored > 0 && stored < expected,
        "killed at {stored} of {expected}"
    );
    let watermark: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT watermark FROM tracked_repositories")
            .fetch_one(db.store.pool())
            .await
            .unwrap();
    assert!(watermark.is_none(), "the watermark waits for a whole sync");

    let next = common::start_with(&db.url, &settings);
    let again = Browser::new(&next.url);
    again.sign_in(&simulator, Forge::GitHub, &person).await;
    all_synced(&again, 1).await;
    assert_stored_is_truth(db.store.pool(), &simulator, Forge::GitLab, &path).await;
    let attempts: i64 = sqlx::query_scalar("SELECT count(*) FROM underway.task_attempt")
        .fetch_one(db.store.pool())
        .await
        .unwrap();
    assert_eq!(
        attempts, 2,
        "the killed attempt and the one that finished it"
    );
}

#[tokio::test]
async fn a_postgres_restart_mid_sync_ends_with_exactly_the_truth() {
    let simulator = common::busy_simulator(46, 40, 300).await;
    let dir = tempfile::tempdir().unwrap();
    let cluster =
        engine::store::embedded::PrivateCluster::new(&dir.path().join("postgres"), None).unwrap();
    cluster.start().await.unwrap();
    let settings = common::sim_forges(&simulator);
    // Slow answers, so the restart lands mid-sync.
    common::slow_down(&simulator, Forge::GitLab, 40).await;
    let server = common::start_with(&cluster.url(), &settings);
    let browser = Browser::new(&server.url);
    let path = busiest(&simulator, Forge::GitLab, 1).remove(0);
    let person = common::busiest_on_github(&simulator.world).username.clone();
    browser.sign_in(&simulator, Forge::GitHub, &person).await;
    let csrf = browser.csrf().await;
    browser
        .call(
            "subscribe_address",
            &[("csrf", csrf), ("address", format!("gitlab:{path}"))],
        )
        .await;
    let expected = simulator.issue_truth(Forge::GitLab, &path).unwrap().len();
    let pool = sqlx::PgPool::connect(&cluster.url()).await.unwrap();
    let mut stored = 0;
    for _ in 0..3000 {
        stored = sqlx::query_scalar::<_, i64>("SELECT count(*) FROM tracked_issues")
            .fetch_one(&pool)
            .await
            .unwrap();
        if stored > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    pool.close().await;
    let restarted = std::time::Instant::now();
    cluster.stop().await.unwrap();
    cluster.start().await.unwrap();
    let down_for = restarted.elapsed();

    // The sync cut short is done again, and ends with the truth: nothing
    // lost, nothing twice.
    all_synced(&browser, 1).await;
    let pool = sqlx::PgPool::connect(&cluster.url()).await.unwrap();
    assert_stored_is_truth(&pool, &simulator, Forge::GitLab, &path).await;
    eprintln!(
        "PostgreSQL restarted ({down_for:?} down) with {stored} of {expected} issues stored; \
         synced to the truth {:?} after the restart",
        restarted.elapsed()
    );
    pool.close().await;
    drop(server);
    cluster.stop().await.unwrap();
}
