//! Benchmark: discovery crawling the simulated GitHub within a share of its
//! rate limit, as the task runs do it (each profile sync a run, put off to
//! the reset when the share is spent, resumed after its last step).
//! `cargo run --release -p engine --example crawl_bench -- [developers] [latency ms] [window s] [runs at once] [minutes]`
//! (defaults 10000, 50, 10, 16, no limit). With a limit in minutes, no new
//! batch starts after it and the figures are those of the developers synced. The budget is GitHub's 5,000 a window and
//! discovery's share 0.5; the window is scaled down from an hour so the
//! run ends in minutes (the bound it is compared with scales alike).
//! Needs PostgreSQL as the tests do (`TALLY_TEST_DATABASE_URL`).
//!
//! Prints developers synced and reached, requests per developer, the wall
//! time against the bound the budget sets, and the most any window used
//! against the share, read from the simulator's own counts.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use engine::discovery::{Discovery, DiscoverySettings, Outcome};
use engine::forge::directory::Directory;
use engine::forge::governor::{Governor, Patience};
use engine::forge::{Endpoint, http::Limits};
use engine::store::testing::TestDb;
use futures_util::StreamExt;
use model::ids::TaskRunId;
use model::tasks::TaskRequest;
use sim::server::budget::Limit;
use sim::server::faults::Faults;
use sim::server::{SimConfig, Simulator, demo_token};
use sim::world::{Forge, WorldConfig, generate};

const LIMIT: u32 = 5000;
const SHARE: f64 = 0.5;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u64>().ok());
    let target = usize::try_from(args.next().flatten().unwrap_or(10_000)).unwrap();
    let latency_ms = args.next().flatten().unwrap_or(50);
    let window = Duration::from_secs(args.next().flatten().unwrap_or(10));
    let at_once = usize::try_from(args.next().flatten().unwrap_or(16)).unwrap();
    let time_limit = args.next().flatten().map(|m| Duration::from_secs(m * 60));

    let started = Instant::now();
    let world = Arc::new(generate(WorldConfig {
        seed: 2026,
        people: target + target / 4,
        repos: target / 2,
        years: 1,
        until: Utc::now(),
    }));
    let accounts = world
        .accounts
        .iter()
        .filter(|a| a.forge == Forge::GitHub && !a.deleted)
        .count();
    println!(
        "world: {accounts} GitHub accounts, {} repositories ({:.1} s to generate)",
        world.repos.len(),
        started.elapsed().as_secs_f64()
    );
    let mut config = SimConfig {
        faults: [(
            Forge::GitHub,
            Faults {
                latency_ms,
                ..Faults::default()
            },
        )]
        .into(),
        ..SimConfig::default()
    };
    config.github.core = Limit {
        units: LIMIT,
        window,
    };
    let simulator = Simulator::start(world.clone(), config).await.unwrap();
    let db = TestDb::new().await;
    let token = demo_token(Forge::GitHub);
    let endpoint = Endpoint {
        forge: Forge::GitHub,
        api_url: simulator.url(Forge::GitHub).unwrap().to_owned(),
        token: Some(token.to_owned()),
        scope: Vec::new(),
    };
    let directory = Directory::with_limits(vec![endpoint], move || {
        let mut limits = Limits::new(Arc::new(Governor::with_patience(SHARE, Patience::Defer)));
        limits.permits = Arc::new(tokio::sync::Semaphore::new(at_once));
        limits
    });
    let discovery = Arc::new(Discovery::new(
        db.store.clone(),
        Arc::new(directory),
        DiscoverySettings::default(),
    ));

    let seed = world
        .accounts
        .iter()
        .filter(|a| a.forge == Forge::GitHub && !a.deleted)
        .max_by_key(|a| a.followers.len() + a.following.len())
        .unwrap()
        .username
        .clone();
    let crawl = Instant::now();
    let (mut deferrals, mut failures) = (0u64, 0u64);
    let mut synced = 0usize;
    let mut batch = vec![seed];
    while synced < target
        && !batch.is_empty()
        && time_limit.is_none_or(|limit| crawl.elapsed() < limit)
    {
        let mut runs = Vec::new();
        for login in &batch {
            let request = TaskRequest::FullProfileSync {
                forge: Forge::GitHub,
                username: login.clone(),
            };
            runs.push(db.store.create_run(&request, "bench", None).await.unwrap());
        }
        let outcomes: Vec<(u64, u64)> = futures_util::stream::iter(runs)
            .map(|run| run_to_the_end(&discovery, run))
            .buffer_unordered(at_once)
            .collect()
            .await;
        deferrals += outcomes.iter().map(|o| o.0).sum::<u64>();
        failures += outcomes.iter().map(|o| o.1).sum::<u64>();
        synced += batch.len();
        let wanted = i64::try_from((target - synced).min(at_once * 8)).unwrap();
        batch = db
            .store
            .frontier(
                Forge::GitHub,
                &instance(&simulator),
                Utc::now() - chrono::Duration::days(1),
                wanted,
            )
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.login)
            .collect();
    }
    let wall = crawl.elapsed().as_secs_f64();
    let requests = simulator.requests(Forge::GitHub);
    let usage = simulator.budget_usage(Forge::GitHub, Some(token), "core");
    let reached: i64 = sqlx::query_scalar("SELECT count(*) FROM developers")
        .fetch_one(db.store.pool())
        .await
        .unwrap();
    let share = f64::from(LIMIT) * SHARE;
    #[allow(
        clippy::cast_precision_loss,
        reason = "request counts far below 2^52 are exact as f64"
    )]
    let (bound, per_developer) = (
        requests as f64 / share * window.as_secs_f64(),
        requests as f64 / synced.max(1) as f64,
    );
    let most = usage.iter().copied().max().unwrap_or(0);
    println!("synced {synced} developers, reached {reached}, in {wall:.1} s");
    println!(
        "requests: {requests} ({per_developer:.2} per developer synced); {deferrals} deferrals, {failures} failed attempts"
    );
    let failed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM task_runs WHERE state <> 'succeeded'")
            .fetch_one(db.store.pool())
            .await
            .unwrap();
    println!("runs not succeeded: {failed}");
    println!(
        "budget bound: {bound:.1} s ({requests} requests at {share} per {} s window); wall/bound {:.2}",
        window.as_secs(),
        wall / bound
    );
    println!(
        "most used in one window: {most} of the share {share} (limit {LIMIT}); windows: {}",
        usage.len()
    );
    assert!(f64::from(most) <= share, "the share was exceeded");
    simulator.stop().await;
}

fn instance(simulator: &Simulator) -> String {
    engine::forge::instance_of(simulator.url(Forge::GitHub).unwrap())
}

/// Executes `run` as the job queue would: waiting out each deferral, and
/// trying again after a failure worth retrying (the run gives up by itself
/// after five). Answers the deferrals and the failed attempts.
async fn run_to_the_end(discovery: &Discovery, run: TaskRunId) -> (u64, u64) {
    let (mut deferrals, mut failures) = (0, 0);
    loop {
        match discovery.execute(run).await {
            Ok(Outcome::Finished) => return (deferrals, failures),
            Ok(Outcome::Deferred(until)) => {
                deferrals += 1;
                let wait = (until - Utc::now()).to_std().unwrap_or_default();
                tokio::time::sleep(wait + Duration::from_millis(20)).await;
            }
            Err(error) => {
                failures += 1;
                eprintln!("run {run} failed an attempt: {error}");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}
