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
use engine::store::tracker::RepoId;
use model::report::{ReportPatterns, TallyKind};

const SEED: &str = "
WITH repo AS (SELECT $1::bigint AS id),
span AS (SELECT 3 * 365 * 86400 AS seconds)
INSERT INTO tracked_issues (repository_id, number, title, body, url, status, author, labels,
                            assignees, comments, created_at, updated_at, closed_at)
SELECT repo.id, n, 'Issue ' || n, '', 'https://example.invalid/issues/' || n,
       CASE WHEN n % 5 < 3 THEN 'closed' ELSE 'open' END,
       'dev' || (n * 7919 % 300),
       CASE n % 7 WHEN 0 THEN ARRAY['bug'] WHEN 1 THEN ARRAY['performance', 'ui']
                  WHEN 2 THEN ARRAY['type: bug', 'regression'] ELSE ARRAY['enhancement'] END,
       ARRAY[]::text[], 3, c, c,
       CASE WHEN n % 5 < 3 THEN least(now(), c + make_interval(secs => (n * 977) % (60 * 86400))) END
FROM repo, span, generate_series(1, $2) n,
     LATERAL (SELECT now() - make_interval(secs => (n::bigint * 2371) % span.seconds) AS c) t";

const COMMENTS: &str = "
INSERT INTO issue_comments (repository_id, issue_number, id, author, body, url, created_at)
SELECT i.repository_id, i.number, i.number || '-' || k, 'dev' || ((i.number + k * 31) % 300), '',
       NULL, least(now(), i.created_at + make_interval(secs => k * 3600 * (1 + i.number % 50)))
FROM tracked_issues i, generate_series(1, 3) k WHERE i.repository_id = $1";

const CHANGES: &str = "
INSERT INTO tracked_changes (repository_id, number, title, url, author, state, created_at,
                             updated_at, merged_at, closed_at)
SELECT $1, n, 'Change ' || n, 'https://example.invalid/pull/' || n, 'dev' || (n * 13 % 300),
       CASE WHEN n % 10 < 7 THEN 'merged' WHEN n % 10 < 9 THEN 'closed' ELSE 'open' END, c, c,
       CASE WHEN n % 10 < 7 THEN least(now(), c + interval '2 days') END,
       CASE WHEN n % 10 < 9 THEN least(now(), c + interval '2 days') END
FROM generate_series(1, $2) n,
     LATERAL (SELECT now() - make_interval(secs => (n::bigint * 4271) % (3 * 365 * 86400)) AS c) t";

const REVIEWS: &str = "
INSERT INTO change_reviews (repository_id, change_number, id, reviewer, verdict, submitted_at)
SELECT repository_id, number, number || '-' || k, 'dev' || ((number + k * 17) % 300), 'approved',
       least(now(), created_at + make_interval(hours => k))
FROM tracked_changes, generate_series(1, 2) k WHERE repository_id = $1";

const COMMITS: &str = "
INSERT INTO tracked_commits (repository_id, sha, author, authored_at, title, url)
SELECT $1, md5(n::text), 'dev' || (n * 31 % 300),
       now() - make_interval(secs => (n::bigint * 947) % (3 * 365 * 86400)), 'Commit', 'u'
FROM generate_series(1, $2) n";

async fn seed(db: &TestDb, issues: i64, changes: i64, commits: i64) -> RepoId {
    let pool = db.store.pool();
    let id: RepoId = sqlx::query_scalar(
        "INSERT INTO tracked_repositories (forge, instance, path, url, watermark, last_synced_at,
             changes_watermark, commits_watermark)
         VALUES ('github', 'github.com', 'bench/big', 'https://example.invalid', now(), now(),
                 now(), now())
         RETURNING id",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    for (sql, n) in [
        (SEED, Some(issues)),
        (COMMENTS, None),
        (CHANGES, Some(changes)),
        (REVIEWS, None),
        (COMMITS, Some(commits)),
    ] {
        let mut query = sqlx::query(sql).bind(id);
        if let Some(n) = n {
            query = query.bind(n);
        }
        query.execute(pool).await.unwrap();
    }
    sqlx::query(
        "ANALYZE tracked_issues, issue_comments, tracked_changes, change_reviews, tracked_commits",
    )
    .execute(pool)
    .await
    .unwrap();
    id
}

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
    let id = seed(&db, issues, changes, commits).await;
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
