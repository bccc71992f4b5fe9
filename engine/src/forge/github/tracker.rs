//! GitHub for the issue tracker: a repository's issues by update time, an
//! issue's comments, a repository as the token sees it, the repositories
//! the token's account may read, and who the token is.

use chrono::{DateTime, Utc};
use model::contribution::Status;
use model::forge::Forge;
use model::tracker::{Comment, Issue};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::super::http::Call;
use super::super::paging::{ListPage, linked_pages, walk_by_update};
use super::super::{ForgeUser, IssueList, RepoInfo};
use super::{GitHub, Login};
use crate::error::{Error, Result};

const PAGE: usize = 100;

#[derive(Deserialize)]
struct Item {
    number: u64,
    title: String,
    body: Option<String>,
    html_url: String,
    state: String,
    user: Option<Login>,
    labels: Vec<Named>,
    #[serde(default)]
    assignees: Vec<Login>,
    comments: u64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
    /// Present on pull requests, which the issues list mixes in.
    pull_request: Option<Value>,
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

#[derive(Deserialize)]
struct Repository {
    full_name: String,
    html_url: String,
    private: bool,
    description: Option<String>,
}

impl From<Repository> for RepoInfo {
    fn from(r: Repository) -> Self {
        Self {
            path: r.full_name,
            url: r.html_url,
            private: r.private,
            description: r.description.filter(|d| !d.is_empty()),
        }
    }
}

/// A page of a list by update time, oldest first, updated since `since`.
fn by_update(url: &str, since: Option<DateTime<Utc>>, page: u32) -> Call {
    let call = Call::get(url, "core")
        .query("sort", "updated")
        .query("direction", "asc")
        .query("per_page", PAGE)
        .query("page", page);
    match since {
        Some(since) => call.query("since", since.to_rfc3339()),
        None => call,
    }
}

impl GitHub {
    pub(super) fn missing(&self, repository: &str) -> String {
        format!(
            "GitHub repository `{repository}` on {} (or the token may not read it)",
            self.instance
        )
    }

    /// Every item of one of `repository`'s lists by update time (`call`
    /// asks for a page), updated at or after `since` when given, and the
    /// forge's clock at the first answer.
    async fn updated_since<T: DeserializeOwned>(
        &self,
        repository: &str,
        since: Option<DateTime<Utc>>,
        call: impl Fn(Option<DateTime<Utc>>, u32) -> Call,
        updated: impl Fn(&T) -> DateTime<Utc>,
    ) -> Result<(Vec<T>, Option<DateTime<Utc>>)> {
        walk_by_update(
            since,
            PAGE,
            |since, page| {
                let call = call(since, page);
                async move {
                    self.http
                        .json::<Vec<T>>(&call, || self.missing(repository))
                        .await
                        .map(ListPage::linked)
                }
            },
            updated,
        )
        .await
    }

    /// The issues of `repository` (`owner/name`), pull requests left out,
    /// updated at or after `since` when given.
    pub async fn issues(
        &self,
        repository: &str,
        since: Option<DateTime<Utc>>,
    ) -> Result<IssueList> {
        let url = format!("{}/repos/{repository}/issues", self.api);
        let (items, started) = self
            .updated_since(
                repository,
                since,
                |since, page| by_update(&url, since, page).query("state", "all"),
                |item: &Item| item.updated_at,
            )
            .await?;
        let items = items
            .into_iter()
            .filter(|i| i.pull_request.is_none())
            .map(|i| Issue {
                forge: Forge::GitHub,
                instance: self.instance.clone(),
                repository: repository.to_owned(),
                number: i.number,
                title: i.title,
                body: i.body.unwrap_or_default(),
                url: i.html_url,
                status: if i.state == "open" {
                    Status::Open
                } else {
                    Status::Closed
                },
                author: i.user.map(|u| u.login),
                labels: i.labels.into_iter().map(|l| l.name).collect(),
                assignees: i.assignees.into_iter().map(|a| a.login).collect(),
                comments: i.comments,
                created_at: i.created_at,
                updated_at: i.updated_at,
                closed_at: i.closed_at,
            })
            .collect();
        Ok(IssueList { items, started })
    }

