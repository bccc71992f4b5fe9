//! Phabricator for repository reports: the Differential revisions of the
//! Diffusion repository named like the tracked project, modified since the
//! watermark, with their reviews and closing from each one's transactions.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use futures_util::future::try_join_all;
use serde::Deserialize;
use serde_json::json;

use super::super::activity::{
    ChangeList, ChangeRecord, ChangeState, CommitList, Known, Listing, ReviewRecord, Verdict,
};
use super::{Item, Phabricator, Transaction, at};
use crate::error::Result;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Fields {
    title: String,
    uri: String,
    #[serde(rename = "authorPHID")]
    author_phid: String,
    status: super::StatusField,
    date_created: i64,
    date_modified: i64,
}

fn verdict(kind: &str) -> Option<Verdict> {
    match kind {
        "accept" => Some(Verdict::Approved),
        "reject" | "request-changes" => Some(Verdict::ChangesRequested),
        "comment" => Some(Verdict::Commented),
        _ => None,
    }
}

impl Phabricator {
    /// The revisions of the repository named `name` modified at or after
    /// `since` (all without it), with their reviews.
    pub async fn repository_changes(
        &self,
        name: &str,
        since: Option<DateTime<Utc>>,
        known: &Known,
    ) -> Result<Listing<ChangeList>> {
        let repositories = self.repositories().await?;
        let Some(phid) = repositories
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(phid, _)| phid.clone())
        else {
            return Ok(Listing::Unavailable(format!(
                "Phabricator has no Diffusion repository named `{name}` whose revisions to read"
            )));
        };
        let mut constraints = json!({ "repositoryPHIDs": [phid] });
        if let Some(since) = since {
            constraints["modifiedStart"] = json!(since.timestamp());
        }
        let (revisions, started): (Vec<Item<Fields>>, _) = self
            .search_timed(
                "differential.revision.search",
                json!({ "constraints": constraints }),
            )
            .await?;
        let listed = revisions.iter().map(|r| r.id).collect();
        let revisions: Vec<Item<Fields>> = revisions
            .into_iter()
            .filter(|r| known.changed(r.id, at(r.fields.date_modified)))
            .collect();
        let histories = try_join_all(revisions.iter().map(|r| async move {
            self.transactions::<Transaction>(&format!("D{}", r.id), None)
                .await
        }))
        .await?;
        let people: BTreeSet<String> = revisions
            .iter()
            .map(|r| r.fields.author_phid.clone())
            .chain(histories.iter().flatten().map(|t| t.author_phid.clone()))
            .collect();
        let names = self.usernames(&people).await?;
        let name_of = |phid: &str| names.get(phid).cloned();
        let mut changes = Vec::with_capacity(revisions.len());
        let mut reviews = Vec::new();
        for (revision, history) in revisions.into_iter().zip(histories) {
            let author = &revision.fields.author_phid;
            let mut closed = None;
            for tx in &history {
                let kind = tx.kind.as_deref().unwrap_or_default();
                if matches!(kind, "close" | "abandon") {
                    closed = closed.max(Some(at(tx.date_created)));
                }
                // The author's own comments answer reviews; they are not one.
                if let Some(verdict) = verdict(kind).filter(|_| tx.author_phid != *author) {
                    reviews.push(ReviewRecord {
                        change: revision.id,
                        id: tx.id.to_string(),
                        reviewer: name_of(&tx.author_phid),
                        verdict,
                        submitted_at: at(tx.date_created),
                    });
                }
            }
            let state = match revision.fields.status.value.as_str() {
                "published" => ChangeState::Merged,
                "abandoned" => ChangeState::Closed,
                _ => ChangeState::Open,
            };
            changes.push(ChangeRecord {
                number: revision.id,
                title: revision.fields.title,
                url: revision.fields.uri,
                author: name_of(author),
                state,
                created_at: at(revision.fields.date_created),
                updated_at: at(revision.fields.date_modified),
                merged_at: closed.filter(|_| state == ChangeState::Merged),
                closed_at: closed.filter(|_| state != ChangeState::Open),
            });
        }
        Ok(Listing::Read(ChangeList {
            listed,
            changes,
            reviews,
            started,
        }))
    }

    /// Diffusion's commits are not read yet: a report says so.
    pub fn repository_commits(&self) -> Listing<CommitList> {
        Listing::Unavailable(
            "Tally does not read Phabricator's Diffusion commits yet: commits are not counted"
                .to_owned(),
        )
    }
}
