//! Background work that must survive the process: durable jobs in Postgres
//! through [underway](https://docs.rs/underway). A job is a row; a worker
//! in any `tally` process takes it with `FOR UPDATE SKIP LOCKED`, so two
//! processes never run the same job, and keeps a heartbeat on it, so the
//! job of a process that died is taken up again once the heartbeat stops.
//!
//! One kind of job so far: syncing one repository's tracker. A repository
//! has at most one such job waiting or running (its concurrency key), so
//! asking again while one is queued is free. A planner in every process
//! queues the repositories whose sync is due.

use std::sync::Arc;
use std::time::Duration;

use jiff::ToSpan;
use serde::{Deserialize, Serialize};
use sqlx::{Postgres, Transaction};
use tokio::task::JoinHandle;
use underway::task::{Error as TaskError, Result as TaskResult, RetryPolicy};
use underway::{Queue, Task, Worker};

use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::tracker::RepoId;
use crate::tracker::sync::RepoSyncer;

const SYNC_QUEUE: &str = "tally.tracker_sync";

/// How background work runs.
#[derive(Debug, Clone, Copy)]
pub struct JobSettings {
    /// Repositories are synced again this long after their last sync.
    pub sync_every: chrono::Duration,
    /// Syncs this process runs at once.
    pub workers: usize,
    /// How often the planner looks for due repositories.
    pub plan_every: Duration,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            sync_every: chrono::Duration::minutes(15),
            workers: 4,
            plan_every: Duration::from_secs(30),
        }
    }
}

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
            Ok(_) => Ok(()),
            // The forge or the database may come back: try again later.
            Err(
                error @ (Error::Unreachable { .. }
                | Error::Status { .. }
                | Error::Malformed { .. }
                | Error::Database(_)
                | Error::Inconsistent(_)),
            ) => Err(TaskError::Retryable(error.to_string())),
            // Gone, private or refused: recorded on the repository; the next
            // planned sync tries again, retrying now would not help.
            Err(error) => Err(TaskError::Fatal(error.to_string())),
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
    queue: Arc<Queue<SyncTask>>,
    task: SyncTask,
    store: Store,
}

/// The concurrency key of a repository's sync (one waiting or running) is
/// this and its id.
const SYNC_KEY: &str = "tracker-sync-";

fn sync_key(repository: RepoId) -> String {
    format!("{SYNC_KEY}{repository}")
}

/// Whether a database error is the unique key of a job already queued.
fn already_queued(error: &underway::queue::Error) -> bool {
    matches!(error, underway::queue::Error::Database(sqlx::Error::Database(e))
        if e.code().as_deref() == Some("23505"))
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

    /// Queues every repository whose sync is due; returns how many.
    pub async fn plan(&self, sync_every: chrono::Duration) -> Result<usize> {
        let due = self.due(chrono::Utc::now() - sync_every, 500).await?;
        for repository in &due {
            self.enqueue(*repository, false).await?;
        }
        Ok(due.len())
    }

    /// Up to `limit` subscribed repositories last synced before `before`
    /// (or never), longest waiting first, leaving out those whose sync is
    /// already waiting or running: a backlog is not asked for again on
    /// every planning round.
    async fn due(&self, before: chrono::DateTime<chrono::Utc>, limit: i64) -> Result<Vec<RepoId>> {
        Ok(sqlx::query_scalar(
            "SELECT r.id FROM tracked_repositories r
             WHERE EXISTS (SELECT 1 FROM subscriptions s WHERE s.repository_id = r.id)
               AND (r.last_synced_at IS NULL OR r.last_synced_at < $1)
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

/// The running background work of this process; dropping it stops it.
pub struct Running {
    tasks: Vec<JoinHandle<()>>,
    worker: Worker<SyncTask>,
}

impl Running {
    pub fn stop(self) {
        self.worker.shutdown();
        for task in self.tasks {
            task.abort();
        }
    }
}

/// Starts this process's share of the work: `settings.workers` syncs at a
/// time, and the planner.
pub fn start(queue: SyncQueue, settings: JobSettings) -> Running {
    let mut worker = Worker::new(queue.queue.clone(), queue.task.clone());
    worker.set_concurrency_limit(settings.workers.max(1));
    let running_worker = worker.clone();
    let mut tasks = vec![tokio::spawn(async move {
        // Polling finds jobs whose process died (no notification says so).
        if let Err(error) = running_worker.run_every(2.seconds()).await {
            tracing::error!(%error, "the sync worker stopped");
        }
    })];
    let pool = queue.store.pool().clone();
    tasks.push(tokio::spawn(async move {
        // Finished jobs are kept for their time to live, then deleted.
        if let Err(error) = underway::queue::run_deletion_every(&pool, 1.hour()).await {
            tracing::error!(%error, "deleting old jobs stopped");
        }
    }));
    tasks.push(tokio::spawn(async move {
        let mut ticks = tokio::time::interval(settings.plan_every);
        loop {
            ticks.tick().await;
            match queue.plan(settings.sync_every).await {
                Ok(0) => {}
                Ok(queued) => tracing::debug!(queued, "queued due syncs"),
                Err(error) => tracing::warn!(%error, "planning syncs failed"),
            }
        }
    }));
    Running { tasks, worker }
}
