//! Discovery's task runs, the periodic schedules and the forges' rate-limit
//! standings: the tables of `migrations/…_tasks.sql` (but API tokens, which
//! are in [`super::tokens`]).

use chrono::{DateTime, Utc};
use model::forge::Forge;
use model::ids::TaskRunId;
use model::rate_limit::RateLimit;
use model::tasks::{Schedule, TaskName, TaskProgress, TaskRequest, TaskRun, TaskState};
use serde_json::Value;

use super::{Store, bigint, unsigned};
use crate::error::{Error, Result};
use crate::forge::governor::Standing;

type RunRow = (
    TaskRunId,
    String,
    Value,
    String,
    i32,
    i32,
    Option<String>,
    Option<String>,
    String,
    Option<TaskRunId>,
    Option<String>,
    Option<DateTime<Utc>>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

const RUN_COLUMNS: &str = "id, name, parameters, state, done, total, step, error, requested_by,
     parent_id, worker, deferred_until, created_at, started_at, finished_at";

/// `prefix` is where runs are addressed (`/api/v1/tasks`).
fn run_from(row: RunRow, prefix: &str) -> Result<TaskRun> {
    let (
        id,
        name,
        parameters,
        state,
        done,
        total,
        step,
        error,
        requested_by,
        parent,
        worker,
        deferred,
        created,
        started,
        finished,
    ) = row;
    let damaged = |what: &str| Error::Inconsistent(format!("task run {id} has {what}"));
    Ok(TaskRun {
        id,
        name: TaskName::from_key(&name).ok_or_else(|| damaged("an unknown name"))?,
        parameters,
        state: TaskState::from_key(&state).ok_or_else(|| damaged("an unknown state"))?,
        progress: TaskProgress {
            done: unsigned(done.into())?,
            total: unsigned(total.into())?,
            step,
        },
        error,
        requested_by,
        parent,
        worker,
        deferred_until: deferred,
        created_at: created,
        started_at: started,
        finished_at: finished,
        url: format!("{prefix}/{id}"),
    })
}

/// A run as a worker takes it up: what to do and how far it got.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub request: TaskRequest,
    /// Steps finished by earlier attempts.
    pub done: u32,
    /// Starts so far, this one included.
    pub starts: u32,
}

