//! Tracked repositories, subscriptions, tracker items and their comments:
//! storing what a sync read, over the tables of `migrations/…_tracker.sql`.
//! Reading the list back (pages, filters, counts) is `issue_list`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use model::contribution::Status;
use model::forge::Forge;
use model::tracker::{Comment, Issue};
use sqlx::Row;
use sqlx::postgres::PgRow;

use super::accounts::{AccountId, UserId, forge_of, forget_unwatched};
use super::{Store, bigint, unsigned};
use crate::error::Result;
use crate::forge::RepoInfo;

pub use model::ids::RepoId;

/// A repository whose tracker Tally keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedRepo {
    pub id: RepoId,
    pub forge: Forge,
    pub instance: String,
    pub path: String,
    pub url: String,
    pub private: bool,
    pub watermark: Option<DateTime<Utc>>,
    pub last_full_sync_at: Option<DateTime<Utc>>,
    pub last_synced_at: Option<DateTime<Utc>>,
    pub sync_started_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// A person's subscription with its repository's state and counts.
#[derive(Debug, Clone)]
pub struct SubscriptionRow {
    pub repo: TrackedRepo,
    pub account_id: Option<AccountId>,
    pub lost_access: Option<String>,
    pub items: i64,
    pub comments: i64,
}

/// Who subscribes to a repository, and through which account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    pub user: UserId,
    pub account: Option<AccountId>,
    pub lost_access: Option<String>,
}

/// What is stored of an item, to tell whether its comments must be read again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredItem {
    pub updated_at: DateTime<Utc>,
    pub comments: i64,
}

/// An item to store, with its comments when they were read (`None`: keep
/// the stored ones).
pub type ItemToStore = (Issue, Option<Vec<Comment>>);

const REPO_COLUMNS: &str = "r.id, r.forge, r.instance, r.path, r.url, r.private, r.watermark, \
     r.last_full_sync_at, r.last_synced_at, r.sync_started_at, r.last_error";

fn repo_of(row: &PgRow) -> Result<TrackedRepo> {
    Ok(TrackedRepo {
        id: row.try_get("id")?,
        forge: forge_of(row.try_get("forge")?)?,
        instance: row.try_get("instance")?,
        path: row.try_get("path")?,
        url: row.try_get("url")?,
        private: row.try_get("private")?,
        watermark: row.try_get("watermark")?,
        last_full_sync_at: row.try_get("last_full_sync_at")?,
        last_synced_at: row.try_get("last_synced_at")?,
        sync_started_at: row.try_get("sync_started_at")?,
        last_error: row.try_get("last_error")?,
    })
}

fn status_name(status: Status) -> &'static str {
    status.label()
}

pub(super) fn status_of(text: &str) -> Status {
    Status::ALL
        .into_iter()
        .find(|s| s.label() == text)
        .unwrap_or(Status::Open)
}

impl Store {
    /// Starts keeping `info`'s tracker (or updates what is known of it).
    pub async fn track_repository(
        &self,
        forge: Forge,
        instance: &str,
        info: &RepoInfo,
    ) -> Result<RepoId> {
        Ok(sqlx::query_scalar(
            "INSERT INTO tracked_repositories (forge, instance, path, url, private)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (forge, instance, path)
             DO UPDATE SET url = EXCLUDED.url, private = EXCLUDED.private
             RETURNING id",
        )
        .bind(forge.key())
        .bind(instance)
        .bind(&info.path)
        .bind(&info.url)
        .bind(info.private)
        .fetch_one(self.pool())
        .await?)
    }