    /// Every comment of issue `number`, oldest first.
    pub async fn comments(&self, repository: &str, number: u64) -> Result<Vec<Comment>> {
        #[derive(Deserialize)]
        struct Item {
            id: u64,
            user: Option<Login>,
            body: Option<String>,
            html_url: String,
            created_at: DateTime<Utc>,
        }
        let first = Call::get(
            format!("{}/repos/{repository}/issues/{number}/comments", self.api),
            "core",
        )
        .query("per_page", PAGE);
        let items: Vec<Item> = linked_pages(&self.http, first, |_| {
            format!("issue {repository}#{number} on {}", self.instance)
        })
        .await?;
        Ok(items
            .into_iter()
            .map(|c| Comment {
                id: c.id.to_string(),
                author: c.user.map(|u| u.login),
                body: c.body.unwrap_or_default(),
                url: Some(c.html_url),
                created_at: c.created_at,
            })
            .collect())
    }

    /// Every comment on the repository's issues (and pull requests), with
    /// the number of the issue it is on; those updated since `since` when
    /// given. One list for the repository instead of one per issue.
    pub async fn repository_comments(
        &self,
        repository: &str,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<(u64, Comment)>> {
        #[derive(Deserialize)]
        struct Item {
            id: u64,
            issue_url: String,
            user: Option<Login>,
            body: Option<String>,
            html_url: String,
            created_at: DateTime<Utc>,
            updated_at: DateTime<Utc>,
        }
        let url = format!("{}/repos/{repository}/issues/comments", self.api);
        let (items, _) = self
            .updated_since(
                repository,
                since,
                |since, page| by_update(&url, since, page),
                |item: &Item| item.updated_at,
            )
            .await?;
        let mut comments = Vec::with_capacity(items.len());
        for item in items {
            let number = item
                .issue_url
                .rsplit('/')
                .next()
                .and_then(|n| n.parse::<u64>().ok())
                .ok_or_else(|| Error::Malformed {
                    url: url.clone(),
                    problem: format!("a comment's issue_url names no issue: {}", item.issue_url),
                })?;
            comments.push((
                number,
                Comment {
                    id: item.id.to_string(),
                    author: item.user.map(|u| u.login),
                    body: item.body.unwrap_or_default(),
                    url: Some(item.html_url),
                    created_at: item.created_at,
                },
            ));
        }
        Ok(comments)
    }

    /// The repository as the token sees it; a renamed one answers with its
    /// new name.
    pub async fn repository(&self, repository: &str) -> Result<RepoInfo> {
        let call = Call::get(format!("{}/repos/{repository}", self.api), "core");
        let found = self
            .http
            .json::<Repository>(&call, || self.missing(repository))
            .await?;
        Ok(found.value.into())
    }

    /// What the token's account owns, collaborates on or may read through
    /// its organisations.
    pub async fn readable_repositories(&self) -> Result<Vec<RepoInfo>> {
        let first = Call::get(format!("{}/user/repos", self.api), "core")
            .query("affiliation", "owner,collaborator,organization_member")
            .query("sort", "full_name")
            .query("per_page", PAGE);
        let repos: Vec<Repository> = linked_pages(&self.http, first, ToOwned::to_owned).await?;
        Ok(repos.into_iter().map(RepoInfo::from).collect())
    }

    pub async fn viewer(&self) -> Result<ForgeUser> {
        #[derive(Deserialize)]
        struct User {
            id: u64,
            login: String,
            name: Option<String>,
        }
        let call = Call::get(format!("{}/user", self.api), "core");
        let user = self
            .http
            .json::<User>(&call, || "the token's GitHub account".into())
            .await?
            .value;
        Ok(ForgeUser {
            id: user.id.to_string(),
            username: user.login,
            display_name: user.name.filter(|n| !n.is_empty()),
        })
    }
}
