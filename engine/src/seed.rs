//! Synthetic data for load tests: a query over many people whose cache is
//! already full, a person's tracker full of issues, a repository big
//! enough to report on; measuring them touches no forge.

use chrono::{Duration, NaiveDate, NaiveTime};
use model::contribution::{Contribution, ContributionKind, Status};
use model::forge::Forge;
use model::query::{AccountSpec, PersonSpec, QuerySpec};

use crate::error::Result;
use crate::store::{Store, bigint};
use model::query::AccountState;

/// What to make up.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub people: usize,
    /// In all, shared evenly between the people.
    pub contributions: usize,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// The `n`th made-up item of a person: spread over the days, kinds and 40
/// repositories by fixed strides, so the same plan gives the same data.
fn item(username: &str, person: usize, n: usize, plan: &Plan) -> Contribution {
    let kind = ContributionKind::ALL[(n * 31 + person) % ContributionKind::ALL.len()];
    let seconds = (plan.to - plan.from + Duration::days(1))
        .num_seconds()
        .max(1);
    // Made-up strides: any wrap would still land inside the range.
    let stride = (n.wrapping_mul(7_919)).wrapping_add(person.wrapping_mul(104_729));
    let offset = i64::try_from(stride).unwrap_or(i64::MAX) % seconds;
    let mut item = Contribution::new(Forge::GitHub, "github.com", kind, username);
    item.id = format!("seed-{person}-{n}");
    item.repository = format!("seed/repo-{}", (n * 13 + person) % 40);
    item.title = format!("Made-up {} number {n}", kind.label().to_lowercase());
    item.url = format!("https://github.com/{}/pull/{n}", item.repository);
    item.status = match kind {
        ContributionKind::Commit | ContributionKind::Review | ContributionKind::IssueComment => {
            None
        }
        _ => Some(Status::ALL[n % Status::ALL.len()]),
    };
    item.occurred_at = plan.from.and_time(NaiveTime::MIN).and_utc() + Duration::seconds(offset);
    item
}

/// Stores the plan's people (GitHub accounts `seed-person-N`) with their
/// days marked fetched, and saves the query over all of them; returns its hash.
pub async fn seed(store: &Store, plan: &Plan) -> Result<model::query::QueryHash> {
    let each = plan.contributions / plan.people.max(1);
    let mut people = Vec::new();
    for person in 0..plan.people {
        let username = format!("seed-person-{person}");
        let account = AccountSpec {
            forge: Forge::GitHub,
            instance: None,
            username: username.clone(),
        };
        let id = store.identity(&account).await?;
        let items: Vec<_> = (0..each)
            .map(|n| item(&username, person, n, plan))
            .collect();
        store.replace_days(id, plan.from, plan.to, &items).await?;
        store.set_identity_state(id, AccountState::Ok, None).await?;
        people.push(PersonSpec {
            name: Some(format!("Person {person}")),
            accounts: vec![account],
        });
    }
    let spec = QuerySpec {
        people,
        from: plan.from,
        to: plan.to,
        kinds: Vec::new(),
        statuses: Vec::new(),
        include_repos: Vec::new(),
        exclude_repos: Vec::new(),
    };
    store.save_query(&spec).await
}

/// What to make up for the issue tracker.
#[derive(Debug, Clone, Copy)]
pub struct TrackerPlan {
    pub issues: usize,
    pub repositories: usize,
}

/// The person who signed in with `forge:username`, and that account's
/// forge instance.
async fn signed_in(store: &Store, forge: Forge, username: &str) -> Result<(i64, String)> {
    sqlx::query_as(
        "SELECT user_id, instance FROM linked_accounts
         WHERE forge = $1 AND lower(username) = lower($2) ORDER BY id LIMIT 1",
    )
    .bind(forge.key())
    .bind(username)
    .fetch_optional(store.pool())
    .await?
    .ok_or_else(|| {
        crate::Error::Invalid(format!(
            "nobody signed in with {}:{username}: sign in first",
            forge.key()
        ))
    })
}