    /// Keeps what the forge says of a repository now: its name after a
    /// rename (unless another row already has that name), its address, and
    /// whether it is private.
    pub async fn update_repository(&self, id: RepoId, info: &RepoInfo) -> Result<()> {
        sqlx::query(
            "UPDATE tracked_repositories r SET
                 path = CASE WHEN EXISTS (SELECT 1 FROM tracked_repositories o
                                          WHERE o.forge = r.forge AND o.instance = r.instance
                                            AND o.path = $2 AND o.id <> r.id)
                             THEN r.path ELSE $2 END,
                 url = $3, private = $4
             WHERE r.id = $1",
        )
        .bind(id)
        .bind(&info.path)
        .bind(&info.url)
        .bind(info.private)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Subscribes `user` (again: with `account`'s access proven anew).
    pub async fn subscribe(
        &self,
        user: UserId,
        repo: RepoId,
        account: Option<AccountId>,
    ) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO subscriptions (user_id, repository_id, account_id) VALUES ($1, $2, $3)
             ON CONFLICT (user_id, repository_id)
             DO UPDATE SET account_id = COALESCE(EXCLUDED.account_id, subscriptions.account_id),
                           lost_access = NULL",
        )
        .bind(user)
        .bind(repo)
        .bind(account)
        .execute(&mut *tx)
        .await?;
        self.commit_change(tx).await
    }

    /// Ends a subscription; a repository nobody follows any more is
    /// forgotten with its items. Returns whether there was one.
    pub async fn unsubscribe(&self, user: UserId, repo: RepoId) -> Result<bool> {
        let mut tx = self.pool().begin().await?;
        let removed =
            sqlx::query("DELETE FROM subscriptions WHERE user_id = $1 AND repository_id = $2")
                .bind(user)
                .bind(repo)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        forget_unwatched(&mut tx).await?;
        self.commit_change(tx).await?;
        Ok(removed > 0)
    }