impl Store {
    /// Records a run asked for; a worker takes it up once it is queued.
    pub async fn create_run(
        &self,
        request: &TaskRequest,
        requested_by: &str,
        parent: Option<TaskRunId>,
    ) -> Result<TaskRunId> {
        Ok(sqlx::query_scalar(
            "INSERT INTO task_runs (name, parameters, requested_by, parent_id)
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(request.name().key())
        .bind(request.parameters())
        .bind(requested_by)
        .bind(parent)
        .fetch_one(self.pool())
        .await?)
    }

    pub async fn task_run(&self, id: TaskRunId, prefix: &str) -> Result<Option<TaskRun>> {
        let row: Option<RunRow> = sqlx::query_as(&format!(
            "SELECT {RUN_COLUMNS} FROM task_runs WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| run_from(row, prefix)).transpose()
    }

    /// The latest `limit` runs that were asked for (not a scraper's
    /// children), newest first.
    pub async fn recent_runs(&self, limit: i64, prefix: &str) -> Result<Vec<TaskRun>> {
        let rows: Vec<RunRow> = sqlx::query_as(&format!(
            "SELECT {RUN_COLUMNS} FROM task_runs WHERE parent_id IS NULL ORDER BY id DESC LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(|row| run_from(row, prefix)).collect()
    }

    /// A scraper run's profile syncs, in the order it runs them.
    pub async fn child_runs(&self, parent: TaskRunId, prefix: &str) -> Result<Vec<TaskRun>> {
        let rows: Vec<RunRow> = sqlx::query_as(&format!(
            "SELECT {RUN_COLUMNS} FROM task_runs WHERE parent_id = $1 ORDER BY id"
        ))
        .bind(parent)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(|row| run_from(row, prefix)).collect()
    }

    /// Marks a run as running and answers what it is and how far it got;
    /// `None` if it has finished (a job queued twice, or already done).
    pub async fn claim_run(&self, id: TaskRunId, worker: &str) -> Result<Option<Claimed>> {
        let row: Option<(String, Value, i32, i32)> = sqlx::query_as(
            "UPDATE task_runs SET state = 'running', starts = starts + 1,
                 started_at = coalesce(started_at, now()), deferred_until = NULL,
                 error = NULL, updated_at = now(), worker = $2
             WHERE id = $1 AND state NOT IN ('succeeded', 'failed')
             RETURNING name, parameters, done, starts",
        )
        .bind(id)
        .bind(worker)
        .fetch_optional(self.pool())
        .await?;
        let Some((name, mut parameters, done, starts)) = row else {
            return Ok(None);
        };
        if let Value::Object(map) = &mut parameters {
            map.insert("name".into(), Value::String(name));
        }
        let request = TaskRequest::from_json(&parameters).map_err(|p| {
            Error::Inconsistent(format!("task run {id}: {}: {}", p.field, p.message))
        })?;
        Ok(Some(Claimed {
            request,
            done: unsigned(done.into())?,
            starts: unsigned(starts.into())?,
        }))
    }

    /// Records a finished step: a resumed run starts after it.
    pub async fn advance_run(
        &self,
        id: TaskRunId,
        done: u32,
        total: u32,
        step: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE task_runs SET done = $2, total = greatest($3, $2), step = $4, updated_at = now()
             WHERE id = $1",
        )
        .bind(id)
        .bind(steps(done)?)
        .bind(steps(total)?)
        .bind(step)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Ends a run: `error` says why it failed, `None` that it succeeded.
    pub async fn finish_run(&self, id: TaskRunId, error: Option<&str>) -> Result<()> {
        let state = if error.is_some() {
            TaskState::Failed
        } else {
            TaskState::Succeeded
        };
        sqlx::query(
            "UPDATE task_runs SET state = $2, error = $3, finished_at = now(), updated_at = now(),
                 done = CASE WHEN $3::text IS NULL THEN total ELSE done END
             WHERE id = $1",
        )
        .bind(id)
        .bind(state.key())
        .bind(error)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Records an attempt that failed in a way worth retrying; answers the
    /// failures so far. The run waits for its next attempt.
    pub async fn run_attempt_failed(&self, id: TaskRunId, error: &str) -> Result<u32> {
        let failures: i32 = sqlx::query_scalar(
            "UPDATE task_runs SET state = 'queued', failures = failures + 1, error = $2,
                 updated_at = now()
             WHERE id = $1 RETURNING failures",
        )
        .bind(id)
        .bind(error)
        .fetch_one(self.pool())
        .await?;
        unsigned(failures.into())
    }

    /// Puts a run off until `until`, keeping its progress.
    pub async fn defer_run(&self, id: TaskRunId, until: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "UPDATE task_runs SET state = 'deferred', deferred_until = $2, updated_at = now()
             WHERE id = $1",
        )
        .bind(id)
        .bind(until)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Runs `name` now if its period is due, across every process on the
    /// database: the one `UPDATE` that moves `next_at` on decides which
    /// process runs it. Answers the database's time of the run when this
    /// one claimed it (the clock that spaces the runs), else `None`. A
    /// schedule seen for the first time is due at once with `at_once`,
    /// else a period later.
    pub async fn claim_schedule(
        &self,
        name: &str,
        every: std::time::Duration,
        at_once: bool,
        by: &str,
    ) -> Result<Option<DateTime<Utc>>> {
        let secs = bigint(every.as_secs().max(1))?;
        sqlx::query(
            "INSERT INTO schedules (name, every_secs, next_at)
             VALUES ($1, $2, now() + make_interval(secs => CASE WHEN $3 THEN 0 ELSE $2 END))
             ON CONFLICT (name) DO UPDATE SET every_secs = excluded.every_secs,
                 next_at = least(schedules.next_at, now() + make_interval(secs => excluded.every_secs))",
        )
        .bind(name)
        .bind(secs)
        .bind(at_once)
        .execute(self.pool())
        .await?;
        let claimed = sqlx::query_scalar(
            "UPDATE schedules SET next_at = now() + make_interval(secs => every_secs),
                 last_run_at = now(), last_run_by = $2, runs = runs + 1
             WHERE name = $1 AND next_at <= now()
             RETURNING last_run_at",
        )
        .bind(name)
        .bind(by)
        .fetch_optional(self.pool())
        .await?;
        Ok(claimed)
    }

    pub async fn schedules(&self) -> Result<Vec<Schedule>> {
        let rows: Vec<ScheduleRow> = sqlx::query_as(
            "SELECT name, every_secs, last_run_at, last_run_by, next_at, runs
             FROM schedules ORDER BY name",
        )
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(Schedule {
                    name: row.name,
                    every_seconds: unsigned(row.every_secs)?,
                    last_run_at: row.last_run_at,
                    last_run_by: row.last_run_by,
                    next_at: row.next_at,
                    runs: unsigned(row.runs)?,
                })
            })
            .collect()
    }

    /// Keeps what a forge last said of a token's budgets, so every process
    /// (and `GET /api/v1/rate_limit`) knows it. Several clients spend one
    /// budget and each knows what its own answers said, so a standing
    /// replaces the kept one only for a later window, or for less budget
    /// left in the same one (within a window it only shrinks); the same
    /// figures again leave `seen_at` at when they were first heard.
    pub async fn save_rate_limits(
        &self,
        forge: Forge,
        instance: &str,
        token_key: &str,
        standings: &[Standing],
    ) -> Result<()> {
        for standing in standings {
            let reset = i64::try_from(standing.reset)
                .ok()
                .and_then(|s| DateTime::from_timestamp(s, 0));
            let Some(reset) = reset else { continue };
            sqlx::query(
                r#"INSERT INTO rate_limits (forge, instance, token_key, bucket, "limit", remaining, reset_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7)
                   ON CONFLICT (forge, instance, token_key, bucket) DO UPDATE SET
                       "limit" = excluded."limit", remaining = excluded.remaining,
                       reset_at = excluded.reset_at, seen_at = now()
                   WHERE rate_limits.reset_at < excluded.reset_at
                      OR (rate_limits.reset_at = excluded.reset_at
                          AND rate_limits.remaining > excluded.remaining)"#,
            )
            .bind(forge.key())
            .bind(instance)
            .bind(token_key)
            .bind(&standing.bucket)
            .bind(bigint(standing.limit)?)
            .bind(bigint(standing.remaining)?)
            .bind(reset)
            .execute(self.pool())
            .await?;
        }
        Ok(())
    }

    /// A token's budgets as last kept, for a governor to learn.
    pub async fn rate_limit_standings(
        &self,
        forge: Forge,
        instance: &str,
        token_key: &str,
    ) -> Result<Vec<Standing>> {
        let rows: Vec<(String, i64, i64, DateTime<Utc>)> = sqlx::query_as(
            r#"SELECT bucket, "limit", remaining, reset_at FROM rate_limits
               WHERE forge = $1 AND instance = $2 AND token_key = $3"#,
        )
        .bind(forge.key())
        .bind(instance)
        .bind(token_key)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|(bucket, limit, remaining, reset)| {
                Ok(Standing {
                    bucket,
                    limit: unsigned(limit)?,
                    remaining: unsigned(remaining)?,
                    reset: unsigned(reset.timestamp())?,
                })
            })
            .collect()
    }

    /// Every budget kept, by forge, instance, token and bucket.
    pub async fn rate_limits(&self) -> Result<Vec<RateLimit>> {
        let rows: Vec<RateLimitRow> = sqlx::query_as(
            r#"SELECT forge, instance, token_key, bucket, "limit", remaining, reset_at, seen_at
               FROM rate_limits ORDER BY forge, instance, token_key, bucket"#,
        )
        .fetch_all(self.pool())
        .await?;
        let mut limits = Vec::with_capacity(rows.len());
        for row in rows {
            // A forge this build does not know was written by a newer one.
            let Some(forge) = Forge::from_key(&row.forge) else {
                continue;
            };
            limits.push(RateLimit {
                forge,
                instance: row.instance,
                token: row.token_key,
                bucket: row.bucket,
                limit: unsigned(row.limit)?,
                remaining: unsigned(row.remaining)?,
                reset: row.reset_at.timestamp(),
                reset_at: row.reset_at,
                seen_at: row.seen_at,
            });
        }
        Ok(limits)
    }
}

#[derive(sqlx::FromRow)]
struct ScheduleRow {
    name: String,
    every_secs: i64,
    last_run_at: Option<DateTime<Utc>>,
    last_run_by: Option<String>,
    next_at: DateTime<Utc>,
    runs: i64,
}

#[derive(sqlx::FromRow)]
struct RateLimitRow {
    forge: String,
    instance: String,
    token_key: String,
    bucket: String,
    limit: i64,
    remaining: i64,
    reset_at: DateTime<Utc>,
    seen_at: DateTime<Utc>,
}

/// A step count as the `integer` columns hold it.
fn steps(n: u32) -> Result<i32> {
    i32::try_from(n).map_err(|_| Error::Inconsistent(format!("{n} steps do not fit a task run")))
}
