//! Discovery: growing a database of developers and repositories by
//! following people. A full profile sync reads a developer and their
//! network (followers, following, stars, repositories and each one's
//! stargazers); everyone it meets enters the frontier one hop further from
//! the seeds than the developer, and the scraper visits the nearest first.
//!
//! GitHub only so far: GitLab has no followers or stars API, and
//! Bitbucket's workspaces have members but no follows.

use std::sync::Arc;

use chrono::{Duration, Utc};
use model::forge::Forge;

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

pub struct Discovery {
    store: Store,
    directory: Arc<Directory>,
}

impl Discovery {
    pub fn new(store: Store, directory: Arc<Directory>) -> Self {
        Self { store, directory }
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
    /// replaces what the last one said.
    pub async fn full_profile_sync(&self, forge: Forge, login: &str) -> Result<ProfileSync> {
        let (client, instance) = self.github(forge)?;
        let github = as_github(&client)?;
        let store = &self.store;
        let distance = store
            .developer_distance(forge, &instance, login)
            .await?
            .unwrap_or(0);
        let next = Some(distance.saturating_add(1));
        let profile = github.profile(login).await?;
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

        let followers = github.followers(login).await?;
        let ids = store
            .upsert_people(forge, &instance, &followers, next)
            .await?;
        store.replace_follows(me, Side::Followers, &ids).await?;
        report.followers = ids.len();

        let following = github.following(login).await?;
        let ids = store
            .upsert_people(forge, &instance, &following, next)
            .await?;
        store.replace_follows(me, Side::Following, &ids).await?;
        report.following = ids.len();

        let starred = github.starred(login).await?;
        let (records, times): (Vec<_>, Vec<_>) = starred.into_iter().unzip();
        let ids = store
            .upsert_repositories(forge, &instance, &records, next)
            .await?;
        let stars: Vec<_> = ids.into_iter().zip(times).collect();
        store.replace_stars_of(me, &stars).await?;
        report.starred = stars.len();

        let owned = github.owned(login).await?;
        let ids = store
            .upsert_repositories(forge, &instance, &owned, Some(distance))
            .await?;
        report.owned = ids.len();
        for (repository, record) in ids.into_iter().zip(&owned) {
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
        }
        store.developer_synced(me).await?;
        Ok(report)
    }

    /// Reads a repository, its owner and its stargazers.
    pub async fn full_repository_sync(
        &self,
        forge: Forge,
        owner: &str,
        name: &str,
    ) -> Result<RepositorySync> {
        let (client, instance) = self.github(forge)?;
        let github = as_github(&client)?;
        let store = &self.store;
        let record = github.repository_record(owner, name).await?;
        let distance = store
            .developer_distance(forge, &instance, &record.owner.login)
            .await?;
        let profile = github.profile(&record.owner.login).await?;
        store
            .upsert_profile(forge, &instance, &profile, distance)
            .await?;
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

    /// Runs full profile syncs of up to `count` developers of the frontier
    /// (never synced, or synced longer ago than `stale_after`), nearest to
    /// the seeds first. Returns the logins synced.
    pub async fn scrape(
        &self,
        forge: Forge,
        count: usize,
        stale_after: Duration,
    ) -> Result<Vec<String>> {
        let (_, instance) = self.github(forge)?;
        let frontier = self
            .store
            .frontier(
                forge,
                &instance,
                Utc::now() - stale_after,
                crate::store::bigint(count)?,
            )
            .await?;
        let mut synced = Vec::with_capacity(frontier.len());
        for developer in frontier {
            self.full_profile_sync(forge, &developer.login).await?;
            synced.push(developer.login);
        }
        Ok(synced)
    }
}
