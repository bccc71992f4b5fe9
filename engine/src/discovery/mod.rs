//! Discovery: growing a database of developers and repositories by
//! following people. A full profile sync reads a developer and their
//! network (followers, following, stars, repositories and each one's
//! stargazers); everyone it meets enters the frontier one hop further from
//! the seeds than the developer, and the scraper visits the nearest first.
//!
//! GitHub only so far: GitLab has no followers or stars API, and
//! Bitbucket's workspaces have members but no follows.

mod runs;

use std::sync::Arc;

use model::forge::Forge;
use model::ids::TaskRunId;

use crate::error::{Error, Result};
use crate::forge::Client;
use crate::forge::directory::Directory;
use crate::forge::github::GitHub;
use crate::store::Store;
use crate::store::discovery::{DeveloperId, RepositoryId, Side};

/// What one full profile sync stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProfileSync {
    pub developer: DeveloperId,
    pub followers: usize,
    pub following: usize,
    pub starred: usize,
    pub owned: usize,
    /// Stargazers of the owned repositories, counted per repository.
    pub stargazers: usize,
}

/// What one full repository sync stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepositorySync {
    pub repository: RepositoryId,
    pub stargazers: usize,
}

fn as_github(client: &Client) -> Result<&GitHub> {
    match client {
        Client::GitHub(github) => Ok(github),
        _ => Err(Error::Invalid("discovery needs a GitHub client".into())),
    }
}

pub use runs::Outcome;

/// Steps of a profile sync before its repositories' stargazers: the
/// profile, followers, following, stars and the owned list.
const PROFILE_STEPS: u32 = 5;

/// How discovery runs.
#[derive(Debug, Clone, Copy)]
pub struct DiscoverySettings {
    /// A developer synced longer ago than this is visited again.
    pub stale_after: chrono::Duration,
}

impl Default for DiscoverySettings {
    fn default() -> Self {
        Self {
            stale_after: chrono::Duration::days(7),
        }
    }
}

/// Where a sync records the steps it finished, when it is part of a task
/// run, and which steps an earlier attempt of the run already finished.
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    run: Option<TaskRunId>,
    skip: u32,
}

impl Progress {
    /// A sync outside any run: every step is done, none recorded.
    pub fn untracked() -> Self {
        Self::default()
    }

    fn of_run(run: TaskRunId, skip: u32) -> Self {
        Self {
            run: Some(run),
            skip,
        }
    }

    /// Whether step `step` (from 0) is still to do.
    fn pending(&self, step: u32) -> bool {
        step >= self.skip
    }

    /// Records that `step` is done (and what the budget stands at), so a
    /// resumed attempt starts after it. Repeating an early step on a
    /// resumed attempt never moves the run back.
    async fn finished(
        &mut self,
        discovery: &Discovery,
        step: u32,
        total: u32,
        label: &str,
    ) -> Result<()> {
        let Some(run) = self.run else {
            return Ok(());
        };
        self.skip = self.skip.max(step + 1);
        discovery
            .store
            .advance_run(run, self.skip, total, label)
            .await?;
        discovery.keep_standing(Forge::GitHub).await
    }
}

pub struct Discovery {
    store: Store,
    directory: Arc<Directory>,
    settings: DiscoverySettings,
}

impl Discovery {
    /// `directory` should hold clients whose governors keep discovery to
    /// its share of each budget and defer rather than wait
    /// ([`crate::forge::governor::Patience::Defer`]).
    pub fn new(store: Store, directory: Arc<Directory>, settings: DiscoverySettings) -> Self {
        Self {
            store,
            directory,
            settings,
        }
    }

    /// The GitHub client discovery reads with (kept whole: the client
    /// borrows from it), and its instance.
    fn github(&self, forge: Forge) -> Result<(Arc<Client>, String)> {
        if forge != Forge::GitHub {
            return Err(Error::Invalid(format!(
                "discovery follows people on GitHub only; {} has no followers or stars to follow",
                forge.name()
            )));
        }
        let client = self.directory.client_at(forge, None)?;
        let instance = as_github(&client)?.instance().to_owned();
        Ok((client, instance))
    }

