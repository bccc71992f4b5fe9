//! Discovery's tasks on the job queue, and the periodic schedules.
//!
//! A run is a row in `task_runs` (what was asked, how far it got); a job
//! only says "run this row", keyed by it, so a run has at most one job
//! waiting or running. A run that finds its share of the rate limit spent
//! records when it may go on and ends its job; the sweeper queues it again
//! once that time has come, and it resumes after its last finished step.
//! The sweeper also queues runs whose job was never written (a process
//! that died between the two), so a run asked for is never lost.

use std::sync::Arc;
use std::time::Duration;

use jiff::ToSpan;
use model::forge::Forge;
use model::ids::TaskRunId;
use model::tasks::TaskRequest;
use serde::{Deserialize, Serialize};
use sqlx::{Postgres, Transaction};
use underway::task::{Result as TaskResult, RetryPolicy};
use underway::{Queue, Task};

use super::{already_queued, task_error};
use crate::discovery::Discovery;
use crate::error::{Error, Result};
use crate::store::Store;

pub(super) const DISCOVERY_QUEUE: &str = "tally.discovery";
const RUN_KEY: &str = "discovery-run-";

/// The periodic work, by the name its row in `schedules` has.
pub const DISCOVERY_SCHEDULE: &str = "discovery";
pub const HEARTBEAT_SCHEDULE: &str = "heartbeat";

/// How often and how much discovery runs by itself.
#[derive(Debug, Clone, Copy)]
pub struct ScheduleSettings {
    /// A scraper run is queued this often; `None`: never by itself.
    pub discovery_every: Option<Duration>,
    /// Developers each scheduled scraper run syncs.
    pub scrape_count: u32,
    /// The heartbeat is recorded this often.
    pub heartbeat_every: Duration,
    /// How often this process looks at the schedules and due runs.
    pub sweep_every: Duration,
}

impl Default for ScheduleSettings {
    fn default() -> Self {
        Self {
            discovery_every: Some(Duration::from_secs(3600)),
            scrape_count: model::tasks::DEFAULT_SCRAPE_COUNT,
            heartbeat_every: Duration::from_secs(60),
            sweep_every: Duration::from_secs(2),
        }
    }
}

/// A job's input: the run to execute.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunTask {
    pub run: TaskRunId,
}

#[derive(Clone)]
pub struct DiscoveryTask {
    discovery: Arc<Discovery>,
    key: Option<String>,
}

impl Task for DiscoveryTask {
    type Input = RunTask;
    type Output = ();

    async fn execute(&self, _tx: Transaction<'_, Postgres>, input: RunTask) -> TaskResult<()> {
        match self.discovery.execute(input.run).await {
            Ok(outcome) => {
                tracing::debug!(run = %input.run, ?outcome, "discovery run ended");
                Ok(())
            }
            Err(error) => Err(task_error(error)),
        }
    }

    /// The run counts its own failures and gives up after five; this only
    /// spaces the attempts.
    fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy::builder()
            .max_attempts(6)
            .initial_interval_ms(5_000)
            .max_interval_ms(300_000)
            .build()
    }

    fn timeout(&self) -> jiff::Span {
        6.hours()
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
}

/// Queues discovery's runs; cheap to clone.
#[derive(Clone)]
pub struct DiscoveryQueue {
    pub(super) queue: Arc<Queue<DiscoveryTask>>,
    pub(super) task: DiscoveryTask,
    pub(super) store: Store,
}

impl DiscoveryQueue {
    pub async fn new(store: Store, discovery: Arc<Discovery>) -> Result<Self> {
        let queue = Queue::builder()
            .name(DISCOVERY_QUEUE)
            .pool(store.pool().clone())
            .build()
            .await
            .map_err(|e| Error::Jobs(e.to_string()))?;
        Ok(Self {
            queue: Arc::new(queue),
            task: DiscoveryTask {
                discovery,
                key: None,
            },
            store,
        })
    }

    /// Records a run of `request` asked for by `requested_by` and queues it.
    pub async fn submit(&self, request: &TaskRequest, requested_by: &str) -> Result<TaskRunId> {
        let run = self.store.create_run(request, requested_by, None).await?;
        self.enqueue(run).await?;
        Ok(run)
    }

    /// Queues `run` unless a job for it is waiting or running.
    pub async fn enqueue(&self, run: TaskRunId) -> Result<()> {
        let task = DiscoveryTask {
            key: Some(format!("{RUN_KEY}{run}")),
            ..self.task.clone()
        };
        match self
            .queue
            .enqueue(self.store.pool(), &task, &RunTask { run })
            .await
        {
            Ok(_) => Ok(()),
            Err(error) if already_queued(&error) => Ok(()),
            Err(error) => Err(Error::Jobs(error.to_string())),
        }
    }

    /// Queues the runs that should have a job and have none: deferred ones
    /// whose time has come, and queued ones whose job was never written.
    pub async fn sweep(&self) -> Result<usize> {
        let due: Vec<TaskRunId> = sqlx::query_scalar(
            "SELECT r.id FROM task_runs r
             WHERE r.parent_id IS NULL
               AND (r.state IN ('queued', 'running')
                    OR (r.state = 'deferred' AND r.deferred_until <= now()))
               AND NOT EXISTS (SELECT 1 FROM underway.task t
                    WHERE t.task_queue_name = $1 AND t.concurrency_key = $2 || r.id
                      AND t.state IN ('pending', 'in_progress'))
             ORDER BY r.id LIMIT 100",
        )
        .bind(DISCOVERY_QUEUE)
        .bind(RUN_KEY)
        .fetch_all(self.store.pool())
        .await?;
        for run in &due {
            self.enqueue(*run).await?;
        }
        Ok(due.len())
    }

    /// Runs the schedules that are due in this process (each one in only
    /// one process per period), then sweeps.
    pub async fn tick(&self, settings: &ScheduleSettings, process: &str) -> Result<()> {
        self.store
            .claim_schedule(HEARTBEAT_SCHEDULE, settings.heartbeat_every, true, process)
            .await?;
        if let Some(every) = settings.discovery_every
            && self
                .store
                .claim_schedule(DISCOVERY_SCHEDULE, every, false, process)
                .await?
                .is_some()
        {
            let request = TaskRequest::DiscoveryScraper {
                forge: Forge::GitHub,
                count: settings.scrape_count,
            };
            let run = self.submit(&request, "schedule").await?;
            tracing::info!(%run, "queued the scheduled discovery run");
        }
        self.sweep().await?;
        Ok(())
    }
}

/// This process, as runs and schedules record who ran them: host and
/// process id.
pub fn process_name() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| {
        let host = std::fs::read_to_string("/etc/hostname")
            .map_or_else(|_| "localhost".to_owned(), |h| h.trim().to_owned());
        format!("{host}:{}", std::process::id())
    })
}
