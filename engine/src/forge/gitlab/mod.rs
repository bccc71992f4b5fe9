//! GitLab (gitlab.com or self-managed), API v4. A person's events name the
//! projects they were active in and carry reviews and comments; each
//! project's commit, merge request and issue lists give the rest.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use futures_util::future::try_join_all;
use model::contribution::{Contribution, ContributionKind, Status};
use model::forge::Forge;
use serde::Deserialize;

mod activity;
mod organisation;
mod tracker;

use super::http::{Auth, Call, Http, Limits};
use super::paging::linked_pages;
use super::{Days, Endpoint, instance_of};
use crate::error::{Error, Result};

/// How long after being authored a commit is taken to be pushed (and
/// committed) at most: a day's commits are looked for in the projects the
/// user pushed to up to this long after, since GitLab names a project only
/// in its push events. A commit pushed later still is found only when its
/// project has other events of the user in the range.
const PUSHED_WITHIN: Duration = Duration::days(7);

pub struct GitLab {
    /// `…/api/v4`.
    api: String,
    instance: String,
    http: Http,
}

#[derive(Debug, Deserialize)]
struct User {
    id: u64,
    username: String,
    name: String,
}

#[derive(Debug, Deserialize)]
struct Event {
    action_name: String,
    project_id: Option<u64>,
    target_type: Option<String>,
    target_iid: Option<u64>,
    target_id: Option<u64>,
    target_title: Option<String>,
    created_at: DateTime<Utc>,
    note: Option<Note>,
}

#[derive(Debug, Deserialize)]
struct Note {
    id: u64,
    noteable_type: Option<String>,
    noteable_iid: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct Project {
    id: u64,
    path_with_namespace: String,
    web_url: String,
}

impl GitLab {
    pub fn new(endpoint: &Endpoint, limits: &Limits) -> Result<Self> {
        // Bearer carries personal, project and group tokens as well as
        // OAuth tokens (PRIVATE-TOKEN would refuse the last).
        let auth = endpoint.token.clone().map_or(Auth::None, Auth::Bearer);
        let base = endpoint.api_url.trim_end_matches('/');
        let api = if base.ends_with("/api/v4") {
            base.to_owned()
        } else {
            format!("{base}/api/v4")
        };
        Ok(Self {
            instance: instance_of(base),
            http: Http::new(auth, limits)?.only_to(&api),
            api,
        })
    }

    pub fn http(&self) -> &Http {
        &self.http
    }

    fn contribution(&self, kind: ContributionKind, author: &str) -> Contribution {
        Contribution::new(Forge::GitLab, &self.instance, kind, author)
    }

    async fn user(&self, username: &str) -> Result<User> {
        let call = Call::get(format!("{}/users", self.api), "api").query("username", username);
        let users: Vec<User> = linked_pages(&self.http, call, ToOwned::to_owned).await?;
        users
            .into_iter()
            .find(|u| u.username.eq_ignore_ascii_case(username))
            .ok_or_else(|| Error::NotFound {
                what: format!("GitLab user `{username}` on {}", self.instance),
            })
    }

    async fn project(&self, id: u64) -> Result<Project> {
        let call = Call::get(format!("{}/projects/{id}", self.api), "api");
        let fetched = self
            .http
            .fetch(&call, |body| {
                serde_json::from_slice::<Project>(body).map_err(|e| e.to_string())
            })
            .await?;
        Ok(fetched.value)
    }