/// Made-up repositories (`seed/tracker-N`) full of issues with labels,
/// assignees and comments, subscribed to by the person who signed in with
/// `forge:username`, as synced just now (so no sync runs for a while).
/// Returns how many items that person's list has.
pub async fn seed_tracker(
    store: &Store,
    forge: Forge,
    username: &str,
    plan: &TrackerPlan,
) -> Result<i64> {
    let (user, instance) = signed_in(store, forge, username).await?;
    let mut tx = store.pool().begin().await?;
    let repositories: Vec<i64> = sqlx::query_scalar(
        "INSERT INTO tracked_repositories
             (forge, instance, path, url, last_synced_at, last_full_sync_at, watermark)
         SELECT $1, $2, 'seed/tracker-' || g, 'https://example.invalid/seed/tracker-' || g,
                now(), now(), now()
         FROM generate_series(1, $3) g
         ON CONFLICT (forge, instance, path) DO UPDATE SET last_synced_at = now()
         RETURNING id",
    )
    .bind(forge.key())
    .bind(&instance)
    .bind(bigint(plan.repositories)?)
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO subscriptions (user_id, repository_id)
         SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING",
    )
    .bind(user)
    .bind(&repositories)
    .execute(&mut *tx)
    .await?;
    // Strides instead of randomness: the same plan makes the same data.
    sqlx::query(
        "INSERT INTO tracked_issues (repository_id, number, title, body, url, status, author,
             labels, assignees, comments, created_at, updated_at, closed_at)
         SELECT ($1::bigint[])[1 + g % cardinality($1::bigint[])], g,
                'Seeded issue ' || g || ': ' || (ARRAY['crash in parser', 'slow cache', 'login flow fails',
                    'search index stale', 'build script breaks', 'dates off by one'])[1 + g % 6],
                'Steps to reproduce number ' || g || '.',
                'https://example.invalid/seed/issues/' || g,
                CASE WHEN g % 3 = 0 THEN 'closed' ELSE 'open' END,
                'person-' || (g * 7 % 97),
                CASE g % 6 WHEN 0 THEN ARRAY['bug'] WHEN 1 THEN ARRAY['bug', 'performance']
                           WHEN 2 THEN ARRAY['question'] WHEN 3 THEN ARRAY['enhancement', 'good first issue']
                           WHEN 4 THEN ARRAY['documentation'] ELSE ARRAY[]::text[] END,
                CASE WHEN g % 2 = 0 THEN ARRAY['person-' || (g * 13 % 31)] ELSE ARRAY[]::text[] END,
                g % 4,
                now() - make_interval(mins => (g * 3)::int),
                now() - make_interval(mins => g::int),
                CASE WHEN g % 3 = 0 THEN now() - make_interval(mins => g::int) END
         FROM generate_series(1, $2) g
         ON CONFLICT (repository_id, number) DO NOTHING",
    )
    .bind(&repositories)
    .bind(bigint(plan.issues)?)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO issue_comments (repository_id, issue_number, id, author, body, url, created_at)
         SELECT i.repository_id, i.number, i.number || '-' || c, 'person-' || c,
                'Comment ' || c || ' on issue ' || i.number, NULL, i.created_at + make_interval(mins => c::int)
         FROM tracked_issues i, generate_series(1, i.comments) c
         WHERE i.repository_id = ANY($1)
         ON CONFLICT DO NOTHING",
    )
    .bind(&repositories)
    .execute(&mut *tx)
    .await?;
    store.commit_change(tx).await?;
    store.refresh_statistics().await?;
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM tracked_issues i JOIN subscriptions s
           ON s.repository_id = i.repository_id AND s.user_id = $1",
    )
    .bind(user)
    .fetch_one(store.pool())
    .await?)
}

/// How big a made-up repository to report on.
#[derive(Debug, Clone, Copy)]
pub struct ReportPlan {
    pub issues: i64,
    pub pulls: i64,
    pub commits: i64,
}

// Strides instead of randomness, by 300 accounts over three years: the
// issues with three comments each, pull requests with two reviews each.
const REPORT_ISSUES: &str = "
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

const REPORT_COMMENTS: &str = "
INSERT INTO issue_comments (repository_id, issue_number, id, author, body, url, created_at)
SELECT i.repository_id, i.number, i.number || '-' || k, 'dev' || ((i.number + k * 31) % 300), '',
       NULL, least(now(), i.created_at + make_interval(secs => k * 3600 * (1 + i.number % 50)))
