//! Tracked repositories, subscriptions, tracker items and their comments:
//! the queries over the tables of `migrations/…_tracker.sql`, including the
//! tracker's list (keyset pages, newest activity first) and its counts.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use model::contribution::Status;
use model::forge::Forge;
use model::tracker::{
    Comment, Facet, FacetCount, Issue, IssueCounts, IssueFilter, IssueRow, IssueState,
};
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row};

use super::Store;
use super::accounts::{AccountId, UserId, forge_of, forget_unwatched};
use crate::error::{Error, Result};
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

fn status_of(text: &str) -> Status {
    Status::ALL
        .into_iter()
        .find(|s| s.label() == text)
        .unwrap_or(Status::Open)
}

/// The words of a text search as a prefix query: every word must start a
/// word of the title or body. Only letters and digits reach the query, so
/// nothing typed can be read as tsquery syntax.
pub fn prefix_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("{}:*", w.to_lowercase()))
        .collect();
    (!words.is_empty()).then(|| words.join(" & "))
}

/// Where a page of the list ends: the last row's sort key, as text.
pub fn cursor_of(row: &IssueRow) -> String {
    format!(
        "{}.{}.{}",
        row.updated_at.timestamp_micros(),
        row.repo_id,
        row.number
    )
}

fn parse_cursor(text: &str) -> Result<(DateTime<Utc>, RepoId, i64)> {
    let bad = || Error::Invalid(format!("{text:?} is not a cursor of this list"));
    let mut parts = text.split('.');
    let micros: i64 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let repo: RepoId = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let number: i64 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let at = DateTime::from_timestamp_micros(micros).ok_or_else(bad)?;
    Ok((at, repo, number))
}

/// The filters by name (a facet's key, or `text`), in the order the
/// counts' columns `f_<name>` come.
const FILTERS: [&str; 7] = [
    "forge", "repo", "state", "label", "assignee", "author", "text",
];

/// Pushes the SQL condition of the filter `name` (binding its value), or
/// returns false when that filter is not set. Only the filters set reach
/// the SQL, so each combination gets a plan of its own: a generic plan
/// over "filter IS NULL OR …" would sort every visible row for each page.
fn push_condition(q: &mut QueryBuilder<'_, Postgres>, name: &str, filter: &IssueFilter) -> bool {
    match name {
        "forge" => match filter.forge {
            Some(forge) => q.push("r.forge = ").push_bind(forge.key().to_owned()),
            None => return false,
        },
        "repo" => match filter.repo {
            Some(repo) => q.push("i.repository_id = ").push_bind(repo),
            None => return false,
        },
        "state" => match filter.state {
            Some(IssueState::Open) => q.push("i.status = 'open'"),
            Some(IssueState::Closed) => q.push("i.status <> 'open'"),
            None => return false,
        },
        "label" => match &filter.label {
            Some(label) => q
                .push("i.labels @> ARRAY[")
                .push_bind(label.clone())
                .push("]::text[]"),
            None => return false,
        },
        "assignee" => match &filter.assignee {
            Some(assignee) => q
                .push("i.assignees @> ARRAY[")
                .push_bind(assignee.clone())
                .push("]::text[]"),
            None => return false,
        },
        "author" => match &filter.author {
            Some(author) => q.push("i.author = ").push_bind(author.clone()),
            None => return false,
        },
        _ => match filter.q.as_deref().and_then(prefix_query) {
            Some(words) => q
                .push("i.search @@ to_tsquery('simple', ")
                .push_bind(words)
                .push(")"),
            None => return false,
        },
    };
    true
}

/// The rows a person may see: their subscriptions' items, unless they lost
/// access to the repository.
fn push_visible_from(q: &mut QueryBuilder<'_, Postgres>, user: UserId) {
    q.push(
        " FROM tracked_issues i
          JOIN subscriptions s ON s.repository_id = i.repository_id AND s.lost_access IS NULL
           AND s.user_id = ",
    )
    .push_bind(user)
    .push(" JOIN tracked_repositories r ON r.id = i.repository_id");
}

const ROW_COLUMNS: &str = "r.forge, r.path, i.repository_id, i.number, i.title, i.url, i.status, \
     i.author, i.labels, i.assignees, i.comments, i.created_at, i.updated_at";

