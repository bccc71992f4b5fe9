//! Gerrit for the issue tracker. Gerrit has no issues: a project's tracker
//! items are its changes, their reviewers stand for assignees, hashtags
//! and topic for labels, and review messages for comments.

use chrono::{DateTime, Duration, Utc};
use model::contribution::Status;
use model::forge::Forge;
use model::tracker::{Comment, Issue};
use serde::Deserialize;
use serde_json::Value;

use super::super::http::Call;
use super::super::{IssueList, RepoInfo};
use super::{Account, Gerrit, Message, decode, time};
use crate::error::{Error, Result};

#[derive(Deserialize)]
struct Change {
    subject: String,
    status: String,
    #[serde(deserialize_with = "time")]
    created: DateTime<Utc>,
    #[serde(deserialize_with = "time")]
    updated: DateTime<Utc>,
    #[serde(default, deserialize_with = "optional_time")]
    submitted: Option<DateTime<Utc>>,
    #[serde(rename = "_number")]
    number: u64,
    owner: Account,
    #[serde(default)]
    hashtags: Vec<String>,
    topic: Option<String>,
    /// `Code-Review` (and other labels) with every vote under `all`.
    #[serde(default)]
    labels: Value,
    #[serde(default)]
    messages: Vec<Message>,
}

pub(super) fn optional_time<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<DateTime<Utc>>, D::Error> {
    #[derive(Deserialize)]
    struct Wrapped(#[serde(deserialize_with = "time")] DateTime<Utc>);
    Option::<Wrapped>::deserialize(deserializer).map(|w| w.map(|Wrapped(t)| t))
}

impl Change {
    /// Everyone who voted on any label, each once, by name.
    fn reviewers(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .labels
            .as_object()
            .into_iter()
            .flat_map(|labels| labels.values())
            .filter_map(|label| label.get("all").and_then(Value::as_array))
            .flatten()
            .filter_map(|vote| vote.get("username").and_then(Value::as_str))
            .map(str::to_owned)
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

impl Gerrit {
    pub(super) fn change_url(&self, project: &str, number: u64) -> String {
        format!("{}/c/{project}/+/{number}", self.web)
    }

    /// The changes of `project` updated at or after `since` when given.
    pub async fn issues(&self, project: &str, since: Option<DateTime<Utc>>) -> Result<IssueList> {
        let mut q = format!("project:{project}");
        if let Some(since) = since {
            // `after:` is inclusive but to the second: a second early keeps
            // a change updated within the first second.
            let from = (since - Duration::seconds(1)).format("%Y-%m-%d %H:%M:%S");
            q.push_str(&format!(" after:\"{from}\""));
        }
        let (changes, started) = self
            .query::<Change>(&q, &["DETAILED_ACCOUNTS", "DETAILED_LABELS", "MESSAGES"])
            .await?;
        let items = changes
            .into_iter()
            .map(|c| {
                let status = match c.status.as_str() {
                    "MERGED" => Status::Merged,
                    "ABANDONED" => Status::Abandoned,
                    _ => Status::Open,
                };
                Issue {
                    forge: Forge::Gerrit,
                    instance: self.instance.clone(),
                    repository: project.to_owned(),
                    number: c.number,
                    title: c.subject.clone(),
                    body: String::new(),
                    url: self.change_url(project, c.number),
                    status,
                    author: c.owner.username.clone(),
                    assignees: c.reviewers(),
                    labels: c.hashtags.iter().cloned().chain(c.topic.clone()).collect(),
                    comments: c.messages.len() as u64,
                    created_at: c.created,
                    updated_at: c.updated,
                    closed_at: c.submitted,
                }
            })
            .collect();
        Ok(IssueList { items, started })
    }

    /// A change's review messages, oldest first.
    pub async fn comments(&self, project: &str, number: u64) -> Result<Vec<Comment>> {
        #[derive(Deserialize)]
        struct Detail {
            #[serde(default)]
            messages: Vec<Message>,
        }
        let id = format!("{}~{number}", project.replace('/', "%2F"));
        let call = Call::get(format!("{}/changes/{id}", self.api), "api")
            .query("o", "MESSAGES")
            .query("o", "DETAILED_ACCOUNTS");
        let detail: Detail = self
            .http
            .fetch(&call, decode)
            .await
            .map_err(|e| match e {
                Error::NotFound { .. } => Error::NotFound {
                    what: format!("Gerrit change {project}~{number} on {}", self.instance),
                },
                other => other,
            })?
            .value;
        Ok(detail
            .messages
            .into_iter()
            .map(|m| Comment {
                url: Some(format!(
                    "{}#message-{}",
                    self.change_url(project, number),
                    m.id
                )),
                id: m.id,
                author: m.author.and_then(|a| a.username),
                body: m.message.unwrap_or_default(),
                created_at: m.date,
            })
            .collect())
    }

    /// A project by its exact name.
    pub async fn repository(&self, project: &str) -> Result<RepoInfo> {
        #[derive(Deserialize)]
        struct Project {
            description: Option<String>,
        }
        let call = Call::get(format!("{}/projects/", self.api), "api")
            .query("p", project)
            .query("d", "");
        let mut found: std::collections::BTreeMap<String, Project> =
            self.http.fetch(&call, decode).await?.value;
        let description = found
            .remove(project)
            .ok_or_else(|| Error::NotFound {
                what: format!("Gerrit project `{project}` on {}", self.instance),
            })?
            .description;
        Ok(RepoInfo {
            path: project.to_owned(),
            url: format!("{}/q/project:{project}", self.web),
            private: false,
            description: description.filter(|d| !d.is_empty()),
        })
    }
}