    /// A person's subscriptions by repository name, with their counts.
    pub async fn subscriptions(&self, user: UserId) -> Result<Vec<SubscriptionRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {REPO_COLUMNS}, s.account_id, s.lost_access, c.items, c.comments
             FROM subscriptions s JOIN tracked_repositories r ON r.id = s.repository_id
             CROSS JOIN LATERAL (SELECT count(*) AS items, coalesce(sum(i.comments), 0)::bigint AS comments
                                 FROM tracked_issues i WHERE i.repository_id = r.id) c
             WHERE s.user_id = $1
             ORDER BY r.forge, lower(r.path)"
        ))
        .bind(user)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(SubscriptionRow {
                    repo: repo_of(row)?,
                    account_id: row.try_get("account_id")?,
                    lost_access: row.try_get("lost_access")?,
                    items: row.try_get("items")?,
                    comments: row.try_get("comments")?,
                })
            })
            .collect()
    }

    pub async fn tracked_repository(&self, id: RepoId) -> Result<Option<TrackedRepo>> {
        let row = sqlx::query(&format!(
            "SELECT {REPO_COLUMNS} FROM tracked_repositories r WHERE r.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(repo_of).transpose()
    }

    /// The kept repository at `path` on a forge instance (any case).
    pub async fn find_tracked(
        &self,
        forge: Forge,
        instance: &str,
        path: &str,
    ) -> Result<Option<TrackedRepo>> {
        let row = sqlx::query(&format!(
            "SELECT {REPO_COLUMNS} FROM tracked_repositories r
             WHERE r.forge = $1 AND r.instance = $2 AND lower(r.path) = lower($3)
             ORDER BY r.id LIMIT 1"
        ))
        .bind(forge.key())
        .bind(instance)
        .bind(path)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(repo_of).transpose()
    }

    /// Whether `user` subscribes to `repo` and the last sync found their
    /// token still reads it: who may see a private repository's items.
    pub async fn reads_repository(&self, user: UserId, repo: RepoId) -> Result<bool> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM subscriptions
                 WHERE user_id = $1 AND repository_id = $2 AND lost_access IS NULL)",
        )
        .bind(user)
        .bind(repo)
        .fetch_one(self.pool())
        .await?)
    }

    pub async fn is_subscribed(&self, user: UserId, repo: RepoId) -> Result<bool> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM subscriptions WHERE user_id = $1 AND repository_id = $2)",
        )
        .bind(user)
        .bind(repo)
        .fetch_one(self.pool())
        .await?)
    }

    pub async fn subscribers(&self, repo: RepoId) -> Result<Vec<Subscriber>> {
        let rows: Vec<(UserId, Option<AccountId>, Option<String>)> = sqlx::query_as(
            "SELECT user_id, account_id, lost_access FROM subscriptions
             WHERE repository_id = $1 ORDER BY created_at, user_id",
        )
        .bind(repo)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(user, account, lost_access)| Subscriber {
                user,
                account,
                lost_access,
            })
            .collect())
    }

    /// Records whether `user` can still read `repo` (`None`: they can).
    pub async fn set_lost_access(
        &self,
        user: UserId,
        repo: RepoId,
        problem: Option<&str>,
    ) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        let changed = sqlx::query(
            "UPDATE subscriptions SET lost_access = $3
             WHERE user_id = $1 AND repository_id = $2 AND lost_access IS DISTINCT FROM $3",
        )
        .bind(user)
        .bind(repo)
        .bind(problem)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed > 0 {
            self.commit_change(tx).await
        } else {
            Ok(tx.commit().await?)
        }
    }

    /// Everyone subscribed may see the repository (it is public now).
    pub async fn clear_lost_access(&self, repo: RepoId) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("UPDATE subscriptions SET lost_access = NULL WHERE repository_id = $1")
            .bind(repo)
            .execute(&mut *tx)
            .await?;
        self.commit_change(tx).await
    }

    pub async fn sync_started(&self, repo: RepoId) -> Result<()> {
        sqlx::query("UPDATE tracked_repositories SET sync_started_at = now() WHERE id = $1")
            .bind(repo)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// What is stored of each of a repository's items.
    pub async fn stored_items(&self, repo: RepoId) -> Result<HashMap<u64, StoredItem>> {
        let rows: Vec<(i64, DateTime<Utc>, i32)> = sqlx::query_as(
            "SELECT number, updated_at, comments FROM tracked_issues WHERE repository_id = $1",
        )
        .bind(repo)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|(number, updated_at, comments)| {
                Ok((
                    unsigned(number)?,
                    StoredItem {
                        updated_at,
                        comments: i64::from(comments),
                    },
                ))
            })
            .collect()
    }

    /// Stores items in one transaction: each inserted or updated, and those
    /// whose comments were read get exactly those comments (so a comment
    /// deleted on the forge goes here too). An item's count of comments is
    /// always the number of its comment rows.
    pub async fn store_items(&self, repo: RepoId, items: &[ItemToStore]) -> Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        // Four statements for the whole batch, whatever its size.
        let rows: Vec<serde_json::Value> = items
            .iter()
            .map(|(issue, _)| {
                serde_json::json!({
                    "number": issue.number,
                    "title": issue.title,
                    "body": issue.body,
                    "url": issue.url,
                    "status": status_name(issue.status),
                    "author": issue.author,
                    "labels": issue.labels,
                    "assignees": issue.assignees,
                    "created_at": issue.created_at,
                    "updated_at": issue.updated_at,
                    "closed_at": issue.closed_at,
                })
            })
            .collect();
        let mut read: Vec<(i64, &Comment)> = Vec::new();
        let mut replaced: Vec<i64> = Vec::new();
        for (issue, comments) in items {
            if let Some(comments) = comments {
                let number = bigint(issue.number)?;
                replaced.push(number);
                read.extend(comments.iter().map(|c| (number, c)));
            }
        }
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO tracked_issues (repository_id, number, title, body, url, status,
                 author, labels, assignees, comments, created_at, updated_at, closed_at)
             SELECT $1, x.number, x.title, x.body, x.url, x.status, x.author, x.labels,
                    x.assignees, 0, x.created_at, x.updated_at, x.closed_at
             FROM jsonb_to_recordset($2) AS x(number bigint, title text, body text, url text,
                 status text, author text, labels text[], assignees text[],
                 created_at timestamptz, updated_at timestamptz, closed_at timestamptz)
             ON CONFLICT (repository_id, number) DO UPDATE SET
                 title = EXCLUDED.title, body = EXCLUDED.body, url = EXCLUDED.url,
                 status = EXCLUDED.status, author = EXCLUDED.author,
                 labels = EXCLUDED.labels, assignees = EXCLUDED.assignees,
                 created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at,
                 closed_at = EXCLUDED.closed_at",
        )
        .bind(repo)
        .bind(serde_json::Value::Array(rows))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM issue_comments WHERE repository_id = $1 AND issue_number = ANY($2)",
        )
        .bind(repo)
        .bind(&replaced)
        .execute(&mut *tx)
        .await?;
        let numbers: Vec<i64> = read.iter().map(|(n, _)| *n).collect();
        let ids: Vec<&str> = read.iter().map(|(_, c)| c.id.as_str()).collect();
        let authors: Vec<Option<&str>> = read.iter().map(|(_, c)| c.author.as_deref()).collect();
        let bodies: Vec<&str> = read.iter().map(|(_, c)| c.body.as_str()).collect();
        let urls: Vec<Option<&str>> = read.iter().map(|(_, c)| c.url.as_deref()).collect();
        let times: Vec<DateTime<Utc>> = read.iter().map(|(_, c)| c.created_at).collect();
        sqlx::query(
            "INSERT INTO issue_comments (repository_id, issue_number, id, author, body, url, created_at)
             SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
                                      $7::timestamptz[])
             ON CONFLICT DO NOTHING",
        )
        .bind(repo)
        .bind(&numbers)
        .bind(&ids)
        .bind(&authors)
        .bind(&bodies)
        .bind(&urls)
        .bind(&times)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE tracked_issues t SET comments =
                 (SELECT count(*) FROM issue_comments c
                   WHERE c.repository_id = t.repository_id AND c.issue_number = t.number)
             WHERE t.repository_id = $1 AND t.number = ANY($2)",
        )
        .bind(repo)
        .bind(&replaced)
        .execute(&mut *tx)
        .await?;
        self.commit_change(tx).await
    }

    /// Ends a sync that stored everything updated before `watermark` (on
    /// the forge's clock). After a full listing, `listed` names every item
    /// the forge still has: the others were deleted there and go here too.
    pub async fn sync_finished(
        &self,
        repo: RepoId,
        watermark: DateTime<Utc>,
        listed: Option<&[u64]>,
    ) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        if let Some(listed) = listed {
            let numbers = listed
                .iter()
                .map(|n| bigint(*n))
                .collect::<Result<Vec<i64>>>()?;
            sqlx::query(
                "DELETE FROM tracked_issues WHERE repository_id = $1 AND NOT (number = ANY($2))",
            )
            .bind(repo)
            .bind(&numbers)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "UPDATE tracked_repositories SET watermark = $2, last_synced_at = now(),
                 last_full_sync_at = CASE WHEN $3 THEN now() ELSE last_full_sync_at END,
                 sync_started_at = NULL, last_error = NULL, resume_at = NULL
             WHERE id = $1",
        )
        .bind(repo)
        .bind(watermark)
        .bind(listed.is_some())
        .execute(&mut *tx)
        .await?;
        self.commit_change(tx).await
    }

    /// Brings the planner's statistics of the tracker's tables up to date.
    /// After many rows arrive at once (a large tracker's first sync), the
    /// list's plans would otherwise be made for the table as it was, until
    /// autovacuum gets to it: a sort of every row instead of a walk down
    /// the newest-first index.
    pub async fn refresh_statistics(&self) -> Result<()> {
        sqlx::query("ANALYZE tracked_issues, issue_comments, subscriptions")
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Records a failed sync: what is stored stays, the error shows.
    pub async fn sync_failed(&self, repo: RepoId, problem: &str) -> Result<()> {
        self.sync_stopped(repo, problem, None).await
    }

    /// A sync put off until `resume_at`, when its budget renews: the
    /// planner queues it again then.
    pub async fn sync_deferred(
        &self,
        repo: RepoId,
        problem: &str,
        resume_at: DateTime<Utc>,
    ) -> Result<()> {
        self.sync_stopped(repo, problem, Some(resume_at)).await
    }

    async fn sync_stopped(
        &self,
        repo: RepoId,
        problem: &str,
        resume_at: Option<DateTime<Utc>>,
    ) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "UPDATE tracked_repositories SET last_error = $2, sync_started_at = NULL,
                 last_synced_at = now(), resume_at = $3
             WHERE id = $1",
        )
        .bind(repo)
        .bind(problem)
        .bind(resume_at)
        .execute(&mut *tx)
        .await?;
        self.commit_change(tx).await
    }
}
