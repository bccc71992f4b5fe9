//! Benchmark: a health check of 20 GitHub organisations of 200 repositories
//! each against the simulated GitHub with 50 ms of latency per request.
//! `cargo run --release -p engine --example health_bench -- [organisations] [repositories] [latency ms] [in flight] [token]`
//! (defaults 20, 200, 50, 4, 1: the installation's default requests in
//! flight per forge and token; `token` 0 reads without one, through REST
//! alone). Needs PostgreSQL as the tests do (`TALLY_TEST_DATABASE_URL`).
//!
//! Prints the wall time against the critical path (the longest chain of
//! requests that wait on each other, times the latency) and against the
//! bound the requests in flight set; the requests the simulator served
//! against the planned number; then a repeat within the time to live (no
//! requests) and one after it (conditional REST requests answer 304 Not
//! Modified; GraphQL has no conditional requests, so its pages are read
//! again).
#![allow(
    clippy::unwrap_used,
    clippy::cast_precision_loss,
    reason = "a benchmark stops loudly on what it did not expect; its counts are far below 2^52"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use engine::forge::directory::Directory;
use engine::forge::governor::Governor;
use engine::forge::http::{Limits, Stats};
use engine::forge::{Client, Endpoint};
use engine::health_check::{HealthChecker, HealthSettings};
use engine::store::testing::TestDb;
use model::health_check::LanguageDetail;
use sim::server::faults::Faults;
use sim::server::{SimConfig, Simulator, demo_token};
use sim::world::{Forge, WorldConfig, generate};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u64>().ok());
    let organisations = usize::try_from(args.next().flatten().unwrap_or(20)).unwrap();
    let repositories = usize::try_from(args.next().flatten().unwrap_or(200)).unwrap();
    let latency_ms = args.next().flatten().unwrap_or(50);
    let in_flight = usize::try_from(args.next().flatten().unwrap_or(4)).unwrap();
    let token = args.next().flatten().unwrap_or(1) != 0;

    let mut world = generate(WorldConfig {
        seed: 7,
        people: 60,
        repos: 20,
        years: 1,
        until: Utc::now(),
    });
    let logins: Vec<String> = (0..organisations)
        .map(|n| format!("bench-org-{n}"))
        .collect();
    for login in &logins {
        world.add_organisation(Forge::GitHub, login, repositories);
    }
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
    config.github.core.units = 100_000;
    config.github.unauthenticated_core.units = 100_000;
    let simulator = Simulator::start(Arc::new(world), config).await.unwrap();
    let endpoint = Endpoint {
        forge: Forge::GitHub,
        api_url: simulator.url(Forge::GitHub).unwrap().to_owned(),
        token: token.then(|| demo_token(Forge::GitHub).to_owned()),
        scope: Vec::new(),
    };
    let directory = Arc::new(Directory::with_limits(vec![endpoint], move || {
        let mut limits = Limits::new(Arc::new(Governor::default()));
        limits.permits = Arc::new(tokio::sync::Semaphore::new(in_flight));
        limits
    }));
    let db = TestDb::new().await;
    let root = simulator
        .url(Forge::GitHub)
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    let addresses: Vec<String> = logins.iter().map(|l| format!("{root}/{l}")).collect();
    let checker = |fresh_for| {
        HealthChecker::new(
            db.store.clone(),
            directory.clone(),
            HealthSettings {
                fresh_for,
                ..HealthSettings::default()
            },
        )
    };
    let stats = || {
        let client = directory.client_at(Forge::GitHub, None).unwrap();
        let Client::GitHub(github) = &*client else {
            unreachable!("a GitHub endpoint has a GitHub client")
        };
        let stats = &github.http().stats;
        (Stats::get(&stats.requests), Stats::get(&stats.not_modified))
    };

    // Per organisation: its owner and its pages of 100 (GraphQL, one after
    // another), or without a token its owner, its pages side by side, then
    // each repository.
    let pages = repositories.div_ceil(100).max(1);
    let (planned, chain) = if token {
        (organisations * (1 + pages), 1 + pages)
    } else {
        (organisations * (1 + pages + repositories), 3)
    };
    let started = Instant::now();
    let first = checker(chrono::Duration::minutes(15))
        .check(&addresses, LanguageDetail::Primary)
        .await
        .unwrap();
    let wall = started.elapsed().as_secs_f64();
    let served = simulator.requests(Forge::GitHub);
    let latency = Duration::from_millis(latency_ms).as_secs_f64();
    let critical = chain as f64 * latency;
    let bound = (planned as f64 * latency / in_flight as f64).max(critical);
    println!(
        "{organisations} organisations × {repositories} repositories, {latency_ms} ms latency, {in_flight} requests in flight"
    );
    println!(
        "{} first check: {wall:.2} s; critical path {critical:.2} s ({chain} requests one after another), wall/critical {:.1}; bound by requests in flight {bound:.2} s, wall/bound {:.2}",
        if token { "GraphQL" } else { "REST" },
        wall / critical,
        wall / bound
    );
    println!(
        "requests: {served} served, {planned} planned ({})",
        if served == planned as u64 {
            "exact"
        } else {
            "DIFFERENT"
        }
    );
    println!(
        "repositories counted: {}",
        first.data.total.repositories.total
    );

    let started = Instant::now();
    let again = checker(chrono::Duration::minutes(15))
        .check(&addresses, LanguageDetail::Primary)
        .await
        .unwrap();
    println!(
        "within the time to live: {} requests, {:.3} s",
        simulator.requests(Forge::GitHub) - served,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(again.data, first.data);

    let (requests_before, unchanged_before) = stats();
    let started = Instant::now();
    let after = checker(chrono::Duration::zero())
        .check(&addresses, LanguageDetail::Primary)
        .await
        .unwrap();
    let (requests, unchanged) = stats();
    println!(
        "after the time to live: {} requests, {} of them 304 Not Modified, {:.2} s",
        requests - requests_before,
        unchanged - unchanged_before,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(after.data.total, first.data.total);
    simulator.stop().await;
}
