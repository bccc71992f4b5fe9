//! Running discovery's tasks from their rows in `task_runs`: resuming a
//! run from its last finished step, putting it off when its share of the
//! rate limit cannot cover it, and a scraper's profile syncs as its
//! children. The job queue ([`crate::jobs::discovery`]) only calls
//! [`Discovery::execute`] and acts on the outcome.

use chrono::{DateTime, Utc};
use model::forge::Forge;
use model::ids::TaskRunId;
use model::tasks::TaskRequest;

use super::{Discovery, Progress};
use crate::error::{Error, Result, epoch_time};
use crate::store::bigint;

/// Retryable failures of one run before it is recorded as failed.
const MAX_FAILURES: u32 = 5;
/// Rows a list page holds on GitHub.
const PAGE: u64 = 100;
/// What a profile sync costs when nothing is known of the developer: the
/// profile and one page of each list.
const UNKNOWN_PROFILE_COST: u64 = 5;

/// What became of one attempt at a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Succeeded or failed for good; the row says which.
    Finished,
    /// The share of the budget is spent; run it again at this time, and it
    /// goes on from where it stopped.
    Deferred(DateTime<Utc>),
}

/// A list of `n` rows costs this many requests (an empty list one).
fn pages(n: u64) -> u64 {
    n.div_ceil(PAGE).max(1)
}

/// Failures that another attempt will not mend.
fn is_permanent(error: &Error) -> bool {
    matches!(
        error,
        Error::NotFound { .. } | Error::Invalid(_) | Error::Denied(_) | Error::Refused { .. }
    )
}

impl Discovery {
    /// Runs, or resumes, run `id`. Safe to call again for a run that
    /// finished (it does nothing) or that another attempt left half done
    /// (the finished steps are skipped).
    pub async fn execute(&self, id: TaskRunId) -> Result<Outcome> {
        let Some(claimed) = self
            .store
            .claim_run(id, crate::jobs::discovery::process_name())
            .await?
        else {
            return Ok(Outcome::Finished);
        };
        let forge = claimed.request.forge();
        self.learn_standing(forge).await?;
        if let Some(until) = self.unaffordable(&claimed.request).await? {
            self.store.defer_run(id, until).await?;
            return Ok(Outcome::Deferred(until));
        }
        let mut progress = Progress::of_run(id, claimed.done);
        let result = self.perform(id, &claimed.request, &mut progress).await;
        self.keep_standing(forge).await?;
        match result {
            Ok(()) => {
                self.store.finish_run(id, None).await?;
                Ok(Outcome::Finished)
            }
            Err(Error::Deferred { until }) => {
                self.store.defer_run(id, until).await?;
                Ok(Outcome::Deferred(until))
            }
            Err(error) if is_permanent(&error) => {
                self.store.finish_run(id, Some(&error.to_string())).await?;
                Ok(Outcome::Finished)
            }
            Err(error) => {
                let failures = self
                    .store
                    .run_attempt_failed(id, &error.to_string())
                    .await?;
                if failures >= MAX_FAILURES {
                    let message = format!("gave up after {failures} attempts: {error}");
                    self.store.finish_run(id, Some(&message)).await?;
                    return Ok(Outcome::Finished);
                }
                Err(error)
            }
        }
    }

    async fn perform(
        &self,
        id: TaskRunId,
        request: &TaskRequest,
        progress: &mut Progress,
    ) -> Result<()> {
        match request {
            TaskRequest::FullProfileSync { forge, username } => {
                self.full_profile_sync(*forge, username, progress).await?;
            }
            TaskRequest::FullRepositorySync {
                forge,
                owner,
                repository,
            } => {
                self.full_repository_sync(*forge, owner, repository, progress)
                    .await?;
            }
            TaskRequest::DiscoveryScraper { forge, count } => {
                self.scrape(id, *forge, *count).await?;
            }
        }
        Ok(())
    }

