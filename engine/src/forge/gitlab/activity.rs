//! GitLab for repository reports: merge requests by update time, their
//! reviews from the project's events (approvals, and notes on merge
//! requests), and the default branch's commits since the watermark.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use futures_util::future::try_join_all;
use serde::Deserialize;

use super::super::activity::{
    ChangeList, ChangeRecord, ChangeState, CommitList, CommitRecord, Known, ReviewRecord, Verdict,
};
use super::super::http::Call;
use super::super::paging::{linked_pages, newest_since};
use super::GitLab;
use super::tracker::encoded;
use crate::error::{Error, Result};

const PAGE: usize = 100;

#[derive(Deserialize)]
struct Person {
    username: String,
}

#[derive(Deserialize)]
struct MergeRequest {
    iid: u64,
    title: String,
    state: String,
    web_url: String,
    author: Option<Person>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    merged_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct Event {
    id: u64,
    action_name: String,
    target_type: Option<String>,
    target_iid: Option<u64>,
    author_username: Option<String>,
    created_at: DateTime<Utc>,
    note: Option<Note>,
}

#[derive(Deserialize)]
struct Note {
    id: u64,
    noteable_type: Option<String>,
    noteable_iid: Option<u64>,
    #[serde(default)]
    system: bool,
}

#[derive(Deserialize)]
struct Commit {
    id: String,
    title: String,
    author_name: String,
    author_email: String,
    authored_date: DateTime<Utc>,
    web_url: String,
}

impl Event {
    /// The review this event records: an approval of a merge request, or
    /// a person's note on one.
    fn review(self) -> Option<ReviewRecord> {
        let (change, id, verdict) = match (self.action_name.as_str(), self.note) {
            ("approved", _) if self.target_type.as_deref() == Some("MergeRequest") => (
                self.target_iid?,
                format!("approval-{}", self.id),
                Verdict::Approved,
            ),
            ("commented on", Some(note))
                if !note.system && note.noteable_type.as_deref() == Some("MergeRequest") =>
            {
                (
                    note.noteable_iid?,
                    format!("note-{}", note.id),
                    Verdict::Commented,
                )
            }
            _ => return None,
        };
        Some(ReviewRecord {
            change,
            id,
            reviewer: self.author_username,
            verdict,
            submitted_at: self.created_at,
        })
    }
}

impl GitLab {
    /// The merge requests of `repository` updated at or after `since` (all
    /// without it), and the reviews written since then.
    pub async fn repository_changes(
        &self,
        repository: &str,
        since: Option<DateTime<Utc>>,
        known: &Known,
    ) -> Result<ChangeList> {
        let project = format!("{}/projects/{}", self.api, encoded(repository));
        let mut first = Call::get(format!("{project}/merge_requests"), "api")
            .query("state", "all")
            .query("order_by", "updated_at")
            .query("sort", "desc")
            .query("per_page", PAGE);
        if let Some(since) = since {
            first = first.query("updated_after", since.to_rfc3339());
        }
        let (requests, started) = newest_since(
            &self.http,
            first,
            since,
            |m: &MergeRequest| m.updated_at,
            |_| self.missing(repository),
        )
        .await?;
        let (approvals, notes) = tokio::try_join!(
            self.events(&project, repository, "approved", since),
            self.events(&project, repository, "commented", since),
        )?;
        let reviews = approvals
            .into_iter()
            .chain(notes)
            .filter(|e| since.is_none_or(|since| e.created_at >= since))
            .filter_map(Event::review)
            .collect();
        let listed = requests.iter().map(|m| m.iid).collect();
        let changes = requests
            .into_iter()
            .filter(|m| known.changed(m.iid, m.updated_at))
            .map(|m| ChangeRecord {
                number: m.iid,
                title: m.title,
                url: m.web_url,
                author: m.author.map(|a| a.username),
                state: match m.state.as_str() {
                    "merged" => ChangeState::Merged,
                    "closed" => ChangeState::Closed,
                    _ => ChangeState::Open,
                },
                created_at: m.created_at,
                updated_at: m.updated_at,
                merged_at: m.merged_at,
                closed_at: m.closed_at.or(m.merged_at),
            })
            .collect();
        Ok(ChangeList {
            listed,
            changes,
            reviews,
            started,
        })
    }

    /// The project's events of one `action`; since the day before `since`
    /// (the API takes whole days, and `after` leaves its day out).
    async fn events(
        &self,
        project: &str,
        repository: &str,
        action: &str,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<Event>> {
        let mut first = Call::get(format!("{project}/events"), "api")
            .query("action", action)
            .query("per_page", PAGE);
        if let Some(since) = since {
            let after = (since - Duration::days(1)).date_naive();
            first = first.query("after", after.to_string());
        }
        linked_pages(&self.http, first, |_| self.missing(repository)).await
    }

    /// The default branch's commits committed at or after `since` (all
    /// without it). GitLab links no account to a commit: its author is the
    /// one account whose email is the commit's, else the name git recorded.
    pub async fn repository_commits(
        &self,
        repository: &str,
        since: Option<DateTime<Utc>>,
    ) -> Result<CommitList> {
        let mut first = Call::get(
            format!(
                "{}/projects/{}/repository/commits",
                self.api,
                encoded(repository)
            ),
            "api",
        )
        .query("per_page", PAGE);
        if let Some(since) = since {
            first = first.query("since", since.to_rfc3339());
        }
        let (commits, started) = newest_since(
            &self.http,
            first,
            None,
            |c: &Commit| c.authored_date,
            |_| self.missing(repository),
        )
        .await?;
        let emails: BTreeSet<&str> = commits.iter().map(|c| c.author_email.as_str()).collect();
        let accounts: BTreeMap<&str, Option<String>> =
            try_join_all(emails.into_iter().map(|email| async move {
                Ok::<_, Error>((email, self.account_of(email).await?))
            }))
            .await?
            .into_iter()
            .collect();
        let commits = commits
            .iter()
            .map(|c| CommitRecord {
                sha: c.id.clone(),
                author: Some(
                    accounts
                        .get(c.author_email.as_str())
                        .cloned()
                        .flatten()
                        .unwrap_or_else(|| c.author_name.clone()),
                ),
                authored_at: c.authored_date,
                title: c.title.clone(),
                url: c.web_url.clone(),
            })
            .collect();
        Ok(CommitList { commits, started })
    }

    /// The username of the one account `email` finds, if exactly one.
    async fn account_of(&self, email: &str) -> Result<Option<String>> {
        let call = Call::get(format!("{}/users", self.api), "api").query("search", email);
        let found: Vec<Person> = self
            .http
            .json(&call, || format!("GitLab users on {}", self.instance))
            .await?
            .value;
        Ok(match found.as_slice() {
            [one] => Some(one.username.clone()),
            _ => None,
        })
    }
}
