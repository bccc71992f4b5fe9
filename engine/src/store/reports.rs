//! What a repository report reads of the tracker's tables: the issues of a
//! set of repositories and the comments on them. Gerrit's rows are changes,
//! not issues, and are left out.

use chrono::{DateTime, Utc};
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
