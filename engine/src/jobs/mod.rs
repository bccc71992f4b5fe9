//! Background work that must survive the process: durable jobs in Postgres
//! through [underway](https://docs.rs/underway). A job is a row; a worker
//! in any `tally` process takes it with `FOR UPDATE SKIP LOCKED`, so two
//! processes never run the same job, and keeps a heartbeat on it, so the
//! job of a process that died is taken up again once the heartbeat stops.
//!
//! One module per task type; this one starts them. Every task must be safe
//! to run again: a process that dies mid-job leaves it to be taken up.

pub mod discovery;
mod tracker_sync;

use std::time::Duration;

use jiff::ToSpan;
use tokio::task::JoinHandle;
use underway::Worker;
use underway::task::Error as TaskError;

use crate::error::Error;
pub use discovery::{DiscoveryQueue, ScheduleSettings};
pub use tracker_sync::{CUT_OFF, SyncQueue, SyncRepository, SyncTask};

/// How background work runs.
#[derive(Debug, Clone, Copy)]
pub struct JobSettings {
    /// Repositories are synced again this long after their last sync.
    pub sync_every: chrono::Duration,
    /// Syncs this process runs at once.
    pub workers: usize,
    /// How often the planner looks for due repositories.
    pub plan_every: Duration,
    /// Discovery runs this process works on at once.
    pub discovery_workers: usize,
    pub schedules: ScheduleSettings,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            sync_every: chrono::Duration::minutes(15),
            workers: 4,
            plan_every: Duration::from_secs(30),
            discovery_workers: 2,
            schedules: ScheduleSettings::default(),
        }
    }
}

/// How a task's failure is recorded: what may come back (the forge, the
/// database) is retried later; what will not (gone, private, refused) is
/// recorded where it happened and left to the next planned run.
fn task_error(error: Error) -> TaskError {
    match error {
        Error::Unreachable { .. }
        | Error::Status { .. }
        | Error::Malformed { .. }
        | Error::Database(_)
        | Error::Deferred { .. }
        | Error::Inconsistent(_) => TaskError::Retryable(error.to_string()),
        error => TaskError::Fatal(error.to_string()),
    }
}

/// Whether a database error is the unique key of a job already queued.
fn already_queued(error: &underway::queue::Error) -> bool {
    matches!(error, underway::queue::Error::Database(sqlx::Error::Database(e))
        if e.code().as_deref() == Some("23505"))
}

/// The running background work of this process; dropping it stops it.
pub struct Running {
    tasks: Vec<JoinHandle<()>>,
    sync_worker: Worker<SyncTask>,
    discovery_worker: Option<Worker<discovery::DiscoveryTask>>,
}

impl Running {
    /// Stops taking new jobs and ends this process's work; a job cut off
    /// is taken up by another process once its heartbeat stops.
    pub fn stop(self) {
        self.sync_worker.shutdown();
        if let Some(worker) = &self.discovery_worker {
            worker.shutdown();
        }
        for task in self.tasks {
            task.abort();
        }
    }
}

/// How long a worker that stopped on an error (the database restarting,
/// its connection cut) waits before it starts again.
const RESTART_AFTER: Duration = Duration::from_secs(2);

/// Runs `worker` until it is shut down. A worker stops on a database
/// error; it is started again, so jobs do not wait for the next process
/// (its job, left in progress, is taken up again once its heartbeat is
/// stale).
fn spawn_worker<T: underway::Task + Sync>(
    worker: &Worker<T>,
    what: &'static str,
) -> JoinHandle<()> {
    let worker = worker.clone();
    tokio::spawn(async move {
        // Polling finds jobs whose process died (no notification says so).
        while let Err(error) = worker.run_every(2.seconds()).await {
            tracing::warn!(%error, "the {what} worker stopped; starting it again");
            tokio::time::sleep(RESTART_AFTER).await;
        }
    })
}

/// Starts this process's share of the work: `settings.workers` syncs at a
/// time and the planner; with `discovery`, its runs and the schedules.
pub fn start(
    queue: SyncQueue,
    discovery: Option<DiscoveryQueue>,
    settings: JobSettings,
) -> Running {
    let mut sync_worker = Worker::new(queue.queue.clone(), queue.task.clone());
    sync_worker.set_concurrency_limit(settings.workers.max(1));
    let mut tasks = vec![spawn_worker(&sync_worker, "sync")];
    let discovery_worker = discovery.map(|discovery| {
        let mut worker = Worker::new(discovery.queue.clone(), discovery.task.clone());
        worker.set_concurrency_limit(settings.discovery_workers.max(1));
        tasks.push(spawn_worker(&worker, "discovery"));
        tasks.push(tokio::spawn(keep_schedules(discovery, settings.schedules)));
        worker
    });
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
    Running {
        tasks,
        sync_worker,
        discovery_worker,
    }
}

/// Looks at the schedules and the due runs every `sweep_every`.
async fn keep_schedules(queue: DiscoveryQueue, settings: ScheduleSettings) {
    let process = discovery::process_name();
    let mut ticks = tokio::time::interval(settings.sweep_every);
    loop {
        ticks.tick().await;
        if let Err(error) = queue.tick(&settings, process).await {
            tracing::warn!(%error, "the discovery schedules failed a round");
        }
    }
}
