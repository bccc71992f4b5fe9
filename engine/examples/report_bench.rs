//! Benchmark: a repository report over a large kept repository.
//! `cargo run --release -p engine --example report_bench -- [issues] [pull requests] [commits]`
//! (defaults 40000, 20000, 100000). Needs PostgreSQL as the tests do
//! (`TALLY_TEST_DATABASE_URL`, else 127.0.0.1:5432).
//!
//! Writes the rows with SQL (what the sync stores, without syncing for an
//! hour): the issues with three comments each, the pull requests with two
//! reviews each, the commits, by 300 accounts over three years. Then times
//! the report over the last year and over all three, the first time and
//! then 20 times more, and prints the figures as a table and JSON lines.
#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops loudly on what it did not expect"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use engine::forge::directory::Directory;
use engine::reports::{ReportRequest, ReportSettings, Reports};
use engine::store::testing::TestDb;
use model::forge::Forge;
use model::report::{ReportPatterns, TallyKind};

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<i64>().ok());
    let issues = args.next().flatten().unwrap_or(40_000);
    let changes = args.next().flatten().unwrap_or(20_000);
    let commits = args.next().flatten().unwrap_or(100_000);

    let db = TestDb::new().await;
    let seeding = Instant::now();
    let plan = engine::seed::ReportPlan {
        issues,
        pulls: changes,
        commits,
    };
    let id = engine::seed::seed_report_on(&db.store, Forge::GitHub, "github.com", &plan)
        .await
        .unwrap();
    println!(
        "seeded {issues} issues ({} comments), {changes} pull requests ({} reviews), {commits} commits in {:.1} s",
        issues * 3,
        changes * 2,
        seeding.elapsed().as_secs_f64()
    );
    let reports = Reports::new(
        db.store.clone(),
        Arc::new(Directory::new(Vec::new())),
        None,
        ReportSettings::default(),
    );
    let today = Utc::now().date_naive();
    println!("| range | first (ms) | median (ms) | p95 (ms) | people | commits counted |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    let mut lines = Vec::new();
    for (name, days) in [("last year", 364), ("three years", 3 * 365)] {
        let request = ReportRequest {
            repositories: vec![id],
            from: today - chrono::Duration::days(days),
            to: today,
            patterns: ReportPatterns::default(),
            people: Vec::new(),
            at: Utc::now(),
        };
        let started = Instant::now();
        let report = reports.report(&request).await.unwrap();
        let first = started.elapsed();
        let mut times: Vec<Duration> = Vec::new();
        for _ in 0..20 {
            let started = Instant::now();
            reports.report(&request).await.unwrap();
            times.push(started.elapsed());
        }
        times.sort();
        let median = times[times.len() / 2];
        let p95 = times[(times.len() * 95).div_ceil(100) - 1];
        let counted: u64 = report
            .people
            .iter()
            .map(|p| p.counts.get(TallyKind::Commits))
            .sum();
        println!(
            "| {name} | {:.0} | {:.0} | {:.0} | {} | {counted} |",
            millis(first),
            millis(median),
            millis(p95),
            report.people.len()
        );
        lines.push(format!(
            "{{\"name\":\"report, {name}\",\"first_ms\":{:.1},\"median_ms\":{:.1},\"p95_ms\":{:.1},\"people\":{},\"commits\":{counted}}}",
            millis(first),
            millis(median),
            millis(p95),
            report.people.len()
        ));
    }
    for line in lines {
        println!("{line}");
    }
}