    /// A scraper run: on its first attempt it picks up to `count`
    /// developers of the frontier (never synced, or synced longer ago than
    /// the settings allow), nearest to the seeds first, as child runs; then
    /// it runs each child not yet finished, in order.
    async fn scrape(&self, id: TaskRunId, forge: Forge, count: u32) -> Result<()> {
        let (_, instance) = self.github(forge)?;
        let mut children = self.store.child_runs(id, "").await?;
        if children.is_empty() {
            let stale_before = Utc::now() - self.settings.stale_after;
            let frontier = self
                .store
                .frontier(forge, &instance, stale_before, bigint(count)?)
                .await?;
            let requested_by = format!("run:{id}");
            for developer in frontier {
                let request = TaskRequest::FullProfileSync {
                    forge,
                    username: developer.login,
                };
                self.store
                    .create_run(&request, &requested_by, Some(id))
                    .await?;
            }
            children = self.store.child_runs(id, "").await?;
        }
        let total = u32::try_from(children.len()).unwrap_or(u32::MAX);
        let mut finished = children.iter().filter(|c| c.state.is_finished()).count();
        for child in children.iter().filter(|c| !c.state.is_finished()) {
            // A child is a run of its own, resumed the same way.
            if let Outcome::Deferred(until) = Box::pin(self.execute(child.id)).await? {
                return Err(Error::Deferred { until });
            }
            finished += 1;
            let done = u32::try_from(finished).unwrap_or(u32::MAX);
            let login = child.parameters["username"].as_str().unwrap_or_default();
            self.store
                .advance_run(id, done, total, &format!("synced {login}"))
                .await?;
        }
        if total == 0 {
            self.store
                .advance_run(id, 0, 0, "nobody is due: the frontier is empty")
                .await?;
        }
        Ok(())
    }

    /// Requests a run is expected to make, from what is stored of the
    /// developer or repository it reads.
    async fn estimate(&self, request: &TaskRequest) -> Result<u64> {
        match request {
            TaskRequest::FullProfileSync { forge, username } => {
                let (_, instance) = self.github(*forge)?;
                let counts = self
                    .store
                    .developer_counts(*forge, &instance, username)
                    .await?;
                Ok(
                    counts.map_or(UNKNOWN_PROFILE_COST, |(followers, following, repos)| {
                        // The profile, the lists, and one stargazer list per repository.
                        1 + pages(followers) + pages(following) + 1 + pages(repos) + repos
                    }),
                )
            }
            TaskRequest::FullRepositorySync { .. } => Ok(3),
            // Each of its profile syncs is checked as it starts.
            TaskRequest::DiscoveryScraper { .. } => Ok(UNKNOWN_PROFILE_COST),
        }
    }

    /// When a run that has not started should start instead, if the budget
    /// discovery may still spend in this window cannot cover its estimate.
    /// A run too big for even a fresh window starts anyway, in a fresh one,
    /// and goes on across resets.
    async fn unaffordable(&self, request: &TaskRequest) -> Result<Option<DateTime<Utc>>> {
        let (client, _) = self.github(request.forge())?;
        let governor = client.http().governor();
        let Some((usable, fresh)) = governor.usable("core") else {
            return Ok(None);
        };
        let cost = self.estimate(request).await?;
        if cost <= usable || usable >= fresh {
            return Ok(None);
        }
        Ok(governor.reset_of("core").map(epoch_time))
    }

    /// Names the token discovery reads `forge` with, for the rate-limit
    /// table: a digest's first characters, never the token.
    fn token_key(&self, forge: Forge) -> Result<String> {
        let (_, endpoint) = self.directory.endpoint(forge, None)?;
        Ok(crate::forge::directory::token_key(
            endpoint.token.as_deref(),
        ))
    }

    /// Keeps what the forge last said of the budget, for other processes
    /// and the API.
    pub(super) async fn keep_standing(&self, forge: Forge) -> Result<()> {
        let (client, instance) = self.github(forge)?;
        let standings = client.http().governor().standings();
        self.store
            .save_rate_limits(forge, &instance, &self.token_key(forge)?, &standings)
            .await
    }

    /// Learns what other processes last saw of the budget.
    async fn learn_standing(&self, forge: Forge) -> Result<()> {
        let (client, instance) = self.github(forge)?;
        let standings = self
            .store
            .rate_limit_standings(forge, &instance, &self.token_key(forge)?)
            .await?;
        let governor = client.http().governor();
        for standing in &standings {
            governor.learn(standing);
        }
        Ok(())
    }
}

impl Discovery {
    /// Records a run of `request` and runs it in this task, now: for tests
    /// and the command line (the server queues runs for its workers).
    pub async fn run_now(
        &self,
        request: &TaskRequest,
        requested_by: &str,
    ) -> Result<(TaskRunId, Outcome)> {
        let id = self.store.create_run(request, requested_by, None).await?;
        Ok((id, self.execute(id).await?))
    }
}
