//! What a repository report reads of the tracker's tables: the issues of a
//! set of repositories and the comments on them. Gerrit's rows are changes,
//! not issues, and are left out.

use chrono::{DateTime, NaiveDate, Utc};
use model::report::{ItemPerson, ReportItem, TallyKind};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::Store;
use super::accounts::forge_of;
use super::discovery_list::{Slice, decode_cursor, encode_cursor, turn_page};
use super::tracker::RepoId;
use crate::error::Result;
use model::forge::Forge;

/// One issue as a report needs it.
#[derive(Debug, Clone)]
pub struct IssueFact {
    pub repository: RepoId,
    pub forge: Forge,
    pub instance: String,
    pub number: u64,
    pub author: Option<String>,
    pub labels: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// The last close, while closed.
    pub closed_at: Option<DateTime<Utc>>,
    pub open: bool,
}

/// One comment on an issue.
#[derive(Debug, Clone)]
pub struct CommentFact {
    pub repository: RepoId,
    pub issue_number: u64,
    pub author: Option<String>,
    pub created_at: DateTime<Utc>,
}

fn number(value: i64) -> u64 {
    u64::try_from(value).unwrap_or_default()
}

impl Store {
    /// The issues of `repositories` a report over `[from, until)` at `at`
    /// looks at: opened or closed in the range, or open at `at`.
    pub async fn report_issues(
        &self,
        repositories: &[RepoId],
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<Vec<IssueFact>> {
        let rows = sqlx::query(
            "SELECT i.repository_id, r.forge, r.instance, i.number, i.author, i.labels,
                    i.created_at, i.closed_at, i.status = 'open' AS open
             FROM tracked_issues i JOIN tracked_repositories r ON r.id = i.repository_id
             WHERE i.repository_id = ANY($1) AND r.forge <> 'gerrit'
               AND ((i.created_at >= $2 AND i.created_at < $3)
                    OR (i.closed_at >= $2 AND i.closed_at < $3)
                    OR (i.created_at <= $4 AND (i.status = 'open' OR i.closed_at > $4)))
             ORDER BY i.repository_id, i.number",
        )
        .bind(repositories)
        .bind(from)
        .bind(until)
        .bind(at)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(IssueFact {
                    repository: row.try_get("repository_id")?,
                    forge: forge_of(row.try_get("forge")?)?,
                    instance: row.try_get("instance")?,
                    number: number(row.try_get("number")?),
                    author: row.try_get("author")?,
                    labels: row.try_get("labels")?,
                    created_at: row.try_get("created_at")?,
                    closed_at: row.try_get("closed_at")?,
                    open: row.try_get("open")?,
                })
            })
            .collect()
    }

    /// The comments on `repositories`' issues opened in `[from, until)`
    /// (their first answers may come later), oldest first. (Comments are
    /// counted with the other acts, in SQL.)
    pub async fn report_comments(
        &self,
        repositories: &[RepoId],
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<CommentFact>> {
        let rows = sqlx::query(
            "SELECT c.repository_id, c.issue_number, c.author, c.created_at
             FROM issue_comments c
             JOIN tracked_issues i ON i.repository_id = c.repository_id AND i.number = c.issue_number
             JOIN tracked_repositories r ON r.id = c.repository_id
             WHERE c.repository_id = ANY($1) AND r.forge <> 'gerrit'
               AND i.created_at >= $2 AND i.created_at < $3
             ORDER BY c.created_at, c.repository_id, c.issue_number, c.id",
        )
        .bind(repositories)
        .bind(from)
        .bind(until)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(CommentFact {
                    repository: row.try_get("repository_id")?,
                    issue_number: number(row.try_get("issue_number")?),
                    author: row.try_get("author")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }
}

/// A repository of a report: where it is, and what its sync could not read.
#[derive(Debug, Clone)]
pub struct RepositoryFact {
    pub id: RepoId,
    pub forge: Forge,
    pub instance: String,
    pub path: String,
    pub url: String,
    /// The issues' watermark: `None` until a first sync ends.
    pub read_until: Option<DateTime<Utc>>,
    /// The last sync's failure, while it failed.
    pub problem: Option<String>,
    /// The pull requests' and commits' watermarks: `None` until their
    /// first sync ends (or while the forge keeps no such list).
    pub changes_read_until: Option<DateTime<Utc>>,
    pub commits_read_until: Option<DateTime<Utc>>,
    pub changes_unavailable: Option<String>,
    pub commits_unavailable: Option<String>,
}

impl RepositoryFact {
    /// Whether every list a report reads has been read once (or is one the
    /// forge does not keep): until then a report would count zeros.
    pub fn is_read(&self) -> bool {
        self.read_until.is_some()
            && (self.changes_read_until.is_some() || self.changes_unavailable.is_some())
            && (self.commits_read_until.is_some() || self.commits_unavailable.is_some())
    }
}

/// How many acts of one kind one account did in one repository in the range.
#[derive(Debug, Clone)]
pub struct PersonCount {
    pub repository: RepoId,
    pub who: String,
    pub kind: TallyKind,
    pub count: u64,
}

/// How many acts of one kind everyone did in one week (its Monday, UTC).
#[derive(Debug, Clone)]
pub struct WeekCount {
    pub week: NaiveDate,
    pub kind: TallyKind,
    pub count: u64,
}

/// A report's counts of acts: per account, and per week.
#[derive(Debug, Clone, Default)]
pub struct ActivityCounts {
    pub people: Vec<PersonCount>,
    pub weeks: Vec<WeekCount>,
}

/// An account's first act in the repositories, and the months it acted in
/// within the range.
#[derive(Debug, Clone)]
pub struct ActiveMonths {
    pub forge: Forge,
    pub instance: String,
    pub who: String,
    pub first: DateTime<Utc>,
    /// First instants of the months, UTC.
    pub months: Vec<DateTime<Utc>>,
}

/// Each kind of act as rows `(repository_id, who, at, title, url, key)`
/// of the repositories `$1`: who did it, when it counts, what it is (a
/// review's or comment's title is that of what it is on) and its key in
/// the repository. Counts, contributor months and item lists all read
/// these, so a count and the items behind it cannot disagree. Gerrit's
/// tracker rows are changes, counted as pull requests, not issues.
fn acts_of(kind: TallyKind) -> &'static str {
    match kind {
        TallyKind::Commits => {
            "SELECT repository_id, author AS who, authored_at AS at, title, url, sha AS key
               FROM tracked_commits WHERE repository_id = ANY($1)"
        }
        TallyKind::PullsOpened => {
            "SELECT repository_id, author AS who, created_at AS at, title, url, number::text AS key
               FROM tracked_changes WHERE repository_id = ANY($1)"
        }
        TallyKind::PullsMerged => {
            "SELECT repository_id, author AS who, merged_at AS at, title, url, number::text AS key
               FROM tracked_changes WHERE repository_id = ANY($1) AND merged_at IS NOT NULL"
        }
        // A review may be kept before its change (GitLab's events).
        TallyKind::Reviews => {
            "SELECT v.repository_id, v.reviewer AS who, v.submitted_at AS at,
                    coalesce(c.title, 'change ' || v.change_number) AS title,
                    coalesce(c.url, r.url) AS url, v.id AS key
               FROM change_reviews v
               JOIN tracked_repositories r ON r.id = v.repository_id
               LEFT JOIN tracked_changes c
                 ON c.repository_id = v.repository_id AND c.number = v.change_number
              WHERE v.repository_id = ANY($1)"
        }
        TallyKind::IssuesOpened => {
            "SELECT i.repository_id, i.author AS who, i.created_at AS at, i.title, i.url,
                    i.number::text AS key
               FROM tracked_issues i JOIN tracked_repositories r ON r.id = i.repository_id
              WHERE i.repository_id = ANY($1) AND r.forge <> 'gerrit'"
        }
        TallyKind::IssueComments => {
            "SELECT c.repository_id, c.author AS who, c.created_at AS at, i.title,
                    coalesce(c.url, i.url) AS url, c.issue_number || '/' || c.id AS key
               FROM issue_comments c
               JOIN tracked_issues i ON i.repository_id = c.repository_id AND i.number = c.issue_number
               JOIN tracked_repositories r ON r.id = c.repository_id
              WHERE c.repository_id = ANY($1) AND r.forge <> 'gerrit'"
        }
    }
}

/// The acts of `kinds` as rows `(repository_id, who, kind, at)`.
fn acts(kinds: &[TallyKind]) -> String {
    kinds
        .iter()
        .map(|kind| {
            format!(
                "SELECT repository_id, who, '{}' AS kind, at FROM ({}) AS a",
                kind.key(),
                acts_of(*kind)
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ")
}

/// The acts that make someone a contributor in a month: all but merges
/// (a merge is the author's pull request landing, not something they did).
const CONTRIBUTING: [TallyKind; 5] = [
    TallyKind::Commits,
    TallyKind::PullsOpened,
    TallyKind::Reviews,
    TallyKind::IssuesOpened,
    TallyKind::IssueComments,
];

impl Store {
    /// The repositories of a report that exist, in the order of their ids.
    pub async fn report_repositories(&self, ids: &[RepoId]) -> Result<Vec<RepositoryFact>> {
        let rows = sqlx::query(
            "SELECT id, forge, instance, path, url, watermark, last_error, changes_watermark,
                    commits_watermark, changes_unavailable, commits_unavailable
             FROM tracked_repositories WHERE id = ANY($1) ORDER BY id",
        )
        .bind(ids)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(RepositoryFact {
                    id: row.try_get("id")?,
                    forge: forge_of(row.try_get("forge")?)?,
                    instance: row.try_get("instance")?,
                    path: row.try_get("path")?,
                    url: row.try_get("url")?,
                    read_until: row.try_get("watermark")?,
                    problem: row.try_get("last_error")?,
                    changes_read_until: row.try_get("changes_watermark")?,
                    commits_read_until: row.try_get("commits_watermark")?,
                    changes_unavailable: row.try_get("changes_unavailable")?,
                    commits_unavailable: row.try_get("commits_unavailable")?,
                })
            })
            .collect()
    }

    /// The acts in `[from, until)` counted per repository, account and
    /// kind, and per kind and week (acts of no known account left out, as
    /// everywhere in a report). One pass, both groupings.
    pub async fn report_activity_counts(
        &self,
        repositories: &[RepoId],
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<ActivityCounts> {
        let rows = sqlx::query(&format!(
            "SELECT repository_id, who, kind,
                    date_trunc('week', at AT TIME ZONE 'UTC')::date AS week, count(*) AS n
               FROM ({}) AS acts
              WHERE who IS NOT NULL AND at >= $2 AND at < $3
              GROUP BY GROUPING SETS ((repository_id, who, kind), (kind, 4))",
            acts(&TallyKind::ALL)
        ))
        .bind(repositories)
        .bind(from)
        .bind(until)
        .fetch_all(self.pool())
        .await?;
        let mut counts = ActivityCounts::default();
        for row in &rows {
            let kind: &str = row.try_get("kind")?;
            let kind = TallyKind::from_key(kind)
                .ok_or_else(|| crate::Error::Inconsistent(format!("an act of kind {kind}")))?;
            let count = super::unsigned(row.try_get("n")?)?;
            // The grouping a row belongs to leaves the other's columns null.
            match row.try_get::<Option<NaiveDate>, _>("week")? {
                Some(week) => counts.weeks.push(WeekCount { week, kind, count }),
                None => counts.people.push(PersonCount {
                    repository: row.try_get("repository_id")?,
                    who: row.try_get("who")?,
                    kind,
                    count,
                }),
            }
        }
        Ok(counts)
    }

    /// Per account that acted in `[from, until)`: its first act in the
    /// repositories (up to `until`) and the months of the range it acted in.
    pub async fn report_active_months(
        &self,
        repositories: &[RepoId],
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<ActiveMonths>> {
        let rows = sqlx::query(&format!(
            // Months first, per repository: far fewer rows to name and aggregate.
            "WITH acts AS ({}),
                  monthly AS (
                    SELECT repository_id, who, date_trunc('month', at AT TIME ZONE 'UTC') AS month,
                           min(at) AS first, max(at) AS last
                      FROM acts WHERE who IS NOT NULL AND at < $3
                     GROUP BY 1, 2, 3)
             SELECT r.forge, r.instance, m.who, min(m.first) AS first,
                    array_agg(DISTINCT m.month AT TIME ZONE 'UTC') FILTER (WHERE m.last >= $2) AS months
               FROM monthly m JOIN tracked_repositories r ON r.id = m.repository_id
              GROUP BY r.forge, r.instance, m.who
             HAVING max(m.last) >= $2",
            acts(&CONTRIBUTING)
        ))
        .bind(repositories)
        .bind(from)
        .bind(until)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ActiveMonths {
                    forge: forge_of(row.try_get("forge")?)?,
                    instance: row.try_get("instance")?,
                    who: row.try_get("who")?,
                    first: row.try_get("first")?,
                    months: row.try_get("months")?,
                })
            })
            .collect()
    }
}

/// Which items a list behind a count holds: one kind of act in some
/// repositories over `[from, until)`, of some accounts when `accounts` names any.
#[derive(Debug, Clone)]
pub struct ItemQuery<'a> {
    pub repositories: &'a [RepoId],
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub kind: TallyKind,
    pub accounts: &'a [ItemPerson],
}