    /// Everything `username` contributed on the UTC days `from..=to`.
    pub async fn contributions(
        &self,
        username: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Contribution>> {
        let range = Days::new(from, to)?;
        let user = self.user(username).await?;
        // `after` and `before` are exclusive dates. The events name the
        // projects to look in; a commit's push event comes after it is
        // authored, so the pushes of the days after count too.
        let events: Vec<Event> = linked_pages(
            &self.http,
            Call::get(format!("{}/users/{}/events", self.api, user.id), "api")
                .query("after", from - Duration::days(1))
                .query("before", to + Duration::days(1) + PUSHED_WITHIN)
                .query("per_page", 100),
            |_| format!("events of GitLab user `{username}`"),
        )
        .await?;
        // Merge requests and issues of the range have events in it; a
        // project only pushed to afterwards can hold only commits.
        let in_range: BTreeSet<u64> = events
            .iter()
            .filter(|e| range.contains(e.created_at))
            .filter_map(|e| e.project_id)
            .collect();
        let project_ids: BTreeSet<u64> = events.iter().filter_map(|e| e.project_id).collect();
        let projects: BTreeMap<u64, Project> =
            try_join_all(project_ids.iter().map(|id| self.project(*id)))
                .await?
                .into_iter()
                .map(|p| (p.id, p))
                .collect();
        let mut found = self.event_contributions(&user, &events, &projects, range);
        let per_project = try_join_all(projects.values().map(|p| async {
            if in_range.contains(&p.id) {
                self.in_project(&user, p, range).await
            } else {
                self.commits(&user, p, range).await
            }
        }))
        .await?;
        found.extend(per_project.into_iter().flatten());
        Ok(found)
    }

    /// Reviews (approvals and review notes on merge requests) and issue
    /// comments, which only events carry.
    fn event_contributions(
        &self,
        user: &User,
        events: &[Event],
        projects: &BTreeMap<u64, Project>,
        range: Days,
    ) -> Vec<Contribution> {
        let mut found = Vec::new();
        for event in events.iter().filter(|e| range.contains(e.created_at)) {
            let Some(project) = event.project_id.and_then(|id| projects.get(&id)) else {
                continue;
            };
            let note_on = event.note.as_ref().and_then(|n| n.noteable_type.as_deref());
            let (kind, id, url) = match (
                event.action_name.as_str(),
                event.target_type.as_deref(),
                note_on,
            ) {
                ("approved", Some("MergeRequest"), _) => (
                    ContributionKind::Review,
                    format!(
                        "approval-{}-{}",
                        event.target_id.unwrap_or_default(),
                        event.created_at.timestamp()
                    ),
                    format!(
                        "{}/-/merge_requests/{}",
                        project.web_url,
                        event.target_iid.unwrap_or_default()
                    ),
                ),
                ("commented on", _, Some(on @ ("MergeRequest" | "Issue"))) => {
                    // A note on a merge request is a review; on an issue, a comment.
                    let (kind, path) = if on == "Issue" {
                        (ContributionKind::IssueComment, "issues")
                    } else {
                        (ContributionKind::Review, "merge_requests")
                    };
                    let note = event.note.as_ref().map_or(0, |n| n.id);
                    let iid = event
                        .note
                        .as_ref()
                        .and_then(|n| n.noteable_iid)
                        .unwrap_or_default();
                    (
                        kind,
                        format!("note-{note}"),
                        format!("{}/-/{path}/{iid}#note_{note}", project.web_url),
                    )
                }
                _ => continue,
            };
            found.push(Contribution {
                id,
                repository: project.path_with_namespace.clone(),
                title: event.target_title.clone().unwrap_or_default(),
                url,
                occurred_at: event.created_at,
                ..self.contribution(kind, &user.username)
            });
        }
        found
    }

    /// Commits, merge requests opened and merged, and issues opened in one project.
    async fn in_project(
        &self,
        user: &User,
        project: &Project,
        range: Days,
    ) -> Result<Vec<Contribution>> {
        let (commits, requests, issues) = tokio::try_join!(
            self.commits(user, project, range),
            self.merge_requests(user, project, range),
            self.opened_issues(user, project, range)
        )?;
        Ok(commits.into_iter().chain(requests).chain(issues).collect())
    }

    /// The project's commits by the user's name, authored within the range;
    /// the API filters on commit time, so a day before and
    /// [`PUSHED_WITHIN`] after are asked for.
    async fn commits(
        &self,
        user: &User,
        project: &Project,
        range: Days,
    ) -> Result<Vec<Contribution>> {
        #[derive(Deserialize)]
        struct Commit {
            id: String,
            title: String,
            author_name: String,
            authored_date: DateTime<FixedOffset>,
            web_url: String,
        }
        let commits: Vec<Commit> = self
            .project_list(project, "repository/commits", |call| {
                call.query("author", &user.name)
                    .query("since", (range.start() - Duration::days(1)).to_rfc3339())
                    .query("until", (range.end() + PUSHED_WITHIN).to_rfc3339())
            })
            .await?;
        Ok(commits
            .into_iter()
            .filter(|c| {
                c.author_name == user.name && range.contains(c.authored_date.with_timezone(&Utc))
            })
            .map(|c| Contribution {
                repository: project.path_with_namespace.clone(),
                title: c.title,
                url: c.web_url,
                occurred_at: c.authored_date.with_timezone(&Utc),
                utc_offset_minutes: Some(c.authored_date.offset().local_minus_utc() / 60),
                id: c.id,
                ..self.contribution(ContributionKind::Commit, &user.username)
            })
            .collect())
    }

    /// Every page of a list under `/projects/{id}/{path}`, its first call
    /// narrowed by `filters`.
    async fn project_list<T: serde::de::DeserializeOwned>(
        &self,
        project: &Project,
        path: &str,
        filters: impl FnOnce(Call) -> Call,
    ) -> Result<Vec<T>> {
        let first = Call::get(
            format!("{}/projects/{}/{path}", self.api, project.id),
            "api",
        );
        linked_pages(&self.http, filters(first).query("per_page", 100), |_| {
            format!("project {}", project.path_with_namespace)
        })
        .await
    }

    async fn merge_requests(
        &self,
        user: &User,
        project: &Project,
        range: Days,
    ) -> Result<Vec<Contribution>> {
        #[derive(Deserialize)]
        struct MergeRequest {
            iid: u64,
            title: String,
            state: String,
            created_at: DateTime<Utc>,
            merged_at: Option<DateTime<Utc>>,
            web_url: String,
        }
        // Anything opened or merged in the range was updated since it began.
        let requests: Vec<MergeRequest> = self
            .project_list(project, "merge_requests", |call| {
                call.query("author_username", &user.username)
                    .query("state", "all")
                    .query("updated_after", range.start().to_rfc3339())
            })
            .await?;
        let mut found = Vec::new();
        for request in requests {
            let status = match request.state.as_str() {
                "opened" | "locked" => Status::Open,
                "merged" => Status::Merged,
                _ => Status::Closed,
            };
            let base = Contribution {
                id: format!("{}!{}", project.path_with_namespace, request.iid),
                status: Some(status),
                repository: project.path_with_namespace.clone(),
                title: request.title.clone(),
                url: request.web_url.clone(),
                ..self.contribution(ContributionKind::PullRequestOpened, &user.username)
            };
            if range.contains(request.created_at) {
                found.push(Contribution {
                    occurred_at: request.created_at,
                    ..base.clone()
                });
            }
            if let Some(merged_at) = request.merged_at.filter(|at| range.contains(*at)) {
                found.push(Contribution {
                    kind: ContributionKind::PullRequestMerged,
                    status: Some(Status::Merged),
                    occurred_at: merged_at,
                    ..base
                });
            }
        }
        Ok(found)
    }

    async fn opened_issues(
        &self,
        user: &User,
        project: &Project,
        range: Days,
    ) -> Result<Vec<Contribution>> {
        #[derive(Deserialize)]
        struct Issue {
            iid: u64,
            title: String,
            state: String,
            created_at: DateTime<Utc>,
            web_url: String,
        }
        let issues: Vec<Issue> = self
            .project_list(project, "issues", |call| {
                call.query("author_username", &user.username)
                    .query("state", "all")
                    .query("created_after", range.start().to_rfc3339())
                    .query("created_before", range.end().to_rfc3339())
            })
            .await?;
        Ok(issues
            .into_iter()
            .filter(|i| range.contains(i.created_at))
            .map(|i| Contribution {
                id: format!("{}#{}", project.path_with_namespace, i.iid),
                status: Some(if i.state == "closed" {
                    Status::Closed
                } else {
                    Status::Open
                }),
                repository: project.path_with_namespace.clone(),
                title: i.title,
                url: i.web_url,
                occurred_at: i.created_at,
                ..self.contribution(ContributionKind::IssueOpened, &user.username)
            })
            .collect())
    }
}
