//! A developer's network on GitHub, for discovery: the profile, who follows
//! them and whom they follow, what they starred (with when), what they own,
//! and who starred a repository. Every list is read whole, page by page.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::super::http::Call;
use super::super::paging::linked_pages;
use super::GitHub;
use crate::error::Result;

/// GitHub's maximum page size for these lists.
const PER_PAGE: u32 = 100;

/// A developer as `GET /users/{login}` gives them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Profile {
    pub id: u64,
    pub login: String,
    pub name: Option<String>,
    pub location: Option<String>,
    pub company: Option<String>,
    pub bio: Option<String>,
    pub email: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub followers: Option<u64>,
    pub following: Option<u64>,
    pub public_repos: Option<u64>,
    pub public_gists: Option<u64>,
}

/// A developer as lists give them: who, not the counts.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Person {
    pub id: u64,
    pub login: String,
}

/// A repository as lists and `GET /repos/{owner}/{name}` give it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RepositoryRecord {
    pub id: u64,
    pub name: String,
    pub owner: Person,
    pub description: Option<String>,
    pub homepage: Option<String>,
    pub language: Option<String>,
    #[serde(default)]
    pub topics: Vec<String>,
    #[serde(default)]
    pub fork: bool,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub stargazers_count: u64,
    /// Lists give `watchers_count` (equal to stars); only the repository's
    /// own answer has `subscribers_count`, the real watchers.
    pub subscribers_count: Option<u64>,
    #[serde(default)]
    pub forks_count: u64,
    #[serde(default)]
    pub open_issues_count: u64,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub pushed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize)]
struct Starred {
    starred_at: Option<DateTime<Utc>>,
    repo: RepositoryRecord,
}

#[derive(Debug, Deserialize)]
struct Stargazer {
    starred_at: Option<DateTime<Utc>>,
    user: Person,
}

/// The media type under which GitHub adds `starred_at` to star lists.
const WITH_STAR_TIMES: &str = "application/vnd.github.star+json";

impl GitHub {
    fn list(&self, path: &str) -> Call {
        Call::get(format!("{}{path}", self.api), "core").query("per_page", PER_PAGE)
    }

    pub async fn profile(&self, login: &str) -> Result<Profile> {
        let call = Call::get(format!("{}/users/{login}", self.api), "core");
        Ok(self
            .http
            .json::<Profile>(&call, || {
                format!("GitHub user `{login}` on {}", self.instance)
            })
            .await?
            .value)
    }

    pub async fn followers(&self, login: &str) -> Result<Vec<Person>> {
        let call = self.list(&format!("/users/{login}/followers"));
        linked_pages(&self.http, call, |what| {
            format!("followers of {login} ({what})")
        })
        .await
    }

    pub async fn following(&self, login: &str) -> Result<Vec<Person>> {
        let call = self.list(&format!("/users/{login}/following"));
        linked_pages(&self.http, call, |what| {
            format!("whom {login} follows ({what})")
        })
        .await
    }

    /// What `login` starred, with when.
    pub async fn starred(
        &self,
        login: &str,
    ) -> Result<Vec<(RepositoryRecord, Option<DateTime<Utc>>)>> {
        let mut call = self.list(&format!("/users/{login}/starred"));
        call.headers
            .push((reqwest::header::ACCEPT, WITH_STAR_TIMES.to_owned()));
        let starred: Vec<Starred> = linked_pages(&self.http, call, |what| {
            format!("stars of {login} ({what})")
        })
        .await?;
        Ok(starred
            .into_iter()
            .map(|s| (s.repo, s.starred_at))
            .collect())
    }

    /// The public repositories `login` owns.
    pub async fn owned(&self, login: &str) -> Result<Vec<RepositoryRecord>> {
        let call = self
            .list(&format!("/users/{login}/repos"))
            .query("type", "owner");
        linked_pages(&self.http, call, |what| {
            format!("repositories of {login} ({what})")
        })
        .await
    }

    pub async fn repository_record(&self, owner: &str, name: &str) -> Result<RepositoryRecord> {
        let call = Call::get(format!("{}/repos/{owner}/{name}", self.api), "core");
        Ok(self
            .http
            .json::<RepositoryRecord>(&call, || {
                format!("GitHub repository `{owner}/{name}` on {}", self.instance)
            })
            .await?
            .value)
    }

    /// Who starred `owner/name`, with when.
    pub async fn stargazers(
        &self,
        owner: &str,
        name: &str,
    ) -> Result<Vec<(Person, Option<DateTime<Utc>>)>> {
        let mut call = self.list(&format!("/repos/{owner}/{name}/stargazers"));
        call.headers
            .push((reqwest::header::ACCEPT, WITH_STAR_TIMES.to_owned()));
        let gazers: Vec<Stargazer> = linked_pages(&self.http, call, |what| {
            format!("stargazers of {owner}/{name} ({what})")
        })
        .await?;
        Ok(gazers.into_iter().map(|g| (g.user, g.starred_at)).collect())
    }

    /// The instance these answers come from (`github.com`).
    pub fn instance(&self) -> &str {
        &self.instance
    }
}
