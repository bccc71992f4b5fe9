//! Bitbucket for repository reports: pull requests updated since the
//! watermark, each one's activity (its merge, approvals, requested changes
//! and comments), and commits newest first down to the watermark.

use chrono::{DateTime, Duration, FixedOffset, Utc};
use futures_util::future::try_join_all;
use serde::Deserialize;

use super::super::activity::{
    ChangeList, ChangeRecord, ChangeState, CommitList, CommitRecord, Known, ReviewRecord, Verdict,
};
use super::{Account, Activity, Bitbucket, Links};
use crate::error::{Error, Result};

#[derive(Deserialize)]
struct PullRequest {
    id: u64,
    title: String,
    state: String,
    author: Option<Account>,
    created_on: DateTime<Utc>,
    updated_on: DateTime<Utc>,
    links: Links,
}

#[derive(Deserialize)]
struct Commit {
    hash: String,
    date: DateTime<FixedOffset>,
    message: String,
    author: Signature,
    links: Links,
}

#[derive(Deserialize)]
struct Signature {
    /// `Name <email>` as git recorded it.
    raw: String,
    user: Option<Account>,
}

impl Signature {
    /// The linked account's nickname, else the name git recorded.
    fn shown(self) -> String {
        match self.user.and_then(|u| u.nickname) {
            Some(nickname) => nickname,
            None => self
                .raw
                .split_once(" <")
                .map_or(self.raw.as_str(), |(name, _)| name)
                .to_owned(),
        }
    }
}

/// A pull request's merge or close time, and its reviews, from its activity.
fn from_activity(
    number: u64,
    activity: Vec<Activity>,
) -> (Option<DateTime<Utc>>, Vec<ReviewRecord>) {
    let mut closed = None;
    let mut reviews = Vec::new();
    for entry in activity {
        let review = |id: String, user: Option<Account>, verdict, at| ReviewRecord {
            change: number,
            id,
            reviewer: user.and_then(|u| u.nickname),
            verdict,
            submitted_at: at,
        };
        match entry {
            Activity {
                update: Some(u), ..
            } if u.state != "OPEN" => {
                closed = closed.max(Some(u.date));
            }
            Activity {
                approval: Some(a), ..
            } => reviews.push(review(
                format!("approval-{number}-{}", a.date.timestamp_micros()),
                Some(a.user),
                Verdict::Approved,
                a.date,
            )),
            Activity {
                changes_requested: Some(a),
                ..
            } => reviews.push(review(
                format!("changes-{number}-{}", a.date.timestamp_micros()),
                Some(a.user),
                Verdict::ChangesRequested,
                a.date,
            )),
            Activity {
                comment: Some(c), ..
            } => reviews.push(review(
                format!("comment-{}", c.id),
                c.user,
                Verdict::Commented,
                c.created_on,
            )),
            _ => {}
        }
    }
    (closed, reviews)
}

impl Bitbucket {
    /// The pull requests of `repository` updated at or after `since` (all
    /// without it), with their reviews.
    pub async fn repository_changes(
        &self,
        repository: &str,
        since: Option<DateTime<Utc>>,
        known: &Known,
    ) -> Result<ChangeList> {
        let mut first = self
            .list(&format!("{repository}/pullrequests"), 50)
            .query("sort", "-updated_on");
        if let Some(since) = since {
            first = first.query("q", format!("updated_on >= {}", since.to_rfc3339()));
        }
        for state in ["OPEN", "MERGED", "DECLINED", "SUPERSEDED"] {
            first = first.query("state", state);
        }
        let (requests, started): (Vec<PullRequest>, _) = self
            .collect_timed(first, |_| true)
            .await
            .map_err(|e| self.not_found_as(e, repository))?;
        let listed = requests.iter().map(|r| r.id).collect();
        let requests: Vec<PullRequest> = requests
            .into_iter()
            .filter(|r| known.changed(r.id, r.updated_on))
            .collect();
        let activities = try_join_all(requests.iter().map(|r| {
            self.all::<Activity>(
                self.list(&format!("{repository}/pullrequests/{}/activity", r.id), 50),
            )
        }))
        .await?;
        let mut changes = Vec::with_capacity(requests.len());
        let mut reviews = Vec::new();
        for (request, activity) in requests.into_iter().zip(activities) {
            let (closed, found) = from_activity(request.id, activity);
            reviews.extend(found);
            let state = match request.state.as_str() {
                "OPEN" => ChangeState::Open,
                "MERGED" => ChangeState::Merged,
                _ => ChangeState::Closed,
            };
            changes.push(ChangeRecord {
                number: request.id,
                title: request.title,
                url: request.links.html.href,
                author: request.author.and_then(|a| a.nickname),
                state,
                created_at: request.created_on,
                updated_at: request.updated_on,
                merged_at: closed.filter(|_| state == ChangeState::Merged),
                closed_at: closed.filter(|_| state != ChangeState::Open),
            });
        }
        Ok(ChangeList {
            listed,
            changes,
            reviews,
            started,
        })
    }

    /// The default branch's commits newest first, down to a day before
    /// `since` (all without it): Bitbucket cannot filter them, and commit
    /// times trail author times.
    pub async fn repository_commits(
        &self,
        repository: &str,
        since: Option<DateTime<Utc>>,
    ) -> Result<CommitList> {
        let horizon = since.map(|s| s - Duration::days(1));
        let first = self.list(&format!("{repository}/commits"), 100);
        let (commits, started): (Vec<Commit>, _) = self
            .collect_timed(first, |page: &[Commit]| {
                horizon.is_none_or(|h| page.last().is_some_and(|c| c.date >= h))
            })
            .await
            .map_err(|e| self.not_found_as(e, repository))?;
        let commits = commits
            .into_iter()
            .map(|c| CommitRecord {
                sha: c.hash,
                author: Some(c.author.shown()),
                authored_at: c.date.with_timezone(&Utc),
                title: c.message.lines().next().unwrap_or_default().to_owned(),
                url: c.links.html.href,
            })
            .collect();
        Ok(CommitList { commits, started })
    }

    fn not_found_as(&self, error: Error, repository: &str) -> Error {
        match error {
            Error::NotFound { .. } => Error::NotFound {
                what: self.missing(repository),
            },
            other => other,
        }
    }
}
