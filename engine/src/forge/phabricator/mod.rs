//! Phabricator (or Phorge) through Conduit: revisions and tasks a person
//! authored, their reviews on others' revisions and their comments on
//! tasks, from the `*.search` methods and `transaction.search`, following
//! `after` cursors one page at a time.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::future::try_join_all;
use model::contribution::{Contribution, ContributionKind, Status};
use model::forge::Forge;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

mod activity;
mod tracker;

use super::http::{Auth, Call, Http, Limits};
use super::{Days, Endpoint, instance_of};
use crate::error::{Error, Result};

pub struct Phabricator {
    base: String,
    token: Option<String>,
    instance: String,
    http: Http,
}

#[derive(Debug, Deserialize)]
struct Page<T> {
    data: Vec<T>,
    cursor: Cursor,
}

#[derive(Debug, Deserialize)]
struct Cursor {
    after: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Item<F> {
    id: u64,
    phid: String,
    fields: F,
    #[serde(default)]
    attachments: Value,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RevisionFields {
    title: String,
    uri: String,
    #[serde(rename = "authorPHID")]
    author_phid: String,
    status: StatusField,
    #[serde(rename = "repositoryPHID")]
    repository_phid: Option<String>,
    date_created: i64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TaskFields {
    name: String,
    #[serde(rename = "authorPHID")]
    author_phid: String,
    status: StatusField,
    date_created: i64,
}

#[derive(Debug, Deserialize)]
struct StatusField {
    value: String,
}

/// One of `transaction.search`'s results: what a person did to an object,
/// and for comments, the text.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Transaction {
    id: u64,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(rename = "authorPHID")]
    author_phid: String,
    date_created: i64,
    #[serde(default)]
    comments: Vec<TransactionComment>,
}

/// Remarkup as Conduit gives it: `{"raw": "…"}`.
#[derive(Debug, Deserialize)]
struct Raw {
    raw: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TransactionComment {
    #[serde(default)]
    removed: bool,
    content: Option<Raw>,
}

fn at(epoch: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(epoch, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Conduit answers 200 with `{result, error_code, error_info}`; an error
/// code is a failure of the call, not of the transport.
fn decode<T: DeserializeOwned>(
    body: &[u8],
) -> std::result::Result<std::result::Result<T, (String, String)>, String> {
    #[derive(Deserialize)]
    struct Envelope {
        result: Option<Value>,
        error_code: Option<String>,
        error_info: Option<String>,
    }
    let envelope: Envelope = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    if let Some(code) = envelope.error_code {
        return Ok(Err((code, envelope.error_info.unwrap_or_default())));
    }
    let result = envelope
        .result
        .ok_or("a Conduit answer without result or error")?;
    serde_json::from_value(result)
        .map(Ok)
        .map_err(|e| e.to_string())
}

impl Phabricator {
    pub fn new(endpoint: &Endpoint, limits: &Limits) -> Result<Self> {
        let base = endpoint.api_url.trim_end_matches('/').to_owned();
        Ok(Self {
            instance: instance_of(&base),
            http: Http::new(Auth::None, limits)?.only_to(&base),
            token: endpoint.token.clone(),
            base,
        })
    }

    pub fn http(&self) -> &Http {
        &self.http
    }

    /// Calls a Conduit method with JSON parameters and the token.
    async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        params: Map<String, Value>,
    ) -> Result<T> {
        self.call_timed(method, params)
            .await
            .map(|(result, _)| result)
    }

    /// [`Self::call`], with the forge's clock when it answered.
    async fn call_timed<T: DeserializeOwned>(
        &self,
        method: &str,
        mut params: Map<String, Value>,
    ) -> Result<(T, Option<DateTime<Utc>>)> {
        if let Some(token) = &self.token {
            params.insert("__conduit__".into(), json!({ "token": token }));
        }
        let body = serde_urlencoded::to_string([("params", Value::Object(params).to_string())])
            .map_err(|e| Error::Invalid(e.to_string()))?;
        let url = format!("{}/api/{method}", self.base);
        let call = Call::post(
            &url,
            "conduit",
            "application/x-www-form-urlencoded",
            body.into_bytes(),
        );
        let fetched = self.http.fetch(&call, decode::<T>).await?;
        let clock = super::forge_clock(&fetched.headers);
        match fetched.value {
            Ok(result) => Ok((result, clock)),
            Err((code, info)) if code == "ERR-INVALID-AUTH" || code == "ERR-INVALID-SESSION" => {
                Err(Error::Refused {
                    url,
                    message: format!("{code}: {info}"),
                })
            }
            Err((code, info)) => Err(Error::Status {
                url,
                status: 200,
                message: format!("{code}: {info}"),
            }),
        }
    }

    /// Every transaction on `object` (`D12`, `T7`, a PHID), following
    /// `after` in sequence.
    async fn transactions<T: DeserializeOwned>(
        &self,
        object: &str,
        constraints: Option<Value>,
    ) -> Result<Vec<T>> {
        let mut transactions = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut params = Map::new();
            params.insert("objectIdentifier".into(), json!(object));
            if let Some(constraints) = &constraints {
                params.insert("constraints".into(), constraints.clone());
            }
            params.insert("limit".into(), json!(100));
            if let Some(cursor) = &after {
                params.insert("after".into(), json!(cursor));
            }
            let page: Page<T> = self.call("transaction.search", params).await?;
            transactions.extend(page.data);
            match page.cursor.after {
                Some(cursor) => after = Some(cursor),
                None => return Ok(transactions),
            }
        }
    }

    /// Every result of a `*.search` call, following `after` in sequence.
    async fn search<F: DeserializeOwned>(
        &self,
        method: &str,
        params: Value,
    ) -> Result<Vec<Item<F>>> {
        self.search_timed(method, params)
            .await
            .map(|(items, _)| items)
    }

    /// [`Self::search`], with the forge's clock at the first answer.
    async fn search_timed<F: DeserializeOwned>(
        &self,
        method: &str,
        params: Value,
    ) -> Result<(Vec<Item<F>>, Option<DateTime<Utc>>)> {
        let mut items = Vec::new();
        let mut after: Option<String> = None;
        let mut started = None;
        loop {
            let mut page_params = params.as_object().cloned().unwrap_or_default();
            page_params.insert("limit".into(), json!(100));
            if let Some(cursor) = &after {
                page_params.insert("after".into(), json!(cursor));
            }
            let (page, clock): (Page<Item<F>>, _) = self.call_timed(method, page_params).await?;
            started = started.or(clock);
            items.extend(page.data);
            match page.cursor.after {
                Some(cursor) => after = Some(cursor),
                None => return Ok((items, started)),
            }
        }
    }

    async fn user_phid(&self, username: &str) -> Result<String> {
        #[derive(Deserialize)]
        struct Fields {
            username: String,
        }
        let users: Vec<Item<Fields>> = self
            .search(
                "user.search",
                json!({ "constraints": { "usernames": [username] } }),
            )
            .await?;
        users
            .into_iter()
            .find(|u| u.fields.username.eq_ignore_ascii_case(username))
            .map(|u| u.phid)
            .ok_or_else(|| Error::NotFound {
                what: format!("Phabricator user `{username}` on {}", self.instance),
            })
    }

    fn contribution(&self, kind: ContributionKind, author: &str) -> Contribution {
        Contribution::new(Forge::Phabricator, &self.instance, kind, author)
    }

    /// Every repository of the instance, PHID to name.
    async fn repositories(&self) -> Result<BTreeMap<String, String>> {
        #[derive(Deserialize)]
        struct Fields {
            name: String,
        }
        let items: Vec<Item<Fields>> = self
            .search("diffusion.repository.search", json!({}))
            .await?;
        Ok(items.into_iter().map(|i| (i.phid, i.fields.name)).collect())
    }

    /// What `username` contributed on the UTC days `from..=to`.
    pub async fn contributions(
        &self,
        username: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Contribution>> {
        let range = Days::new(from, to)?;
        let me = self.user_phid(username).await?;
        let (start, end) = (range.start().timestamp(), range.end().timestamp());
        let authored = json!({ "authorPHIDs": [me], "createdStart": start, "createdEnd": end });
        // Reviews and comments in the range touched the object since it began.
        let reviewing = json!({ "reviewerPHIDs": [me], "modifiedStart": start });
        let following = json!({ "subscribers": [me], "modifiedStart": start });
        let with_projects = json!({ "projects": true });
        let (revisions, tasks, reviewed, followed, repositories) = tokio::try_join!(
            self.search::<RevisionFields>(
                "differential.revision.search",
                json!({ "constraints": authored })
            ),
            self.search::<TaskFields>(
                "maniphest.search",
                json!({ "constraints": authored, "attachments": with_projects })
            ),
            self.search::<RevisionFields>(
                "differential.revision.search",
                json!({ "constraints": reviewing })
            ),
            self.search::<TaskFields>(
                "maniphest.search",
                json!({ "constraints": following, "attachments": with_projects })
            ),
            self.repositories(),
        )?;
        let project_phids: BTreeSet<String> = tasks
            .iter()
            .chain(&followed)
            .flat_map(task_projects)
            .collect();
        let projects = self.project_names(&project_phids).await?;
        let repository_names: BTreeSet<&String> = repositories.values().collect();
        // Tasks belong to projects, not repositories: a task's repository is
        // the project named like one, else its first tag.
        let task_repository = |task: &Item<TaskFields>| {
            let tags: Vec<&String> = task_projects(task)
                .iter()
                .filter_map(|p| projects.get(p))
                .collect();
            tags.iter()
                .find(|name| repository_names.contains(**name))
                .or(tags.first())
                .map(|name| (*name).clone())
                .unwrap_or_default()
        };
        let revision_repository = |revision: &Item<RevisionFields>| {
            revision
                .fields
                .repository_phid
                .as_ref()
                .and_then(|p| repositories.get(p))
                .cloned()
                .unwrap_or_default()
        };
        let mut found = Vec::new();
        for revision in revisions.iter().filter(|r| r.fields.author_phid == me) {
            found.push(Contribution {
                id: format!("D{}", revision.id),
                status: Some(match revision.fields.status.value.as_str() {
                    "published" => Status::Merged,
                    "abandoned" => Status::Abandoned,
                    _ => Status::Open,
                }),
                repository: revision_repository(revision),
                title: revision.fields.title.clone(),
                url: revision.fields.uri.clone(),
                occurred_at: at(revision.fields.date_created),
                ..self.contribution(ContributionKind::DifferentialRevision, username)
            });
        }
        for task in tasks.iter().filter(|t| t.fields.author_phid == me) {
            found.push(Contribution {
                id: format!("T{}", task.id),
                status: Some(if task.fields.status.value == "open" {
                    Status::Open
                } else {
                    Status::Closed
                }),
                repository: task_repository(task),
                title: task.fields.name.clone(),
                url: format!("{}/T{}", self.base, task.id),
                occurred_at: at(task.fields.date_created),
                ..self.contribution(ContributionKind::PhabricatorTask, username)
            });
        }
        let reviews = reviewed
            .iter()
            .filter(|r| r.fields.author_phid != me)
            .map(|r| Target {
                object: format!("D{}", r.id),
                repository: revision_repository(r),
                title: r.fields.title.clone(),
                url: r.fields.uri.clone(),
            });
        let comments = followed.iter().map(|t| Target {
            object: format!("T{}", t.id),
            repository: task_repository(t),
            title: t.fields.name.clone(),
            url: format!("{}/T{}", self.base, t.id),
        });
        let (review_lists, comment_lists) = tokio::try_join!(
            try_join_all(reviews.map(|t| self.actions(
                t,
                &me,
                username,
                range,
                ContributionKind::Review
            ))),
            try_join_all(comments.map(|t| self.actions(
                t,
                &me,
                username,
                range,
                ContributionKind::IssueComment
            ))),
        )?;
        found.extend(review_lists.into_iter().flatten());
        found.extend(comment_lists.into_iter().flatten());
        Ok(found)
    }

    async fn project_names(&self, phids: &BTreeSet<String>) -> Result<BTreeMap<String, String>> {
        self.names("project.search", phids, "name").await
    }

    /// A field of each object a `*.search` method finds by PHID, by PHID.
    async fn names(
        &self,
        method: &str,
        phids: &BTreeSet<String>,
        field: &str,
    ) -> Result<BTreeMap<String, String>> {
        if phids.is_empty() {
            return Ok(BTreeMap::new());
        }
        let items: Vec<Item<Value>> = self
            .search(method, json!({ "constraints": { "phids": phids } }))
            .await?;
        Ok(items
            .into_iter()
            .filter_map(|i| Some((i.phid, i.fields.get(field)?.as_str()?.to_owned())))
            .collect())
    }

    /// `me`'s reviews (`kind` Review) or comments (IssueComment) on one
    /// revision or task, within the range.
    async fn actions(
        &self,
        target: Target,
        me: &str,
        username: &str,
        range: Days,
        kind: ContributionKind,
    ) -> Result<Vec<Contribution>> {
        let types: &[&str] = match kind {
            ContributionKind::Review => &["accept", "reject", "request-changes", "comment"],
            _ => &["comment"],
        };
        let transactions: Vec<Transaction> = self
            .transactions(&target.object, Some(json!({ "authorPHIDs": [me] })))
            .await?;
        Ok(transactions
            .into_iter()
            .filter(|t| t.author_phid == me && range.contains(at(t.date_created)))
            .filter(|t| t.kind.as_deref().is_some_and(|k| types.contains(&k)))
            .map(|t| Contribution {
                id: t.id.to_string(),
                repository: target.repository.clone(),
                title: target.title.clone(),
                url: target.url.clone(),
                occurred_at: at(t.date_created),
                ..self.contribution(kind, username)
            })
            .collect())
    }
}

/// A revision or task whose transactions are read.
struct Target {
    /// `D123` or `T45`.
    object: String,
    repository: String,
    title: String,
    url: String,
}

fn task_projects<F>(task: &Item<F>) -> Vec<String> {
    task.attachments
        .pointer("/projects/projectPHIDs")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|p| p.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn a_conduit_result_or_error_decodes_to_what_was_sent(
            result in crate::strategies::json(),
            error in proptest::option::of(("[A-Z_-]{1,16}", proptest::option::of("\\PC{0,20}"))),
        ) {
            let body = match &error {
                Some((code, info)) => serde_json::json!({"result": null, "error_code": code, "error_info": info}),
                None => serde_json::json!({"result": result, "error_code": null, "error_info": null}),
            };
            let decoded = decode::<Value>(body.to_string().as_bytes());
            match error {
                Some((code, info)) => proptest::prop_assert_eq!(decoded, Ok(Err((code, info.unwrap_or_default())))),
                // A null result is no result.
                None if result.is_null() => proptest::prop_assert!(decoded.is_err()),
                None => proptest::prop_assert_eq!(decoded, Ok(Ok(result))),
            }
        }

        #[test]
        fn no_bytes_make_decoding_panic(body in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let _ = decode::<Value>(&body);
        }
    }
}