FROM tracked_issues i, generate_series(1, 3) k WHERE i.repository_id = $1";

const REPORT_CHANGES: &str = "
INSERT INTO tracked_changes (repository_id, number, title, url, author, state, created_at,
                             updated_at, merged_at, closed_at)
SELECT $1, n, 'Change ' || n, 'https://example.invalid/pull/' || n, 'dev' || (n * 13 % 300),
       CASE WHEN n % 10 < 7 THEN 'merged' WHEN n % 10 < 9 THEN 'closed' ELSE 'open' END, c, c,
       CASE WHEN n % 10 < 7 THEN least(now(), c + interval '2 days') END,
       CASE WHEN n % 10 < 9 THEN least(now(), c + interval '2 days') END
FROM generate_series(1, $2) n,
     LATERAL (SELECT now() - make_interval(secs => (n::bigint * 4271) % (3 * 365 * 86400)) AS c) t";

const REPORT_REVIEWS: &str = "
INSERT INTO change_reviews (repository_id, change_number, id, reviewer, verdict, submitted_at)
SELECT repository_id, number, number || '-' || k, 'dev' || ((number + k * 17) % 300), 'approved',
       least(now(), created_at + make_interval(hours => k))
FROM tracked_changes, generate_series(1, 2) k WHERE repository_id = $1";

const REPORT_COMMITS: &str = "
INSERT INTO tracked_commits (repository_id, sha, author, authored_at, title, url)
SELECT $1, md5(n::text), 'dev' || (n * 31 % 300),
       now() - make_interval(secs => (n::bigint * 947) % (3 * 365 * 86400)), 'Commit', 'u'
FROM generate_series(1, $2) n";

/// Keeps the public repository `seed/report` on the forge instance of the
/// account `forge:username` someone signed in with (see
/// [`seed_report_on`]); returns its id.
pub async fn seed_report(
    store: &Store,
    forge: Forge,
    username: &str,
    plan: &ReportPlan,
) -> Result<crate::store::tracker::RepoId> {
    let (_, instance) = signed_in(store, forge, username).await?;
    seed_report_on(store, forge, &instance, plan).await
}

/// Keeps the public repository `seed/report` on `forge`'s `instance`, as
/// read just now and kept for reports a month, full of the plan's issues
/// (three comments each), pull requests (two reviews each) and commits;
/// returns its id. Replaces what an earlier seed made.
pub async fn seed_report_on(
    store: &Store,
    forge: Forge,
    instance: &str,
    plan: &ReportPlan,
) -> Result<crate::store::tracker::RepoId> {
    let pool = store.pool();
    sqlx::query("DELETE FROM tracked_repositories WHERE forge = $1 AND instance = $2 AND path = 'seed/report'")
        .bind(forge.key())
        .bind(instance)
        .execute(pool)
        .await?;
    let id = sqlx::query_scalar(
        "INSERT INTO tracked_repositories (forge, instance, path, url, watermark, last_synced_at,
             last_full_sync_at, changes_watermark, commits_watermark, report_until)
         VALUES ($1, $2, 'seed/report', 'https://example.invalid/seed/report', now(), now(),
                 now(), now(), now(), now() + interval '30 days')
         RETURNING id",
    )
    .bind(forge.key())
    .bind(instance)
    .fetch_one(pool)
    .await?;
    for (sql, n) in [
        (REPORT_ISSUES, Some(plan.issues)),
        (REPORT_COMMENTS, None),
        (REPORT_CHANGES, Some(plan.pulls)),
        (REPORT_REVIEWS, None),
        (REPORT_COMMITS, Some(plan.commits)),
    ] {
        let mut query = sqlx::query(sql).bind(id);
        if let Some(n) = n {
            query = query.bind(n);
        }
        query.execute(pool).await?;
    }
    sqlx::query(
        "ANALYZE tracked_issues, issue_comments, tracked_changes, change_reviews, tracked_commits",
    )
    .execute(pool)
    .await?;
    Ok(id)
}