/// Where a page of items starts: after (going back, before) this item, in
/// the list's order (newest first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemCursor {
    at: DateTime<Utc>,
    repository: RepoId,
    key: String,
    back: bool,
}

impl ItemCursor {
    pub fn encode(&self) -> String {
        encode_cursor(self)
    }

    pub fn decode(text: &str) -> Result<Self> {
        decode_cursor(text)
    }
}

impl Store {
    /// A page of the items `query` asks for, newest first, and how many
    /// there are in all: exactly those [`Store::report_activity_counts`]
    /// counts under the same conditions.
    pub async fn report_items(
        &self,
        query: &ItemQuery<'_>,
        after: Option<&ItemCursor>,
        limit: usize,
    ) -> Result<Slice<ReportItem, ItemCursor>> {
        // The accounts as three arrays of one length ('' for any instance).
        let forges: Vec<&str> = query.accounts.iter().map(|p| p.forge.key()).collect();
        let instances: Vec<&str> = query
            .accounts
            .iter()
            .map(|p| p.instance.as_deref().unwrap_or(""))
            .collect();
        let names: Vec<&str> = query.accounts.iter().map(|p| p.account.as_str()).collect();
        let matching = format!(
            "FROM ({}) AS a JOIN tracked_repositories r ON r.id = a.repository_id
             WHERE a.who IS NOT NULL AND a.at >= $2 AND a.at < $3
               AND (cardinality($6::text[]) = 0 OR EXISTS (
                    SELECT 1 FROM unnest($4::text[], $5::text[], $6::text[]) AS p(forge, instance, who)
                    WHERE r.forge = p.forge AND (p.instance = '' OR r.instance = p.instance)
                      AND a.who = p.who))",
            acts_of(query.kind)
        );
        // Both statements take the same first six parameters.
        macro_rules! matching_params {
            ($statement:expr) => {
                $statement
                    .bind(query.repositories)
                    .bind(query.from)
                    .bind(query.until)
                    .bind(&forges)
                    .bind(&instances)
                    .bind(&names)
            };
        }
        let count: i64 =
            matching_params!(sqlx::query_scalar(&format!("SELECT count(*) {matching}")))
                .fetch_one(self.pool())
                .await?;
        // Going back reads oldest first from the cursor, then turns round.
        let back = after.is_some_and(|c| c.back);
        let (beyond, direction) = if back { (">", "ASC") } else { ("<", "DESC") };
        let page = format!(
            "SELECT a.repository_id, a.who, a.at, a.title, a.url, a.key,
                    r.forge, r.instance, r.path
             {matching}
               AND ($7::timestamptz IS NULL OR (a.at, a.repository_id, a.key) {beyond} ($7, $8, $9))
             ORDER BY a.at {direction}, a.repository_id {direction}, a.key {direction}
             LIMIT $10"
        );
        let rows = matching_params!(sqlx::query(&page))
            .bind(after.map(|c| c.at))
            .bind(after.map(|c| c.repository))
            .bind(after.map(|c| c.key.as_str()))
            .bind(i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1))
            .fetch_all(self.pool())
            .await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in &rows {
            let item = ReportItem {
                kind: query.kind,
                forge: forge_of(row.try_get("forge")?)?,
                instance: row.try_get("instance")?,
                repository: row.try_get("path")?,
                account: row.try_get("who")?,
                at: row.try_get("at")?,
                title: row.try_get("title")?,
                url: row.try_get("url")?,
            };
            let place = (item.at, row.try_get("repository_id")?, row.try_get("key")?);
            items.push((item, place));
        }
        Ok(turn_page(
            super::unsigned(count)?,
            items,
            after.map(|c| c.back),
            limit,
            |(at, repository, key): &(DateTime<Utc>, RepoId, String), back| ItemCursor {
                at: *at,
                repository: *repository,
                key: key.clone(),
                back,
            },
        ))
    }
}

