//! GitLab for the issue tracker: a project's issues by update time, an
//! issue's notes (system notes left out, as `user_notes_count` counts
//! them), a project as the token sees it, the projects its account is a
//! member of, and who the token is.

use chrono::{DateTime, Utc};
use model::contribution::Status;
use model::forge::Forge;
use model::tracker::{Comment, Issue};
use serde::Deserialize;

use super::super::http::Call;
use super::super::paging::{ListPage, linked_pages, walk_by_update};
use super::super::{ForgeUser, IssueList, RepoInfo};
use super::GitLab;
use crate::error::Result;

const PAGE: usize = 100;

#[derive(Deserialize)]
struct Person {
    username: String,
}

#[derive(Deserialize)]
struct Item {
    iid: u64,
    title: String,
    description: Option<String>,
    state: String,
    web_url: String,
    author: Option<Person>,
    #[serde(default)]
    assignees: Vec<Person>,
    labels: Vec<String>,
    user_notes_count: u64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct Project {
    path_with_namespace: String,
    web_url: String,
    visibility: Option<String>,
    description: Option<String>,
}

impl From<Project> for RepoInfo {
    fn from(p: Project) -> Self {
        Self {
            path: p.path_with_namespace,
            url: p.web_url,
            private: !is_public(p.visibility.as_deref()),
            description: p.description.filter(|d| !d.is_empty()),
        }
    }
}

/// Whether a project's `visibility` says it is public. A project that does
/// not say is taken as private: a missing field must not expose anything.
pub(super) fn is_public(visibility: Option<&str>) -> bool {
    visibility == Some("public")
}

/// A project path as the API takes it in a URL.
pub(super) fn encoded(repository: &str) -> String {
    model::url::encode_component(repository)
}

impl GitLab {
    pub(super) fn missing(&self, repository: &str) -> String {
        format!(
            "GitLab project `{repository}` on {} (or the token may not read it)",
            self.instance
        )
    }

    /// The issues of project `repository` (`group/name`), updated at or
    /// after `since` when given.
    pub async fn issues(
        &self,
        repository: &str,
        since: Option<DateTime<Utc>>,
    ) -> Result<IssueList> {
        let url = format!("{}/projects/{}/issues", self.api, encoded(repository));
        let (items, started) = walk_by_update(
            since,
            PAGE,
            |since, page| {
                let mut call = Call::get(&url, "api")
                    .query("state", "all")
                    .query("order_by", "updated_at")
                    .query("sort", "asc")
                    .query("per_page", PAGE)
                    .query("page", page);
                if let Some(since) = since {
                    call = call.query("updated_after", since.to_rfc3339());
                }
                async move {
                    self.http
                        .json::<Vec<Item>>(&call, || self.missing(repository))
                        .await
                        .map(ListPage::linked)
                }
            },
            |item: &Item| item.updated_at,
        )
        .await?;
        let items = items
            .into_iter()
            .map(|i| Issue {
                forge: Forge::GitLab,
                instance: self.instance.clone(),
                repository: repository.to_owned(),
                number: i.iid,
                title: i.title,
                body: i.description.unwrap_or_default(),
                url: i.web_url,
                status: if i.state == "closed" {
                    Status::Closed
                } else {
                    Status::Open
                },
                author: i.author.map(|a| a.username),
                labels: i.labels,
                assignees: i.assignees.into_iter().map(|a| a.username).collect(),
                comments: i.user_notes_count,
                created_at: i.created_at,
                updated_at: i.updated_at,
                closed_at: i.closed_at,
            })
            .collect();
        Ok(IssueList { items, started })
    }

    /// The notes people wrote on issue `iid`, oldest first.
    pub async fn comments(&self, repository: &str, iid: u64) -> Result<Vec<Comment>> {
        #[derive(Deserialize)]
        struct Note {
            id: u64,
            body: String,
            author: Option<Person>,
            created_at: DateTime<Utc>,
            #[serde(default)]
            system: bool,
        }
        let first = Call::get(
            format!(
                "{}/projects/{}/issues/{iid}/notes",
                self.api,
                encoded(repository)
            ),
            "api",
        )
        .query("sort", "asc")
        .query("per_page", PAGE);
        let notes: Vec<Note> = linked_pages(&self.http, first, |_| {
            format!("issue {repository}#{iid} on {}", self.instance)
        })
        .await?;
        Ok(notes
            .into_iter()
            .filter(|n| !n.system)
            .map(|n| Comment {
                id: n.id.to_string(),
                author: n.author.map(|a| a.username),
                body: n.body,
                url: None,
                created_at: n.created_at,
            })
            .collect())
    }

    pub async fn repository(&self, repository: &str) -> Result<RepoInfo> {
        let call = Call::get(
            format!("{}/projects/{}", self.api, encoded(repository)),
            "api",
        );
        let project = self
            .http
            .json::<Project>(&call, || self.missing(repository))
            .await?;
        Ok(project.value.into())
    }

    /// The projects the token's account is a member of.
    pub async fn readable_repositories(&self) -> Result<Vec<RepoInfo>> {
        let first = Call::get(format!("{}/projects", self.api), "api")
            .query("membership", "true")
            .query("order_by", "path")
            .query("sort", "asc")
            .query("per_page", PAGE);
        let projects: Vec<Project> = linked_pages(&self.http, first, ToOwned::to_owned).await?;
        Ok(projects.into_iter().map(RepoInfo::from).collect())
    }

    pub async fn viewer(&self) -> Result<ForgeUser> {
        #[derive(Deserialize)]
        struct User {
            id: u64,
            username: String,
            name: Option<String>,
        }
        let call = Call::get(format!("{}/user", self.api), "api");
        let user = self
            .http
            .json::<User>(&call, || "the token's GitLab account".into())
            .await?
            .value;
        Ok(ForgeUser {
            id: user.id.to_string(),
            username: user.username,
            display_name: user.name.filter(|n| !n.is_empty()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_is_public_only_when_it_says_so() {
        let project = |visibility: Option<&str>| Project {
            path_with_namespace: "g/p".into(),
            web_url: "https://gitlab.example/g/p".into(),
            visibility: visibility.map(str::to_owned),
            description: None,
        };
        assert!(!RepoInfo::from(project(Some("public"))).private);
        for hidden in [None, Some("private"), Some("internal"), Some("")] {
            assert!(RepoInfo::from(project(hidden)).private, "{hidden:?}");
        }
    }
}
