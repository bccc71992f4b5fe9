//! Organisation health checks: given the addresses of organisations on
//! GitHub, GitLab and Bitbucket, their public repositories' numbers per
//! organisation and in total, and the addresses that name nothing.
//!
//! Each organisation's answer is kept in Postgres with when it was read; a
//! repeat within [`HealthSettings::fresh_for`] asks the forge nothing.
//! A forge that fails after its retries fails the whole check: numbers
//! with one organisation silently left out would be wrong. So does a check
//! the forges' rate limits cannot cover now: it is refused once each
//! organisation's size is known, before its repositories are read
//! ([`Plan`]), rather than left waiting for the reset.

pub mod address;
pub mod figures;

use std::sync::Arc;

use chrono::Utc;
use futures_util::future::try_join_all;
use model::forge::Forge;
use model::health_check::{HealthCheck, HealthData, LanguageDetail, Numbers, Organisation};

use crate::error::{Error, Result};
use crate::forge::Client;
use crate::forge::directory::Directory;
use crate::forge::plan::{Part, Plan};
use crate::store::Store;
use crate::store::health_check::KeptOrganisation;
use crate::tracker::locate::web_root;
use address::OrgAddress;

#[derive(Debug, Clone, Copy)]
pub struct HealthSettings {
    /// Addresses one check takes.
    pub most_addresses: usize,
    /// Repositories read per organisation; past it the answer says `truncated`.
    pub most_repositories: usize,
    /// How long an organisation's answer is reused without asking the forge.
    pub fresh_for: chrono::Duration,
}

impl Default for HealthSettings {
    fn default() -> Self {
        Self {
            most_addresses: model::health_check::DEFAULT_MOST_ADDRESSES,
            most_repositories: 1000,
            fresh_for: chrono::Duration::minutes(15),
        }
    }
}

#[derive(Clone)]
pub struct HealthChecker {
    store: Store,
    directory: Arc<Directory>,
    settings: HealthSettings,
}

impl HealthChecker {
    pub fn new(store: Store, directory: Arc<Directory>, settings: HealthSettings) -> Self {
        Self {
            store,
            directory,
            settings,
        }
    }

    /// The check of `inputs` (addresses or `forge:name`, as given).
    pub async fn check(&self, inputs: &[String], languages: LanguageDetail) -> Result<HealthCheck> {
        let addresses = address::parse_all(&self.directory, inputs, self.settings.most_addresses)?;
        // One plan for the whole check: organisations read side by side
        // never claim more of a budget together than it holds.
        let plan = Plan::new(addresses.len());
        let read = try_join_all(
            addresses
                .iter()
                .map(|address| self.organisation(address, languages, plan.part())),
        )
        .await?;
        let mut total = Numbers::default();
        let mut organisations = Vec::new();
        let mut missing = Vec::new();
        for (address, found) in addresses.iter().zip(read) {
            match found {
                Some(organisation) => {
                    total.add(&organisation.numbers, &short_name(&organisation));
                    organisations.push(organisation);
                }
                None => missing.push(address.given.clone()),
            }
        }
        Ok(HealthCheck {
            data: HealthData {
                total,
                organisations,
            },
            missing,
        })
    }

    /// One organisation, from what was kept while it is fresh, else from
    /// its forge; `None` when the forge has no such organisation.
    async fn organisation(
        &self,
        address: &OrgAddress,
        languages: LanguageDetail,
        part: Part<'_>,
    ) -> Result<Option<Organisation>> {
        if let Some(kept) = self.store.kept_organisation(address, languages).await?
            && Utc::now() - kept.read_at < self.settings.fresh_for
        {
            return Ok(kept.answer);
        }
        let read_at = Utc::now();
        let answer = match self.read(address, languages, read_at, part).await {
            Ok(organisation) => Some(organisation),
            Err(Error::NotFound { .. }) => None,
            Err(error) => {
                let forge = address.forge.name();
                return Err(error.in_part(format!(
                    "reading the {forge} organisation `{}` on {}",
                    address.login, address.instance
                )));
            }
        };
        let kept = KeptOrganisation { answer, read_at };
        self.store
            .keep_organisation(address, languages, &kept)
            .await?;
        Ok(kept.answer)
    }

    async fn read(
        &self,
        address: &OrgAddress,
        languages: LanguageDetail,
        read_at: chrono::DateTime<Utc>,
        part: Part<'_>,
    ) -> Result<Organisation> {
        let (_, endpoint) = self
            .directory
            .endpoint(address.forge, Some(&address.instance))?;
        let root = web_root(endpoint);
        let client = self
            .directory
            .client_at(address.forge, Some(&address.instance))?;
        let most = self.settings.most_repositories;
        let bytes = languages == LanguageDetail::Bytes;
        let figures = match (&*client, address.forge) {
            (Client::GitHub(github), _) => {
                github
                    .organisation(&address.login, most, bytes, part)
                    .await?
            }
            (Client::GitLab(gitlab), _) => gitlab.organisation(&address.login, most, part).await?,
            (Client::Bitbucket(bitbucket), _) => {
                bitbucket.organisation(&address.login, most, part).await?
            }
            (_, forge) => {
                return Err(Error::Invalid(format!(
                    "{} has no organisations to check",
                    forge.name()
                )));
            }
        };
        let numbers = figures::numbers(address.forge, &figures, bytes);
        let mut repositories = figures.repositories;
        repositories.sort_by(|a, b| {
            b.stars
                .cmp(&a.stars)
                .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
        });
        Ok(Organisation {
            address: format!("{root}/{}", figures.login),
            forge: address.forge,
            instance: address.instance.clone(),
            login: figures.login,
            name: figures.name,
            kind: figures.kind,
            read_at,
            truncated: figures.truncated,
            numbers,
            repositories,
        })
    }
}

/// How a total names an organisation: `github.com/rust-lang`.
fn short_name(organisation: &Organisation) -> String {
    format!("{}/{}", organisation.instance, organisation.login)
}

/// Whether `forge` has organisations a health check reads.
pub fn checks(forge: Forge) -> bool {
    matches!(forge, Forge::GitHub | Forge::GitLab | Forge::Bitbucket)
}
