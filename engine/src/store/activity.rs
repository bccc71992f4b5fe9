//! A tracked repository's pull requests, reviews and commits: storing what
//! a sync read (a batch per transaction, upserts so that a batch stored
//! twice changes nothing) and moving each list's watermark once all of it
//! is stored. Tables of `migrations/…_report_activity.sql`.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::tracker::RepoId;
use super::{Store, bigint, unsigned};
use crate::error::Result;
use crate::forge::activity::{ChangeRecord, CommitRecord, Known, ReviewRecord};

/// Which of a repository's activity lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityList {
    Changes,
    Commits,
}

impl ActivityList {
    fn watermark_column(self) -> &'static str {
        match self {
            Self::Changes => "changes_watermark",
            Self::Commits => "commits_watermark",
        }
    }

    fn unavailable_column(self) -> &'static str {
        match self {
            Self::Changes => "changes_unavailable",
            Self::Commits => "commits_unavailable",
        }
    }
}

/// Where a repository's activity lists stand.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivityMarks {
    pub changes: Option<DateTime<Utc>>,
    pub commits: Option<DateTime<Utc>>,
}

impl Store {
    pub async fn activity_marks(&self, repo: RepoId) -> Result<ActivityMarks> {
        let row = sqlx::query(
            "SELECT changes_watermark, commits_watermark FROM tracked_repositories WHERE id = $1",
        )
        .bind(repo)
        .fetch_optional(self.pool())
        .await?;
        Ok(match row {
            Some(row) => ActivityMarks {
                changes: row.try_get("changes_watermark")?,
                commits: row.try_get("commits_watermark")?,
            },
            None => ActivityMarks::default(),
        })
    }

    /// The pull requests stored of `repo`, with their last update.
    pub async fn known_changes(&self, repo: RepoId) -> Result<Known> {
        let rows =
            sqlx::query("SELECT number, updated_at FROM tracked_changes WHERE repository_id = $1")
                .bind(repo)
                .fetch_all(self.pool())
                .await?;
        let mut known = Known::default();
        for row in rows {
            known.0.insert(
                unsigned(row.try_get("number")?)?,
                row.try_get("updated_at")?,
            );
        }
        Ok(known)
    }

    /// Stores pull requests and reviews, in one transaction.
    pub async fn store_changes(
        &self,
        repo: RepoId,
        changes: &[ChangeRecord],
        reviews: &[ReviewRecord],
    ) -> Result<()> {
        let rows: Vec<serde_json::Value> = changes
            .iter()
            .map(|c| {
                serde_json::json!({
                    "number": c.number, "title": c.title, "url": c.url, "author": c.author,
                    "state": c.state.as_str(), "created_at": c.created_at,
                    "updated_at": c.updated_at, "merged_at": c.merged_at, "closed_at": c.closed_at,
                })
            })
            .collect();
        let review_rows: Vec<serde_json::Value> = reviews
            .iter()
            .map(|r| {
                serde_json::json!({
                    "change_number": r.change, "id": r.id, "reviewer": r.reviewer,
                    "verdict": r.verdict.as_str(), "submitted_at": r.submitted_at,
                })
            })
            .collect();
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO tracked_changes (repository_id, number, title, url, author, state,
                 created_at, updated_at, merged_at, closed_at)
             SELECT $1, x.* FROM jsonb_to_recordset($2) AS x(number bigint, title text, url text,
                 author text, state text, created_at timestamptz, updated_at timestamptz,
                 merged_at timestamptz, closed_at timestamptz)
             ON CONFLICT (repository_id, number) DO UPDATE SET
                 title = EXCLUDED.title, url = EXCLUDED.url, author = EXCLUDED.author,
                 state = EXCLUDED.state, created_at = EXCLUDED.created_at,
                 updated_at = EXCLUDED.updated_at, merged_at = EXCLUDED.merged_at,
                 closed_at = EXCLUDED.closed_at",
        )
        .bind(repo)
        .bind(serde_json::Value::Array(rows))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO change_reviews (repository_id, change_number, id, reviewer, verdict,
                 submitted_at)
             SELECT $1, x.* FROM jsonb_to_recordset($2) AS x(change_number bigint, id text,
                 reviewer text, verdict text, submitted_at timestamptz)
             ON CONFLICT (repository_id, id) DO UPDATE SET
                 change_number = EXCLUDED.change_number, reviewer = EXCLUDED.reviewer,
                 verdict = EXCLUDED.verdict, submitted_at = EXCLUDED.submitted_at",
        )
        .bind(repo)
        .bind(serde_json::Value::Array(review_rows))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores commits, in one transaction.
    pub async fn store_commits(&self, repo: RepoId, commits: &[CommitRecord]) -> Result<()> {
        let shas: Vec<&str> = commits.iter().map(|c| c.sha.as_str()).collect();
        let authors: Vec<Option<&str>> = commits.iter().map(|c| c.author.as_deref()).collect();
        let times: Vec<DateTime<Utc>> = commits.iter().map(|c| c.authored_at).collect();
        let titles: Vec<&str> = commits.iter().map(|c| c.title.as_str()).collect();
        let urls: Vec<&str> = commits.iter().map(|c| c.url.as_str()).collect();
        sqlx::query(
            "INSERT INTO tracked_commits (repository_id, sha, author, authored_at, title, url)
             SELECT $1, * FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::text[],
                                      $6::text[])
             ON CONFLICT (repository_id, sha) DO UPDATE SET
                 author = EXCLUDED.author, authored_at = EXCLUDED.authored_at,
                 title = EXCLUDED.title, url = EXCLUDED.url",
        )
        .bind(repo)
        .bind(&shas)
        .bind(&authors)
        .bind(&times)
        .bind(&titles)
        .bind(&urls)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Ends the reading of one list that stored everything changed before
    /// `watermark`. After a full listing of pull requests, `listed` names
    /// every one the forge still has: the others, and their reviews, go.
    pub async fn activity_synced(
        &self,
        repo: RepoId,
        list: ActivityList,
        watermark: DateTime<Utc>,
        listed: Option<&[u64]>,
    ) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        if let (ActivityList::Changes, Some(listed)) = (list, listed) {
            let numbers = listed
                .iter()
                .map(|n| bigint(*n))
                .collect::<Result<Vec<i64>>>()?;
            for table in ["tracked_changes", "change_reviews"] {
                let number = if table == "tracked_changes" {
                    "number"
                } else {
                    "change_number"
                };
                sqlx::query(&format!(
                    "DELETE FROM {table} WHERE repository_id = $1 AND NOT ({number} = ANY($2))"
                ))
                .bind(repo)
                .bind(&numbers)
                .execute(&mut *tx)
                .await?;
            }
        }
        sqlx::query(&format!(
            "UPDATE tracked_repositories SET {} = $2, {} = NULL WHERE id = $1",
            list.watermark_column(),
            list.unavailable_column()
        ))
        .bind(repo)
        .bind(watermark)
        .execute(&mut *tx)
        .await?;
        self.commit_change(tx).await
    }

    /// Records that the forge keeps no such list for the repository.
    pub async fn activity_unavailable(
        &self,
        repo: RepoId,
        list: ActivityList,
        reason: &str,
    ) -> Result<()> {
        sqlx::query(&format!(
            "UPDATE tracked_repositories SET {} = $2 WHERE id = $1",
            list.unavailable_column()
        ))
        .bind(repo)
        .bind(reason)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