    /// Reads `login` and their whole network. A developer met for the first
    /// time is a seed (distance 0); everyone found through them is one hop
    /// further. Safe to run again: every write is an upsert, and each list
    /// replaces what the last one said. With `progress` from a run, each
    /// list is a step recorded when stored, and steps an earlier attempt
    /// finished are not read again.
    pub async fn full_profile_sync(
        &self,
        forge: Forge,
        login: &str,
        progress: &mut Progress,
    ) -> Result<ProfileSync> {
        let (client, instance) = self.github(forge)?;
        let github = as_github(&client)?;
        let store = &self.store;
        let distance = store
            .developer_distance(forge, &instance, login)
            .await?
            .unwrap_or(0);
        let next = Some(distance.saturating_add(1));
        // The profile is read on every attempt: later steps need its row.
        let profile = match github.profile(login).await {
            Err(error @ Error::NotFound { .. }) => {
                store.developer_gone(forge, &instance, login).await?;
                return Err(error);
            }
            read => read?,
        };
        let me = store
            .upsert_profile(forge, &instance, &profile, Some(distance))
            .await?;
        let login = profile.login.as_str();
        let mut report = ProfileSync {
            developer: me,
            followers: 0,
            following: 0,
            starred: 0,
            owned: 0,
            stargazers: 0,
        };
        progress.finished(self, 0, PROFILE_STEPS, "profile").await?;

        if progress.pending(1) {
            let followers = github.followers(login).await?;
            let ids = store
                .upsert_people(forge, &instance, &followers, next)
                .await?;
            store.replace_follows(me, Side::Followers, &ids).await?;
            report.followers = ids.len();
            progress
                .finished(self, 1, PROFILE_STEPS, "followers")
                .await?;
        }
        if progress.pending(2) {
            let following = github.following(login).await?;
            let ids = store
                .upsert_people(forge, &instance, &following, next)
                .await?;
            store.replace_follows(me, Side::Following, &ids).await?;
            report.following = ids.len();
            progress
                .finished(self, 2, PROFILE_STEPS, "following")
                .await?;
        }
        if progress.pending(3) {
            let starred = github.starred(login).await?;
            let (records, times): (Vec<_>, Vec<_>) = starred.into_iter().unzip();
            let ids = store
                .upsert_repositories(forge, &instance, &records, next)
                .await?;
            let stars: Vec<_> = ids.into_iter().zip(times).collect();
            store.replace_stars_of(me, &stars).await?;
            report.starred = stars.len();
            progress.finished(self, 3, PROFILE_STEPS, "starred").await?;
        }
        // The owned list is read again on a resumed attempt (a page or
        // two): the stargazer steps are numbered by its order.
        let owned = github.owned(login).await?;
        let ids = store
            .upsert_repositories(forge, &instance, &owned, Some(distance))
            .await?;
        report.owned = ids.len();
        let total = PROFILE_STEPS + u32::try_from(ids.len()).unwrap_or(u32::MAX - PROFILE_STEPS);
        progress.finished(self, 4, total, "repositories").await?;
        for ((repository, record), step) in ids.into_iter().zip(&owned).zip(PROFILE_STEPS..) {
            if !progress.pending(step) {
                continue;
            }
            report.stargazers += self
                .stargazers(
                    github,
                    &instance,
                    repository,
                    &record.owner.login,
                    &record.name,
                    next,
                )
                .await?;
            let label = format!("stargazers of {}", record.name);
            progress.finished(self, step, total, &label).await?;
        }
        store.developer_synced(me).await?;
        Ok(report)
    }

    /// Reads a repository, its owner and its stargazers (three steps, each
    /// cheap to repeat, so a resumed attempt does them all again).
    pub async fn full_repository_sync(
        &self,
        forge: Forge,
        owner: &str,
        name: &str,
        progress: &mut Progress,
    ) -> Result<RepositorySync> {
        let (client, instance) = self.github(forge)?;
        let github = as_github(&client)?;
        let store = &self.store;
        let record = github.repository_record(owner, name).await?;
        let distance = store
            .developer_distance(forge, &instance, &record.owner.login)
            .await?;
        progress.finished(self, 0, 3, "repository").await?;
        let profile = github.profile(&record.owner.login).await?;
        store
            .upsert_profile(forge, &instance, &profile, distance)
            .await?;
        progress.finished(self, 1, 3, "owner").await?;
        let ids = store
            .upsert_repositories(forge, &instance, std::slice::from_ref(&record), distance)
            .await?;
        let repository = ids
            .first()
            .copied()
            .ok_or_else(|| Error::Inconsistent(format!("{owner}/{name} was not stored")))?;
        let next = distance.map(|d| d.saturating_add(1));
        let stargazers = self
            .stargazers(
                github,
                &instance,
                repository,
                &record.owner.login,
                &record.name,
                next,
            )
            .await?;
        store.repository_synced(repository).await?;
        progress.finished(self, 2, 3, "stargazers").await?;
        Ok(RepositorySync {
            repository,
            stargazers,
        })
    }

    async fn stargazers(
        &self,
        github: &GitHub,
        instance: &str,
        repository: RepositoryId,
        owner: &str,
        name: &str,
        distance: Option<i32>,
    ) -> Result<usize> {
        let gazers = github.stargazers(owner, name).await?;
        let (people, times): (Vec<_>, Vec<_>) = gazers.into_iter().unzip();
        let ids = self
            .store
            .upsert_people(Forge::GitHub, instance, &people, distance)
            .await?;
        let stars: Vec<_> = ids.into_iter().zip(times).collect();
        self.store.replace_stargazers(repository, &stars).await?;
        Ok(stars.len())
    }
}