impl Store {
    /// Up to `limit` public repositories whose first sync has ended, as
    /// `forge:path`, by path: what anyone can open a report on.
    pub async fn reportable_repositories(&self, limit: i64) -> Result<Vec<String>> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT forge, path FROM tracked_repositories
             WHERE NOT private AND watermark IS NOT NULL
             ORDER BY lower(path), forge LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(forge, path)| format!("{forge}:{path}"))
            .collect())
    }
}

impl Store {
    /// Keeps the public repository `info` for reports until `until`, as
    /// asked by `user`; returns its id. A repository already kept keeps its
    /// row (and its subscribers).
    pub async fn keep_for_report(
        &self,
        forge: Forge,
        instance: &str,
        info: &crate::forge::RepoInfo,
        user: model::ids::UserId,
        until: DateTime<Utc>,
    ) -> Result<RepoId> {
        let id = self.track_repository(forge, instance, info).await?;
        sqlx::query(
            "UPDATE tracked_repositories
                SET report_until = greatest(report_until, $2),
                    report_requested_by = $3, report_requested_at = now()
              WHERE id = $1",
        )
        .bind(id)
        .bind(until)
        .bind(user)
        .execute(self.pool())
        .await?;
        Ok(id)
    }

    /// Moves on how long a repository kept for reports is kept (no change
    /// to one only subscriptions keep).
    pub async fn report_viewed(&self, repo: RepoId, until: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "UPDATE tracked_repositories SET report_until = $2
              WHERE id = $1 AND report_until IS NOT NULL AND report_until < $2",
        )
        .bind(repo)
        .bind(until)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// How many repositories `user` asked to keep for reports since `since`.
    pub async fn report_requests_since(
        &self,
        user: model::ids::UserId,
        since: DateTime<Utc>,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT count(*) FROM tracked_repositories
              WHERE report_requested_by = $1 AND report_requested_at >= $2",
        )
        .bind(user)
        .bind(since)
        .fetch_one(self.pool())
        .await?)
    }
}
