//! The tracker's sync task: one job per repository, keyed by it, so a
//! repository has at most one sync waiting or running and asking again while
//! one is queued is free. A planner in every process queues the
//! repositories whose sync is due.

use std::sync::Arc;

use jiff::ToSpan;
use serde::{Deserialize, Serialize};
use sqlx::{Postgres, Transaction};
use underway::task::{Result as TaskResult, RetryPolicy};
use underway::{Queue, Task};

use super::{already_queued, task_error};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::tracker::RepoId;
use crate::tracker::sync::RepoSyncer;

pub(super) const SYNC_QUEUE: &str = "tally.tracker_sync";

/// A sync's input, as stored in the job row.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncRepository {
    pub repository: RepoId,
}

/// The task a worker runs; also what a job is queued with (its key and
/// priority live on the instance, as underway asks).
#[derive(Clone)]
pub struct SyncTask {
    syncer: Arc<RepoSyncer>,
    key: Option<String>,
    priority: i32,
}

impl Task for SyncTask {
    type Input = SyncRepository;
    type Output = ();

    async fn execute(
        &self,
        _tx: Transaction<'_, Postgres>,
        input: SyncRepository,
    ) -> TaskResult<()> {
        match self.syncer.sync(input.repository).await {
            // Recorded on the repository; the planner asks again once its
            // sync is due, and a governor that defers spends nothing before the reset.
            Ok(_) | Err(Error::Deferred { .. }) => Ok(()),
            Err(error) => Err(task_error(error)),
        }
    }

    fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy::builder()
            .max_attempts(5)
            .initial_interval_ms(10_000)
            .max_interval_ms(600_000)
            .build()
    }

    /// A first sync of a large tracker takes a while; a stuck one ends.
    fn timeout(&self) -> jiff::Span {
        2.hours()
    }

    /// A job whose process died is taken up again this soon.
    fn heartbeat(&self) -> jiff::Span {
        5.seconds()
    }

    fn ttl(&self) -> jiff::Span {
        7.days()
    }

    fn concurrency_key(&self) -> Option<String> {
        self.key.clone()
    }

    fn priority(&self) -> i32 {
        self.priority
    }
}

/// Queues syncs; cheap to clone.
#[derive(Clone)]
pub struct SyncQueue {
    pub(super) queue: Arc<Queue<SyncTask>>,
    pub(super) task: SyncTask,
    pub(super) store: Store,
}

/// The concurrency key of a repository's sync (one waiting or running) is
/// this and its id.
const SYNC_KEY: &str = "tracker-sync-";

/// What a sync cut off before it ended shows.
pub const CUT_OFF: &str = "the sync stopped before it ended (its time limit ran out, or its process stopped); what it stored is kept, and it runs again";

fn sync_key(repository: RepoId) -> String {
    format!("{SYNC_KEY}{repository}")
}

impl SyncQueue {
    /// The queue (created on first use) and its migrations.
    pub async fn new(store: Store, syncer: Arc<RepoSyncer>) -> Result<Self> {
        let queue = Queue::builder()
            .name(SYNC_QUEUE)
            .pool(store.pool().clone())
            .build()
            .await
            .map_err(|e| Error::Jobs(e.to_string()))?;
        Ok(Self {
            queue: Arc::new(queue),
            task: SyncTask {
                syncer,
                key: None,
                priority: 0,
            },
            store,
        })
    }

    /// Queues a sync of `repository` unless one is waiting or running.
    /// `soon` puts it before planned ones (someone is waiting for it).
    pub async fn enqueue(&self, repository: RepoId, soon: bool) -> Result<()> {
        let task = SyncTask {
            key: Some(sync_key(repository)),
            priority: if soon { 10 } else { 0 },
            ..self.task.clone()
        };
        match self
            .queue
            .enqueue(self.store.pool(), &task, &SyncRepository { repository })
            .await
        {
            Ok(_) => Ok(()),
            Err(error) if already_queued(&error) => Ok(()),
            Err(error) => Err(Error::Jobs(error.to_string())),
        }
    }

    /// Queues every repository whose sync is due; returns how many. Syncs
    /// that were cut off first show as failed (and so are due).
    pub async fn plan(&self, sync_every: chrono::Duration) -> Result<usize> {
        self.cut_off().await?;
        let due = self.due(chrono::Utc::now() - sync_every, 500).await?;
        for repository in &due {
            self.enqueue(*repository, false).await?;
        }
        Ok(due.len())
    }

    /// Up to `limit` subscribed repositories (or kept for reports) last
    /// synced before `before` (or never, or put off until now), longest
    /// waiting first, leaving out those whose sync is
    /// already waiting or running: a backlog is not asked for again on
    /// every planning round.
    async fn due(&self, before: chrono::DateTime<chrono::Utc>, limit: i64) -> Result<Vec<RepoId>> {
        Ok(sqlx::query_scalar(
            "SELECT r.id FROM tracked_repositories r
             WHERE (EXISTS (SELECT 1 FROM subscriptions s WHERE s.repository_id = r.id)
                    OR r.report_until > now())
               AND (r.last_synced_at IS NULL OR r.last_synced_at < $1 OR r.resume_at <= now())
               AND NOT EXISTS (SELECT 1 FROM underway.task t
                    WHERE t.task_queue_name = $3 AND t.concurrency_key = $4 || r.id
                      AND t.state IN ('pending', 'in_progress'))
             ORDER BY r.last_synced_at NULLS FIRST, r.id
             LIMIT $2",
        )
        .bind(before)
        .bind(limit)
        .bind(SYNC_QUEUE)
        .bind(SYNC_KEY)
        .fetch_all(self.store.pool())
        .await?)
    }

    /// Marks failed the syncs that started but whose job is no longer
    /// waiting or running (its time limit ended it, or its process died and
    /// its retries ran out): they would otherwise show "syncing" for ever.
    /// They are due again at once. Returns how many.
    pub async fn cut_off(&self) -> Result<u64> {
        let mut tx = self.store.pool().begin().await?;
        let marked = sqlx::query(
            "UPDATE tracked_repositories r
             SET sync_started_at = NULL, last_synced_at = now(), resume_at = now(),
                 last_error = $3
             WHERE r.sync_started_at < now() - interval '1 minute'
               AND NOT EXISTS (SELECT 1 FROM underway.task t
                    WHERE t.task_queue_name = $1 AND t.concurrency_key = $2 || r.id
                      AND t.state IN ('pending', 'in_progress'))",
        )
        .bind(SYNC_QUEUE)
        .bind(SYNC_KEY)
        .bind(CUT_OFF)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if marked > 0 {
            tracing::warn!(marked, "syncs cut off before they ended are marked failed");
            self.store.commit_change(tx).await?;
        }
        Ok(marked)
    }

    /// Whether a sync of `repository` is waiting or running.
    pub async fn is_queued(&self, repository: RepoId) -> Result<bool> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM underway.task
              WHERE task_queue_name = $1 AND concurrency_key = $2
                AND state IN ('pending', 'in_progress'))",
        )
        .bind(SYNC_QUEUE)
        .bind(sync_key(repository))
        .fetch_one(self.store.pool())
        .await?)
    }
}
