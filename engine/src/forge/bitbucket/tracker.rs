//! Bitbucket for the issue tracker: a repository's issues by update time
//! (Bitbucket has no labels: the kind, the priority and the component
//! stand in for them, and no comment count: it is what the comments list
//! holds), an issue's comments, a repository as the token sees it, the
//! repositories its account is a member of, and who the token is.

use chrono::{DateTime, Utc};
use model::contribution::Status;
use model::forge::Forge;
use model::tracker::{Comment, Issue};
use serde::Deserialize;

use super::super::http::Call;
use super::super::paging::{ListPage, walk_by_update};
use super::super::{ForgeUser, IssueList, RepoInfo};
use super::{Account, Bitbucket, Envelope, Links};
use crate::error::Result;

const PAGE: usize = 100;

#[derive(Deserialize)]
struct Item {
    id: u64,
    title: String,
    content: Option<Content>,
    state: String,
    kind: Option<String>,
    priority: Option<String>,
    component: Option<Named>,
    reporter: Option<Account>,
    assignee: Option<Account>,
    created_on: DateTime<Utc>,
    updated_on: DateTime<Utc>,
    links: Links,
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

#[derive(Deserialize)]
struct Content {
    raw: Option<String>,
}

#[derive(Deserialize)]
struct Repository {
    full_name: String,
    is_private: bool,
    description: Option<String>,
    links: Links,
}

impl From<Repository> for RepoInfo {
    fn from(r: Repository) -> Self {
        Self {
            path: r.full_name,
            url: r.links.html.href,
            private: r.is_private,
            description: r.description.filter(|d| !d.is_empty()),
        }
    }
}

impl Bitbucket {
    pub(super) fn missing(&self, repository: &str) -> String {
        format!(
            "Bitbucket repository `{repository}` on {} (or its issue tracker, or the token may not read it)",
            self.instance
        )
    }

    /// The issues of `repository` (`workspace/slug`), updated at or after
    /// `since` when given.
    pub async fn issues(
        &self,
        repository: &str,
        since: Option<DateTime<Utc>>,
    ) -> Result<IssueList> {
        let url = format!("{}/repositories/{repository}/issues", self.api);
        let (pages, started) = walk_by_update(
            since,
            PAGE,
            |since, page| {
                let mut call = Call::get(&url, "api")
                    .query("sort", "updated_on")
                    .query("pagelen", PAGE)
                    .query("page", page);
                if let Some(since) = since {
                    call = call.query("q", format!("updated_on >= {}", since.to_rfc3339()));
                }
                async move {
                    let fetched = self
                        .http
                        .json::<Envelope<Item>>(&call, || self.missing(repository))
                        .await?;
                    Ok(ListPage {
                        more: fetched.value.next.is_some(),
                        items: fetched.value.values,
                        headers: fetched.headers,
                    })
                }
            },
            |item: &Item| item.updated_on,
        )
        .await?;
        let items = pages
            .into_iter()
            .map(|i| {
                let open = matches!(i.state.as_str(), "new" | "open" | "on hold");
                Issue {
                    forge: Forge::Bitbucket,
                    instance: self.instance.clone(),
                    repository: repository.to_owned(),
                    number: i.id,
                    title: i.title,
                    body: i.content.and_then(|c| c.raw).unwrap_or_default(),
                    url: i.links.html.href,
                    status: if open { Status::Open } else { Status::Closed },
                    author: i.reporter.and_then(|r| r.nickname),
                    labels: [i.kind, i.priority, i.component.map(|c| c.name)]
                        .into_iter()
                        .flatten()
                        .collect(),
                    assignees: i.assignee.and_then(|a| a.nickname).into_iter().collect(),
                    // Not on the issue: the sync counts the comments it lists.
                    comments: 0,
                    created_at: i.created_on,
                    updated_at: i.updated_on,
                    closed_at: None,
                }
            })
            .collect();
        Ok(IssueList { items, started })
    }

    /// The comments of issue `id` that say something (Bitbucket also lists
    /// empty ones for changes of state), oldest first.
    pub async fn comments(&self, repository: &str, id: u64) -> Result<Vec<Comment>> {
        #[derive(Deserialize)]
        struct Item {
            id: u64,
            content: Option<Content>,
            user: Option<Account>,
            created_on: DateTime<Utc>,
            links: Links,
        }
        let first = self.list(&format!("{repository}/issues/{id}/comments"), 100);
        let items: Vec<Item> = self.all(first).await?;
        Ok(items
            .into_iter()
            .filter_map(|c| {
                let body = c.content.and_then(|c| c.raw).filter(|b| !b.is_empty())?;
                Some(Comment {
                    id: c.id.to_string(),
                    author: c.user.and_then(|u| u.nickname),
                    body,
                    url: Some(c.links.html.href),
                    created_at: c.created_on,
                })
            })
            .collect())
    }

    pub async fn repository(&self, repository: &str) -> Result<RepoInfo> {
        let call = Call::get(format!("{}/repositories/{repository}", self.api), "api");
        let found = self
            .http
            .json::<Repository>(&call, || self.missing(repository))
            .await?;
        Ok(found.value.into())
    }

    /// The repositories the token's account is a member of.
    pub async fn readable_repositories(&self) -> Result<Vec<RepoInfo>> {
        let first = Call::get(format!("{}/repositories", self.api), "api")
            .query("role", "member")
            .query("pagelen", PAGE);
        let repos: Vec<Repository> = self.all(first).await?;
        Ok(repos.into_iter().map(RepoInfo::from).collect())
    }

    pub async fn viewer(&self) -> Result<ForgeUser> {
        #[derive(Deserialize)]
        struct User {
            uuid: String,
            nickname: Option<String>,
            display_name: Option<String>,
        }
        let call = Call::get(format!("{}/user", self.api), "api");
        let user = self
            .http
            .json::<User>(&call, || "the token's Bitbucket account".into())
            .await?
            .value;
        Ok(ForgeUser {
            username: user.nickname.clone().unwrap_or_else(|| user.uuid.clone()),
            id: user.uuid,
            display_name: user.display_name.filter(|n| !n.is_empty()),
        })
    }
}
