//! The fault campaign at the process level: a `tally` killed with SIGKILL
//! mid-fetch, and its PostgreSQL restarted mid-fetch. Each ends with the
//! simulator's truth exactly, or a failure the page shows and a retry
//! mends, and nothing fetched before the fault is lost or counted twice.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

mod common;

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use common::{filled_within, get, post_query, retry_query};
use engine::store::embedded::PrivateCluster;
use engine::store::testing::TestDb;
use model::forge::Forge;
use sim::server::Simulator;

const FROM: &str = "2025-11-01";
const TO: &str = "2026-10-31";

/// A simulator whose GitHub answers in 40 ms, so a year's fetch (four
/// pieces of 92 days) takes long enough for a fault to land inside it.
async fn slow_simulator(seed: u64) -> Simulator {
    let simulator = common::simulator(seed, 20).await;
    common::slow_down(&simulator, Forge::GitHub, 40).await;
    simulator
}

/// What the simulator's truth says of its busiest GitHub account over the
/// year, and that account's login.
fn truth(simulator: &Simulator) -> (String, sim::truth::Truth) {
    let account = common::busiest_on_github(&simulator.world);
    let day = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let truth = sim::truth::truth(&simulator.world, account.id, day(FROM), day(TO));
    (account.username.clone(), truth)
}

async fn create(server: &common::Server, login: &str) -> String {
    let location = post_query(
        &server.url,
        &[
            ("people", format!("github:{login}")),
            ("from", FROM.into()),
            ("to", TO.into()),
        ],
    )
    .await;
    format!("{}{location}", server.url)
}

/// Days fetched so far, read straight from the database.
async fn days_fetched(pool: &sqlx::PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM coverage")
        .fetch_one(pool)
        .await
        .unwrap_or(0)
}

/// Waits until some days, not all, are stored: the fetch is under way.
async fn mid_fetch(pool: &sqlx::PgPool) -> i64 {
    for _ in 0..3000 {
        let days = days_fetched(pool).await;
        if days > 0 {
            return days;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no day was ever fetched");
}

/// Every stored item of the account, and whether any is stored twice.
async fn stored_items(pool: &sqlx::PgPool) -> (i64, i64) {
    sqlx::query_as("SELECT count(*), count(*) - count(DISTINCT (kind, item_id)) FROM contributions")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_process_killed_mid_fetch_leaves_what_another_finishes_exactly() {
    let simulator = slow_simulator(91).await;
    let (login, truth) = truth(&simulator);
    let db = TestDb::new().await;
    let github = simulator.url(Forge::GitHub).unwrap().to_owned();
    let mut doomed = common::start(&db.url, Some((&github, "sim_fault_test")));
    let page_url = create(&doomed, &login).await;
    let _ = get(&page_url).await;
    let before = mid_fetch(db.store.pool()).await;
    doomed.kill();
    let after_kill = days_fetched(db.store.pool()).await;
    assert!(after_kill < 365, "killed after {after_kill} of 365 days");

    // Another process on the same database: the dead one's lease on the
    // account runs out (at most 30 s), then only the missing days are
    // fetched.
    let killed_at = Instant::now();
    let next = common::start(&db.url, Some((&github, "sim_fault_test")));
    let page_url = page_url.replace(&doomed.url, &next.url);
    let html = filled_within(&page_url, Duration::from_secs(150)).await;
    assert!(!html.contains("at least"), "{html}");
    assert_eq!(common::number(&html, "total"), truth.total, "{html}");
    let (items, twice) = stored_items(db.store.pool()).await;
    assert_eq!((items, twice), (i64::try_from(truth.total).unwrap(), 0));
    eprintln!(
        "killed with {before}..{after_kill} of 365 days stored; the next process had the truth \
         ({} items) {:?} later",
        truth.total,
        killed_at.elapsed()
    );
    simulator.stop().await;
}

#[tokio::test]
async fn a_postgres_restart_mid_fetch_ends_at_the_truth_or_a_failure_a_retry_mends() {
    let simulator = slow_simulator(92).await;
    let (login, truth) = truth(&simulator);
    let dir = tempfile::tempdir().unwrap();
    let cluster = PrivateCluster::new(&dir.path().join("postgres"), None).unwrap();
    cluster.start().await.unwrap();
    let github = simulator.url(Forge::GitHub).unwrap().to_owned();
    let server = common::start(&cluster.url(), Some((&github, "sim_fault_test")));
    let page_url = create(&server, &login).await;
    let _ = get(&page_url).await;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&cluster.url())
        .await
        .unwrap();
    let before = mid_fetch(&pool).await;
    pool.close().await;
    let restarted_at = Instant::now();
    cluster.stop().await.unwrap();
    // While it is down, what needs it answers 503 with a time to come back,
    // not 500 (a query never opened, so no cached page stands in).
    let unseen = format!("{}/q/AAAAAAAAAAA", server.url);
    let down = common::client().get(&unseen).send().await.unwrap();
    assert_eq!(down.status(), 503);
    assert_eq!(down.headers()["retry-after"], "5");
    cluster.start().await.unwrap();
    let down_for = restarted_at.elapsed();

    // The page answers again; the fetch either carried on or failed
    // visibly (never a smaller number passed off as the whole).
    let mut html = String::new();
    for _ in 0..600 {
        let (status, body) = get(&page_url).await;
        if status == 200 && !body.contains("Fetching from the forges") {
            html = body;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(!html.is_empty(), "the page never settled after the restart");
    let complete = !html.contains("at least");
    if complete {
        assert_eq!(common::number(&html, "total"), truth.total, "{html}");
    } else {
        assert!(html.contains("days not fetched"), "{html}");
        let hash = page_url.rsplit('/').next().unwrap();
        assert!(
            retry_query(&server.url, &page_url, hash)
                .await
                .status()
                .is_redirection()
        );
        html = filled_within(&page_url, Duration::from_secs(120)).await;
        assert!(!html.contains("at least"), "{html}");
        assert_eq!(common::number(&html, "total"), truth.total, "{html}");
    }
    let pool = sqlx::PgPool::connect(&cluster.url()).await.unwrap();
    let (items, twice) = stored_items(&pool).await;
    assert_eq!((items, twice), (i64::try_from(truth.total).unwrap(), 0));
    eprintln!(
        "PostgreSQL restarted ({down_for:?} down) with {before} of 365 days stored; {}; the truth \
         ({} items) {:?} after the restart",
        if complete {
            "the fetch carried on"
        } else {
            "the account failed visibly and a retry mended it"
        },
        truth.total,
        restarted_at.elapsed()
    );
    pool.close().await;
    drop(server);
    cluster.stop().await.unwrap();
    simulator.stop().await;
}
