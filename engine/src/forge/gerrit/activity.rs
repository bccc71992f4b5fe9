//! Gerrit for repository reports: a project's changes updated since the
//! watermark, their reviews from the review messages of people other than
//! the owner, and no commit list (core Gerrit's REST API has none).

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use super::super::activity::{
    ChangeList, ChangeRecord, ChangeState, CommitList, Known, Listing, ReviewRecord, Verdict,
};
use super::{Account, Gerrit, Message, time};
use crate::error::Result;

#[derive(Deserialize)]
struct Change {
    subject: String,
    status: String,
    #[serde(deserialize_with = "time")]
    created: DateTime<Utc>,
    #[serde(deserialize_with = "time")]
    updated: DateTime<Utc>,
    #[serde(default, deserialize_with = "super::tracker::optional_time")]
    submitted: Option<DateTime<Utc>>,
    #[serde(rename = "_number")]
    number: u64,
    owner: Account,
    #[serde(default)]
    messages: Vec<Message>,
}

/// A review message's verdict, from the vote it records.
fn verdict(message: &str) -> Verdict {
    if message.contains("Code-Review+") {
        Verdict::Approved
    } else if message.contains("Code-Review-") {
        Verdict::ChangesRequested
    } else {
        Verdict::Commented
    }
}

impl Gerrit {
    /// The changes of `project` updated at or after `since` (all without
    /// it), with their reviews.
    pub async fn repository_changes(
        &self,
        project: &str,
        since: Option<DateTime<Utc>>,
        known: &Known,
    ) -> Result<ChangeList> {
        let mut q = format!("project:{project}");
        if let Some(since) = since {
            // `after:` is to the second: a second early keeps the first one.
            let from = (since - Duration::seconds(1)).format("%Y-%m-%d %H:%M:%S");
            q.push_str(&format!(" after:\"{from}\""));
        }
        let (found, started) = self
            .query::<Change>(&q, &["DETAILED_ACCOUNTS", "MESSAGES"])
            .await?;
        let listed = found.iter().map(|c| c.number).collect();
        let mut changes = Vec::with_capacity(found.len());
        let mut reviews = Vec::new();
        for change in found
            .into_iter()
            .filter(|c| known.changed(c.number, c.updated))
        {
            let owner = change.owner.username.clone();
            for message in change.messages {
                let author = message.author.and_then(|a| a.username);
                if author.is_none() || author == owner {
                    continue;
                }
                reviews.push(ReviewRecord {
                    change: change.number,
                    id: message.id,
                    reviewer: author,
                    verdict: verdict(message.message.as_deref().unwrap_or_default()),
                    submitted_at: message.date,
                });
            }
            let state = match change.status.as_str() {
                "MERGED" => ChangeState::Merged,
                "ABANDONED" => ChangeState::Closed,
                _ => ChangeState::Open,
            };
            changes.push(ChangeRecord {
                number: change.number,
                url: self.change_url(project, change.number),
                title: change.subject,
                author: owner,
                state,
                created_at: change.created,
                updated_at: change.updated,
                merged_at: change.submitted,
                // Gerrit keeps no time of abandoning: its last update stands in.
                closed_at: match state {
                    ChangeState::Open => None,
                    ChangeState::Merged => change.submitted,
                    ChangeState::Closed => Some(change.updated),
                },
            });
        }
        Ok(ChangeList {
            listed,
            changes,
            reviews,
            started,
        })
    }

    /// Core Gerrit lists no branch history (that takes the gitiles plugin).
    pub fn repository_commits(&self) -> Listing<CommitList> {
        Listing::Unavailable(
            "Gerrit's REST API lists no commits: merged changes are counted instead".to_owned(),
        )
    }
}
