//! Phabricator for the issue tracker. Tasks are filed against projects,
//! not repositories: a "repository" here is a project (tag), its items the
//! tasks tagged with it, their other tags the labels, their owner the
//! assignee, and their comment transactions the comments. Tasks carry no
//! comment count: it is what the comments list holds.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use model::contribution::Status;
use model::forge::Forge;
use model::tracker::{Comment, Issue};
use serde::Deserialize;
use serde_json::json;

use super::super::{IssueList, RepoInfo};
use super::{Item, Phabricator, Raw, Transaction, at, task_projects};
use crate::error::{Error, Result};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TaskFields {
    name: String,
    #[serde(default)]
    description: Option<Raw>,
    #[serde(rename = "authorPHID")]
    author_phid: String,
    #[serde(rename = "ownerPHID")]
    owner_phid: Option<String>,
    status: super::StatusField,
    date_created: i64,
    date_modified: i64,
    date_closed: Option<i64>,
}

/// A project: what a Phabricator "repository" is to the tracker.
struct Project {
    phid: String,
    info: RepoInfo,
}

impl Phabricator {
    async fn project(&self, name: &str) -> Result<Project> {
        #[derive(Deserialize)]
        struct Fields {
            name: String,
            description: Option<String>,
        }
        let found: Vec<Item<Fields>> = self
            .search("project.search", json!({ "constraints": { "name": name } }))
            .await?;
        found
            .into_iter()
            .find(|p| p.fields.name.eq_ignore_ascii_case(name))
            .map(|p| Project {
                phid: p.phid,
                info: RepoInfo {
                    url: format!("{}/project/view/{}/", self.base, p.id),
                    path: p.fields.name,
                    private: false,
                    description: p.fields.description.filter(|d| !d.is_empty()),
                },
            })
            .ok_or_else(|| Error::NotFound {
                what: format!("Phabricator project `{name}` on {}", self.instance),
            })
    }

    pub async fn repository(&self, name: &str) -> Result<RepoInfo> {
        Ok(self.project(name).await?.info)
    }

    /// Usernames of user PHIDs.
    pub(super) async fn usernames(
        &self,
        phids: &BTreeSet<String>,
    ) -> Result<BTreeMap<String, String>> {
        self.names("user.search", phids, "username").await
    }

    /// The tasks tagged with project `name`, modified at or after `since`.
    pub async fn issues(&self, name: &str, since: Option<DateTime<Utc>>) -> Result<IssueList> {
        let project = self.project(name).await?;
        let mut constraints = json!({ "projects": [project.phid] });
        if let Some(since) = since {
            constraints["modifiedStart"] = json!(since.timestamp());
        }
        let (tasks, started) = self
            .search_timed::<TaskFields>(
                "maniphest.search",
                json!({ "constraints": constraints, "attachments": { "projects": true } }),
            )
            .await?;
        let people: BTreeSet<String> = tasks
            .iter()
            .flat_map(|t| {
                [
                    Some(t.fields.author_phid.clone()),
                    t.fields.owner_phid.clone(),
                ]
            })
            .flatten()
            .collect();
        let tags: BTreeSet<String> = tasks
            .iter()
            .flat_map(task_projects)
            .filter(|p| *p != project.phid)
            .collect();
        let (people, tags) = tokio::try_join!(self.usernames(&people), self.project_names(&tags))?;
        let items = tasks
            .into_iter()
            .map(|task| {
                let labels = task_projects(&task)
                    .iter()
                    .filter_map(|p| tags.get(p).cloned())
                    .collect();
                let fields = task.fields;
                Issue {
                    forge: Forge::Phabricator,
                    instance: self.instance.clone(),
                    repository: project.info.path.clone(),
                    number: task.id,
                    title: fields.name,
                    body: fields.description.and_then(|d| d.raw).unwrap_or_default(),
                    url: format!("{}/T{}", self.base, task.id),
                    status: if fields.status.value == "open" {
                        Status::Open
                    } else {
                        Status::Closed
                    },
                    author: people.get(&fields.author_phid).cloned(),
                    labels,
                    assignees: fields
                        .owner_phid
                        .and_then(|o| people.get(&o).cloned())
                        .into_iter()
                        .collect(),
                    // Not on the task: the sync counts the comments it lists.
                    comments: 0,
                    created_at: at(fields.date_created),
                    updated_at: at(fields.date_modified),
                    closed_at: fields.date_closed.map(at),
                }
            })
            .collect();
        Ok(IssueList { items, started })
    }

    /// The comments on task `T<number>`, oldest first.
    pub async fn comments(&self, _project: &str, number: u64) -> Result<Vec<Comment>> {
        let mut transactions: Vec<Transaction> =
            self.transactions(&format!("T{number}"), None).await?;
        transactions.retain(|t| {
            t.kind.as_deref() == Some("comment") && t.comments.iter().any(|c| !c.removed)
        });
        transactions.sort_by_key(|t| (t.date_created, t.id));
        let authors: BTreeSet<String> =
            transactions.iter().map(|t| t.author_phid.clone()).collect();
        let names = self.usernames(&authors).await?;
        Ok(transactions
            .into_iter()
            .map(|t| Comment {
                id: t.id.to_string(),
                author: names.get(&t.author_phid).cloned(),
                body: t
                    .comments
                    .into_iter()
                    .find(|c| !c.removed)
                    .and_then(|c| c.content)
                    .and_then(|c| c.raw)
                    .unwrap_or_default(),
                url: Some(format!("{}/T{number}#{}", self.base, t.id)),
                created_at: at(t.date_created),
            })
            .collect())
    }
}
