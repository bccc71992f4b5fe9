//! What a repository report reads of the tracker's tables: the issues of a
//! set of repositories and the comments on them. Gerrit's rows are changes,
//! not issues, and are left out.

use chrono::{DateTime, NaiveDate, Utc};
use model::report::TallyKind;
use sqlx::Row;

use super::Store;
use super::accounts::forge_of;
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
    /// The issues of `repositories`, by repository and number.
    pub async fn report_issues(&self, repositories: &[RepoId]) -> Result<Vec<IssueFact>> {
        let rows = sqlx::query(
            "SELECT i.repository_id, r.forge, r.instance, i.number, i.author, i.labels,
                    i.created_at, i.closed_at, i.status = 'open' AS open
             FROM tracked_issues i JOIN tracked_repositories r ON r.id = i.repository_id
             WHERE i.repository_id = ANY($1) AND r.forge <> 'gerrit'
             ORDER BY i.repository_id, i.number",
        )
        .bind(repositories)
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

    /// The comments on `repositories`' issues written in `[from, until)`,
    /// and every comment on the issues opened then (their first answers may
    /// come later), oldest first.
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
               AND ((c.created_at >= $2 AND c.created_at < $3)
                    OR (i.created_at >= $2 AND i.created_at < $3))
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
    pub changes_unavailable: Option<String>,
    pub commits_unavailable: Option<String>,
}

/// How many of one kind of act one account did in one repository in one
/// week (its Monday, UTC).
#[derive(Debug, Clone)]
pub struct ActivityCount {
    pub repository: RepoId,
    pub who: String,
    pub kind: TallyKind,
    pub week: NaiveDate,
    pub count: u64,
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

/// Every dated act a report counts contributors by: commits authored, pull
/// requests opened, reviews, issues opened and comments on them (Gerrit's
/// tracker rows are changes, already counted as pull requests).
const ACTS: &str = "
    SELECT repository_id, author AS who, authored_at AS at
      FROM tracked_commits WHERE repository_id = ANY($1)
    UNION ALL
    SELECT repository_id, author, created_at FROM tracked_changes WHERE repository_id = ANY($1)
    UNION ALL
    SELECT repository_id, reviewer, submitted_at FROM change_reviews WHERE repository_id = ANY($1)
    UNION ALL
    SELECT i.repository_id, i.author, i.created_at
      FROM tracked_issues i JOIN tracked_repositories r ON r.id = i.repository_id
     WHERE i.repository_id = ANY($1) AND r.forge <> 'gerrit'
    UNION ALL
    SELECT c.repository_id, c.author, c.created_at
      FROM issue_comments c JOIN tracked_repositories r ON r.id = c.repository_id
     WHERE c.repository_id = ANY($1) AND r.forge <> 'gerrit'";

impl Store {
    /// The repositories of a report that exist, in the order of their ids.
    pub async fn report_repositories(&self, ids: &[RepoId]) -> Result<Vec<RepositoryFact>> {
        let rows = sqlx::query(
            "SELECT id, forge, instance, path, url, watermark, last_error,
                    changes_unavailable, commits_unavailable
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
                    changes_unavailable: row.try_get("changes_unavailable")?,
                    commits_unavailable: row.try_get("commits_unavailable")?,
                })
            })
            .collect()
    }

    /// Per repository, account and week, the commits authored, pull
    /// requests opened and merged, and reviews submitted in `[from, until)`
    /// (acts of no known account left out, as everywhere in a report).
    pub async fn report_activity_counts(
        &self,
        repositories: &[RepoId],
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<ActivityCount>> {
        let rows = sqlx::query(
            "WITH acts AS (
                SELECT repository_id, author AS who, 'commits' AS kind, authored_at AS at
                  FROM tracked_commits WHERE repository_id = ANY($1)
                UNION ALL
                SELECT repository_id, author, 'pulls_opened', created_at
                  FROM tracked_changes WHERE repository_id = ANY($1)
                UNION ALL
                SELECT repository_id, author, 'pulls_merged', merged_at
                  FROM tracked_changes WHERE repository_id = ANY($1) AND merged_at IS NOT NULL
                UNION ALL
                SELECT repository_id, reviewer, 'reviews', submitted_at
                  FROM change_reviews WHERE repository_id = ANY($1))
             SELECT repository_id, who, kind,
                    date_trunc('week', at AT TIME ZONE 'UTC')::date AS week, count(*) AS n
               FROM acts
              WHERE who IS NOT NULL AND at >= $2 AND at < $3
              GROUP BY 1, 2, 3, 4",
        )
        .bind(repositories)
        .bind(from)
        .bind(until)
        .fetch_all(self.pool())
        .await?;
        let mut counts = Vec::with_capacity(rows.len());
        for row in &rows {
            let kind: &str = row.try_get("kind")?;
            let kind = TallyKind::ALL
                .into_iter()
                .find(|k| k.key() == kind)
                .ok_or_else(|| crate::Error::Inconsistent(format!("an act of kind {kind}")))?;
            counts.push(ActivityCount {
                repository: row.try_get("repository_id")?,
                who: row.try_get("who")?,
                kind,
                week: row.try_get("week")?,
                count: super::unsigned(row.try_get("n")?)?,
            });
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
            "WITH acts AS ({ACTS}),
                  named AS (
                    SELECT r.forge, r.instance, a.who, a.at
                      FROM acts a JOIN tracked_repositories r ON r.id = a.repository_id
                     WHERE a.who IS NOT NULL AND a.at < $3)
             SELECT forge, instance, who, min(at) AS first,
                    array_agg(DISTINCT date_trunc('month', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')
                      FILTER (WHERE at >= $2) AS months
               FROM named
              GROUP BY forge, instance, who
             HAVING bool_or(at >= $2)"
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
