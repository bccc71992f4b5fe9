//! An organisation (or user) on GitHub for a health check: the owner, its
//! public repositories in pages of 100 read side by side (the owner's
//! `public_repos` says how many pages), then each repository's own answer
//! for its watchers (`subscribers_count`, which lists leave out) and, when
//! asked, its bytes per language.

use std::collections::BTreeMap;

use futures_util::future::try_join_all;
use model::health_check::OwnerKind;
use serde::Deserialize;

use super::super::http::Call;
use super::super::paging::next_link;
use super::GitHub;
use crate::error::Result;
use crate::health_check::figures::{OrganisationFigures, RepositoryFigures};

const PER_PAGE: usize = 100;

#[derive(Debug, Deserialize)]
struct Owner {
    login: String,
    name: Option<String>,
    #[serde(rename = "type")]
    kind: String,
    followers: Option<u64>,
    public_repos: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct Listed {
    name: String,
    #[serde(default)]
    fork: bool,
    #[serde(default)]
    private: bool,
    stargazers_count: u64,
    forks_count: u64,
    language: Option<String>,
    #[serde(default)]
    topics: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Watched {
    subscribers_count: u64,
}

impl GitHub {
    /// `login`'s public repositories, at most `most` of them, and their
    /// figures; bytes per language too when `bytes`.
    pub async fn organisation(
        &self,
        login: &str,
        most: usize,
        bytes: bool,
    ) -> Result<OrganisationFigures> {
        let call = Call::get(format!("{}/users/{login}", self.api), "core");
        let owner: Owner = self
            .http
            .json(&call, || {
                format!("GitHub organisation or user `{login}` on {}", self.instance)
            })
            .await?
            .value;
        let (listed, more) = self.public_repositories(&owner, most).await?;
        let repositories = try_join_all(
            listed
                .iter()
                .map(|repo| self.repository_figures(&owner.login, repo, bytes)),
        )
        .await?;
        Ok(OrganisationFigures {
            kind: if owner.kind == "Organization" {
                OwnerKind::Organization
            } else {
                OwnerKind::User
            },
            login: owner.login,
            name: owner.name,
            followers: owner.followers,
            repositories,
            truncated: more,
        })
    }

    /// The public repositories, and whether more remain past `most`. The
    /// pages the owner's count implies are asked at once; a list that
    /// grew meanwhile is followed on by its `next` links.
    async fn public_repositories(&self, owner: &Owner, most: usize) -> Result<(Vec<Listed>, bool)> {
        let expected = usize::try_from(owner.public_repos.unwrap_or(0)).unwrap_or(usize::MAX);
        let pages = expected.min(most).div_ceil(PER_PAGE).max(1);
        let list = |page: usize| {
            Call::get(format!("{}/users/{}/repos", self.api, owner.login), "core")
                .query("type", "owner")
                .query("sort", "full_name")
                .query("per_page", PER_PAGE)
                .query("page", page)
        };
        let what = || format!("repositories of `{}` on {}", owner.login, self.instance);
        let fetched = try_join_all((1..=pages).map(|page| {
            let call = list(page);
            async move { self.http.json::<Vec<Listed>>(&call, what).await }
        }))
        .await?;
        let mut next = fetched.last().and_then(|page| next_link(&page.headers));
        let mut listed: Vec<Listed> = fetched.into_iter().flat_map(|page| page.value).collect();
        while let Some(url) = next.take().filter(|_| listed.len() < most) {
            let page = self
                .http
                .json::<Vec<Listed>>(&Call::get(url, "core"), what)
                .await?;
            next = next_link(&page.headers);
            listed.extend(page.value);
        }
        // The same repository on two pages (the list moved while read) counts once.
        let mut seen = std::collections::HashSet::new();
        listed.retain(|repo| !repo.private && seen.insert(repo.name.to_lowercase()));
        let more = next.is_some() || listed.len() > most || expected > most;
        listed.truncate(most);
        Ok((listed, more))
    }

    async fn repository_figures(
        &self,
        owner: &str,
        repo: &Listed,
        bytes: bool,
    ) -> Result<RepositoryFigures> {
        let path = format!("{}/repos/{owner}/{}", self.api, repo.name);
        let what = || format!("GitHub repository `{owner}/{}`", repo.name);
        let watched_call = Call::get(path.clone(), "core");
        let languages_call = Call::get(format!("{path}/languages"), "core");
        let watched = self.http.json::<Watched>(&watched_call, what);
        let (watched, language_bytes) = if bytes {
            let languages = self
                .http
                .json::<BTreeMap<String, u64>>(&languages_call, what);
            let (watched, languages) = futures_util::future::try_join(watched, languages).await?;
            (watched, Some(languages.value))
        } else {
            (watched.await?, None)
        };
        Ok(RepositoryFigures {
            name: repo.name.clone(),
            fork: repo.fork,
            stars: Some(repo.stargazers_count),
            watchers: Some(watched.value.subscribers_count),
            forks: Some(repo.forks_count),
            language: repo.language.clone(),
            language_bytes,
            topics: Some(repo.topics.clone()),
        })
    }
}