fn issue_row(row: &PgRow) -> Result<IssueRow> {
    Ok(IssueRow {
        repo_id: row.try_get("repository_id")?,
        forge: forge_of(row.try_get("forge")?)?,
        repository: row.try_get("path")?,
        number: row.try_get::<i64, _>("number")? as u64,
        title: row.try_get("title")?,
        url: row.try_get("url")?,
        status: status_of(row.try_get("status")?),
        author: row.try_get("author")?,
        labels: row.try_get("labels")?,
        assignees: row.try_get("assignees")?,
        comments: row.try_get::<i32, _>("comments")? as u64,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// How many values of the many-valued facets the counts list.
const FACET_VALUES: i64 = 30;

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
        Ok(rows
            .into_iter()
            .map(|(number, updated_at, comments)| {
                (
                    number as u64,
                    StoredItem {
                        updated_at,
                        comments: i64::from(comments),
                    },
                )
            })
            .collect())
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
        let read: Vec<(i64, &Comment)> = items
            .iter()
            .filter_map(|(issue, comments)| Some((issue.number as i64, comments.as_ref()?)))
            .flat_map(|(number, comments)| comments.iter().map(move |c| (number, c)))
            .collect();
        let replaced: Vec<i64> = items
            .iter()
            .filter(|(_, comments)| comments.is_some())
            .map(|(issue, _)| issue.number as i64)
            .collect();
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
            let numbers: Vec<i64> = listed.iter().map(|n| *n as i64).collect();
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
                 sync_started_at = NULL, last_error = NULL
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
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "UPDATE tracked_repositories SET last_error = $2, sync_started_at = NULL,
                 last_synced_at = now()
             WHERE id = $1",
        )
        .bind(repo)
        .bind(problem)
        .execute(&mut *tx)
        .await?;
        self.commit_change(tx).await
    }

    /// A page of what `user` may see under `filter`, newest activity first,
    /// after the cursor `after` from the previous page.
    pub async fn list_issues(
        &self,
        user: UserId,
        filter: &IssueFilter,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<IssueRow>> {
        let after = after.map(parse_cursor).transpose()?;
        let mut q = QueryBuilder::new(format!("SELECT {ROW_COLUMNS}"));
        push_visible_from(&mut q, user);
        q.push(" WHERE true");
        for name in FILTERS {
            q.push(" AND ");
            if !push_condition(&mut q, name, filter) {
                q.push("true");
            }
        }
        if let Some((at, repo, number)) = after {
            q.push(" AND (i.updated_at, i.repository_id, i.number) < (")
                .push_bind(at)
                .push(", ")
                .push_bind(repo)
                .push(", ")
                .push_bind(number)
                .push(")");
        }
        q.push(" ORDER BY i.updated_at DESC, i.repository_id DESC, i.number DESC LIMIT ")
            .push_bind(limit);
        let rows = q.build().fetch_all(self.pool()).await?;
        rows.iter().map(issue_row).collect()
    }

    /// The list's total and, for each facet, how many items each value has
    /// with the other facets' filters applied: choosing a value shows that
    /// many. One snapshot, one round trip.
    pub async fn issue_counts(&self, user: UserId, filter: &IssueFilter) -> Result<IssueCounts> {
        let mut q = QueryBuilder::new(format!(
            "WITH visible AS MATERIALIZED (SELECT {ROW_COLUMNS}"
        ));
        for name in FILTERS {
            q.push(", ");
            if !push_condition(&mut q, name, filter) {
                q.push("true");
            }
            q.push(format!(" AS f_{name}"));
        }
        push_visible_from(&mut q, user);
        let all = |except: &str| {
            FILTERS
                .iter()
                .filter(|name| **name != except)
                .map(|name| format!("f_{name}"))
                .collect::<Vec<_>>()
                .join(" AND ")
        };
        let grouped = |facet: Facet, value: &str, label: &str, from: &str| {
            format!(
                " UNION ALL (SELECT '{}' AS facet, {value} AS value, {label} AS label, count(*) AS n
                  FROM {from} WHERE {} GROUP BY 2 ORDER BY 4 DESC, 2 LIMIT {FACET_VALUES})",
                facet.key(),
                all(facet.key())
            )
        };
        q.push(format!(
            ") SELECT 'total' AS facet, '' AS value, '' AS label, count(*) AS n
               FROM visible WHERE {}",
            all("")
        ));
        for part in [
            grouped(Facet::Forge, "forge", "min(forge)", "visible"),
            grouped(
                Facet::Repo,
                "repository_id::text",
                "min(path) || ' (' || min(forge) || ')'",
                "visible",
            ),
            grouped(
                Facet::State,
                "CASE WHEN status = 'open' THEN 'open' ELSE 'closed' END",
                "min(CASE WHEN status = 'open' THEN 'open' ELSE 'closed' END)",
                "visible",
            ),
            grouped(Facet::Label, "l", "min(l)", "visible, unnest(labels) l"),
            grouped(
                Facet::Assignee,
                "a",
                "min(a)",
                "visible, unnest(assignees) a",
            ),
            grouped(
                Facet::Author,
                "coalesce(author, '')",
                "min(coalesce(author, '(unknown)'))",
                "visible",
            ),
        ] {
            q.push(part);
        }
        let rows = q.build().fetch_all(self.pool()).await?;
        let mut counts = IssueCounts {
            total: 0,
            facets: Facet::ALL.iter().map(|f| (*f, Vec::new())).collect(),
        };
        for row in &rows {
            let facet: String = row.try_get("facet")?;
            let n: i64 = row.try_get("n")?;
            if facet == "total" {
                counts.total = n as u64;
                continue;
            }
            let Some((_, values)) = counts.facets.iter_mut().find(|(f, _)| f.key() == facet) else {
                continue;
            };
            let value: String = row.try_get("value")?;
            let mut label: String = row.try_get("label")?;
            if facet == "forge" {
                label = forge_of(&label)?.name().to_owned();
            }
            values.push(FacetCount {
                value,
                label,
                count: n as u64,
            });
        }
        for (_, values) in &mut counts.facets {
            values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
        }
        Ok(counts)
    }

    /// The comments stored for an item, oldest first (what its count counts).
    pub async fn comments_of(&self, repo: RepoId, number: u64) -> Result<Vec<Comment>> {
        let rows = sqlx::query(
            "SELECT id, author, body, url, created_at FROM issue_comments
             WHERE repository_id = $1 AND issue_number = $2 ORDER BY created_at, id",
        )
        .bind(repo)
        .bind(number as i64)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Comment {
                    id: row.try_get("id")?,
                    author: row.try_get("author")?,
                    body: row.try_get("body")?,
                    url: row.try_get("url")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Every item stored for a repository, by number (for tests and checks).
    pub async fn items_of(&self, repo: RepoId) -> Result<Vec<IssueRow>> {
        let rows = sqlx::query(
            "SELECT r.forge, r.path, i.repository_id, i.number, i.title, i.url, i.status, i.author,
                    i.labels, i.assignees, i.comments, i.created_at, i.updated_at
             FROM tracked_issues i JOIN tracked_repositories r ON r.id = i.repository_id
             WHERE i.repository_id = $1 ORDER BY i.number",
        )
        .bind(repo)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(issue_row).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_search_keeps_only_words() {
        assert_eq!(
            prefix_query("Crash on start").as_deref(),
            Some("crash:* & on:* & start:*")
        );
        assert_eq!(
            prefix_query("a&b|!(c:*)").as_deref(),
            Some("a:* & b:* & c:*")
        );
        assert_eq!(prefix_query("  !!! "), None);
    }

    #[test]
    fn cursors_go_round_and_bad_ones_are_refused() {
        let row = IssueRow {
            repo_id: RepoId(7),
            forge: Forge::GitHub,
            repository: "o/r".into(),
            number: 42,
            title: String::new(),
            url: String::new(),
            status: Status::Open,
            author: None,
            labels: Vec::new(),
            assignees: Vec::new(),
            comments: 0,
            created_at: Utc::now(),
            updated_at: DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap(),
        };
        let cursor = cursor_of(&row);
        assert_eq!(
            parse_cursor(&cursor).unwrap(),
            (row.updated_at, RepoId(7), 42)
        );
        assert!(parse_cursor("1.2").is_err());
        assert!(parse_cursor("x.y.z").is_err());
    }

    #[test]
    fn only_the_filters_set_reach_the_sql() {
        let filter = IssueFilter {
            label: Some("bug".into()),
            state: Some(IssueState::Closed),
            q: Some("!!!".into()),
            ..IssueFilter::default()
        };
        let mut q = QueryBuilder::<Postgres>::new("");
        let set: Vec<&str> = FILTERS
            .into_iter()
            .filter(|name| push_condition(&mut q, name, &filter))
            .collect();
        assert_eq!(set, ["state", "label"]);
        let sql = q.sql().to_string();
        assert!(
            sql.contains("i.status <> 'open'") && sql.contains("i.labels @> ARRAY[$1]"),
            "{sql}"
        );
    }
}
