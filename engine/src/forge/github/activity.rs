//! GitHub for repository reports: pull requests newest-updated first down
//! to the watermark, each one's reviews, and the default branch's commits
//! since the watermark.

use chrono::{DateTime, Utc};
use futures_util::future::try_join_all;
use serde::Deserialize;

use super::super::activity::{
    ChangeList, ChangeRecord, ChangeState, CommitList, CommitRecord, Known, ReviewRecord, Verdict,
};
use super::super::http::Call;
use super::super::paging::{linked_pages, newest_since};
use super::{GitHub, Login};
use crate::error::Result;

const PAGE: usize = 100;

#[derive(Deserialize)]
struct Pull {
    number: u64,
    title: String,
    html_url: String,
    state: String,
    user: Option<Login>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
    merged_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct Review {
    id: u64,
    user: Option<Login>,
    state: String,
    /// Absent on a review still pending (a draft only its author sees).
    submitted_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct Commit {
    sha: String,
    html_url: String,
    commit: CommitDetail,
    /// The account GitHub links the author's email to, if any.
    author: Option<Login>,
}

#[derive(Deserialize)]
struct CommitDetail {
    message: String,
    author: GitPerson,
}

#[derive(Deserialize)]
struct GitPerson {
    name: String,
    date: DateTime<Utc>,
}

fn verdict(state: &str) -> Option<Verdict> {
    match state {
        "APPROVED" => Some(Verdict::Approved),
        "CHANGES_REQUESTED" => Some(Verdict::ChangesRequested),
        "COMMENTED" | "DISMISSED" => Some(Verdict::Commented),
        _ => None,
    }
}

impl GitHub {
    /// The pull requests of `repository` updated at or after `since` (all
    /// without it); those not `known` as they are, with every review.
    pub async fn repository_changes(
        &self,
        repository: &str,
        since: Option<DateTime<Utc>>,
        known: &Known,
    ) -> Result<ChangeList> {
        let first = Call::get(format!("{}/repos/{repository}/pulls", self.api), "core")
            .query("state", "all")
            .query("sort", "updated")
            .query("direction", "desc")
            .query("per_page", PAGE);
        let (pulls, started) = newest_since(
            &self.http,
            first,
            since,
            |p: &Pull| p.updated_at,
            |_| self.missing(repository),
        )
        .await?;
        let listed = pulls.iter().map(|p| p.number).collect();
        let pulls: Vec<Pull> = pulls
            .into_iter()
            .filter(|p| known.changed(p.number, p.updated_at))
            .collect();
        let reviews = try_join_all(
            pulls
                .iter()
                .map(|p| self.pull_reviews(repository, p.number)),
        )
        .await?;
        let changes = pulls
            .into_iter()
            .map(|pull| {
                let state = match (pull.merged_at, pull.state.as_str()) {
                    (Some(_), _) => ChangeState::Merged,
                    (None, "open") => ChangeState::Open,
                    (None, _) => ChangeState::Closed,
                };
                ChangeRecord {
                    number: pull.number,
                    title: pull.title,
                    url: pull.html_url,
                    author: pull.user.map(|u| u.login),
                    state,
                    created_at: pull.created_at,
                    updated_at: pull.updated_at,
                    merged_at: pull.merged_at,
                    closed_at: pull.closed_at,
                }
            })
            .collect();
        Ok(ChangeList {
            listed,
            changes,
            reviews: reviews.into_iter().flatten().collect(),
            started,
        })
    }

    async fn pull_reviews(&self, repository: &str, number: u64) -> Result<Vec<ReviewRecord>> {
        let first = Call::get(
            format!("{}/repos/{repository}/pulls/{number}/reviews", self.api),
            "core",
        )
        .query("per_page", PAGE);
        let reviews: Vec<Review> = linked_pages(&self.http, first, |_| {
            format!("pull request {repository}#{number} on {}", self.instance)
        })
        .await?;
        Ok(reviews
            .into_iter()
            .filter_map(|r| {
                Some(ReviewRecord {
                    change: number,
                    id: r.id.to_string(),
                    reviewer: r.user.map(|u| u.login),
                    verdict: verdict(&r.state)?,
                    submitted_at: r.submitted_at?,
                })
            })
            .collect())
    }

    /// The default branch's commits committed at or after `since` (all
    /// without it), newest first.
    pub async fn repository_commits(
        &self,
        repository: &str,
        since: Option<DateTime<Utc>>,
    ) -> Result<CommitList> {
        let mut first = Call::get(format!("{}/repos/{repository}/commits", self.api), "core")
            .query("per_page", PAGE);
        if let Some(since) = since {
            first = first.query("since", since.to_rfc3339());
        }
        // The forge filters by `since` itself: every page is wanted.
        let (commits, started) = newest_since(
            &self.http,
            first,
            None,
            |c: &Commit| c.commit.author.date,
            |_| self.missing(repository),
        )
        .await?;
        let commits = commits
            .into_iter()
            .map(|c| CommitRecord {
                author: Some(c.author.map_or(c.commit.author.name, |a| a.login)),
                authored_at: c.commit.author.date,
                title: c
                    .commit
                    .message
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
                url: c.html_url,
                sha: c.sha,
            })
            .collect();
        Ok(CommitList { commits, started })
    }
}
