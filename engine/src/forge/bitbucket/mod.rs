//! Bitbucket Cloud 2.0. It cannot be asked what a person did, so the client
//! looks through the repositories of the person's own workspace and of the
//! workspaces in the endpoint's scope: commits (newest first, until the
//! range is passed), pull requests with their activity, issues and comments.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use futures_util::future::try_join_all;
use model::contribution::{Contribution, ContributionKind, Status};
use model::forge::Forge;
use serde::Deserialize;
use serde::de::DeserializeOwned;

mod activity;
mod organisation;
mod tracker;

use super::http::{Auth, Call, Http, Limits};
use super::{Days, Endpoint, instance_of};
use crate::error::{Error, Result};

pub struct Bitbucket {
    /// `…/2.0`.
    api: String,
    scope: Vec<String>,
    instance: String,
    http: Http,
}

#[derive(Debug, Deserialize)]
struct Envelope<T> {
    values: Vec<T>,
    next: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct Account {
    uuid: String,
    nickname: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Repository {
    full_name: String,
}

#[derive(Debug, Deserialize)]
struct Link {
    href: String,
}

#[derive(Debug, Deserialize)]
struct Links {
    html: Link,
}

#[derive(Debug, Deserialize)]
struct PullRequest {
    id: u64,
    title: String,
    state: String,
    author: Option<Account>,
    created_on: DateTime<Utc>,
    links: Links,
}

/// One entry of a pull request's activity: which one it is shows by its key.
#[derive(Debug, Deserialize)]
struct Activity {
    update: Option<Update>,
    approval: Option<Action>,
    changes_requested: Option<Action>,
    comment: Option<Comment>,
}

#[derive(Debug, Deserialize)]
struct Update {
    state: String,
    date: DateTime<Utc>,
}

#[derive(Debug, Deserialize)]
struct Action {
    date: DateTime<Utc>,
    user: Account,
}

#[derive(Debug, Deserialize)]
struct Comment {
    id: u64,
    created_on: DateTime<Utc>,
    user: Option<Account>,
}

impl Bitbucket {
    /// A token `email:api-token` is sent as HTTP Basic; anything else is an
    /// access token sent as `Bearer`.
    pub fn new(endpoint: &Endpoint, limits: &Limits) -> Result<Self> {
        let auth = match endpoint.token.as_deref() {
            None => Auth::None,
            Some(token) => match token.split_once(':') {
                Some((user, password)) => Auth::Basic(user.to_owned(), password.to_owned()),
                None => Auth::Bearer(token.to_owned()),
            },
        };
        let base = endpoint.api_url.trim_end_matches('/');
        let api = if base.ends_with("/2.0") {
            base.to_owned()
        } else {
            format!("{base}/2.0")
        };
        Ok(Self {
            instance: instance_of(base),
            scope: endpoint.scope.clone(),
            http: Http::new(auth, limits)?.only_to(&api),
            api,
        })
    }

    pub fn http(&self) -> &Http {
        &self.http
    }

    async fn get<T: DeserializeOwned>(&self, url: &str) -> Result<T> {
        let call = Call::get(url, "api");
        Ok(self
            .http
            .fetch(&call, |body| {
                serde_json::from_slice::<T>(body).map_err(|e| e.to_string())
            })
            .await?
            .value)
    }

    /// Pages of a collection from `first`, while `keep_going` says the last
    /// page's items are still of interest.
    async fn collect<T: DeserializeOwned>(
        &self,
        first: Call,
        keep_going: impl Fn(&[T]) -> bool,
    ) -> Result<Vec<T>> {
        Ok(self.collect_timed(first, keep_going).await?.0)
    }

    /// [`Self::collect`], with the forge's clock at the first answer.
    async fn collect_timed<T: DeserializeOwned>(
        &self,
        first: Call,
        keep_going: impl Fn(&[T]) -> bool,
    ) -> Result<(Vec<T>, Option<DateTime<Utc>>)> {
        let mut items = Vec::new();
        let mut started = None;
        let mut call = first;
        for _ in 0..super::paging::MOST_PAGES {
            let fetched = self
                .http
                .fetch(&call, |body| {
                    serde_json::from_slice::<Envelope<T>>(body).map_err(|e| e.to_string())
                })
                .await?;
            started = started.or_else(|| super::forge_clock(&fetched.headers));
            let page = fetched.value;
            let more = keep_going(&page.values);
            items.extend(page.values);
            match page.next {
                Some(next) if more => call = Call::get(next, "api"),
                _ => return Ok((items, started)),
            }
        }
        Err(super::paging::too_many_pages(&call.url))
    }

    /// The first page of a list under `/repositories/{path}`, `pagelen` at a time.
    fn list(&self, path: &str, pagelen: u32) -> Call {
        Call::get(format!("{}/repositories/{path}", self.api), "api").query("pagelen", pagelen)
    }

    async fn all<T: DeserializeOwned>(&self, first: Call) -> Result<Vec<T>> {
        self.collect(first, |_| true).await
    }

    /// The account for a nickname (through its personal workspace), a
    /// `{uuid}` or an Atlassian account id.
    async fn account(&self, who: &str) -> Result<Account> {
        let not_found = || Error::NotFound {
            what: format!("Bitbucket user `{who}` on {}", self.instance),
        };
        let selected = if who.starts_with('{') || who.contains(':') || who.len() == 24 {
            who.to_owned()
        } else {
            #[derive(Deserialize)]
            struct Workspace {
                uuid: String,
            }
            let workspace: Workspace = self
                .get(&format!("{}/workspaces/{who}", self.api))
                .await
                .map_err(|e| match e {
                    Error::NotFound { .. } => not_found(),
                    other => other,
                })?;
            workspace.uuid
        };
        let encoded = selected.replace('{', "%7B").replace('}', "%7D");
        self.get(&format!("{}/users/{encoded}", self.api))
            .await
            .map_err(|e| match e {
                Error::NotFound { .. } => not_found(),
                other => other,
            })
    }

    fn contribution(&self, kind: ContributionKind, author: &str, repository: &str) -> Contribution {
        Contribution {
            repository: repository.to_owned(),
            ..Contribution::new(Forge::Bitbucket, &self.instance, kind, author)
        }
    }

    /// What `who` contributed on the UTC days `from..=to` in their own
    /// workspace and the scope's.
    pub async fn contributions(
        &self,
        who: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Contribution>> {
        let range = Days::new(from, to)?;
        let me = self.account(who).await?;
        let name = me.nickname.clone().unwrap_or_else(|| who.to_owned());
        let mut workspaces: Vec<String> = vec![name.clone()];
        workspaces.extend(self.scope.iter().filter(|w| **w != name).cloned());
        let repo_lists = try_join_all(
            workspaces
                .iter()
                .map(|w| self.all::<Repository>(self.list(w, 100))),
        )
        .await?;
        let repos: Vec<String> = repo_lists
            .into_iter()
            .flatten()
            .map(|r| r.full_name)
            .collect();
        let found = try_join_all(
            repos
                .iter()
                .map(|repo| self.in_repository(&me, &name, repo, range)),
        )
        .await?;
        Ok(found.into_iter().flatten().collect())
    }

    async fn in_repository(
        &self,
        me: &Account,
        name: &str,
        repo: &str,
        range: Days,
    ) -> Result<Vec<Contribution>> {
        let (commits, requests, issues) = tokio::try_join!(
            self.commits(me, name, repo, range),
            self.pull_requests(me, name, repo, range),
            self.issue_activity(me, name, repo, range)
        )?;
        Ok(commits.into_iter().chain(requests).chain(issues).collect())
    }

    /// Commits come newest first and cannot be filtered: read until a page
    /// ends more than a day before the range (commit times trail author times).
    async fn commits(
        &self,
        me: &Account,
        name: &str,
        repo: &str,
        range: Days,
    ) -> Result<Vec<Contribution>> {
        #[derive(Deserialize)]
        struct Commit {
            hash: String,
            date: DateTime<FixedOffset>,
            message: String,
            author: Author,
            links: Links,
        }
        #[derive(Deserialize)]
        struct Author {
            user: Option<Account>,
        }
        let horizon = range.start() - Duration::days(1);
        let first = self.list(&format!("{repo}/commits"), 100);
        let commits: Vec<Commit> = self
            .collect(first, |page: &[Commit]| {
                page.last().is_some_and(|c| c.date >= horizon)
            })
            .await?;
        Ok(commits
            .into_iter()
            .filter(|c| c.author.user.as_ref().is_some_and(|u| u.uuid == me.uuid))
            .filter(|c| range.contains(c.date.with_timezone(&Utc)))
            .map(|c| Contribution {
                id: c.hash,
                title: c.message.lines().next().unwrap_or_default().to_owned(),
                url: c.links.html.href,
                occurred_at: c.date.with_timezone(&Utc),
                utc_offset_minutes: Some(c.date.offset().local_minus_utc() / 60),
                ..self.contribution(ContributionKind::Commit, name, repo)
            })
            .collect())
    }

    /// Pull requests updated since the range began: the person's own
    /// (opened, merged) and everyone's (for the person's reviews).
    async fn pull_requests(
        &self,
        me: &Account,
        name: &str,
        repo: &str,
        range: Days,
    ) -> Result<Vec<Contribution>> {
        let mut first = self
            .list(&format!("{repo}/pullrequests"), 50)
            .query("q", format!("updated_on >= {}", range.start().to_rfc3339()));
        for state in ["OPEN", "MERGED", "DECLINED", "SUPERSEDED"] {
            first = first.query("state", state);
        }
        let requests: Vec<PullRequest> = self.all(first).await?;
        let lists = try_join_all(
            requests
                .iter()
                .map(|r| self.pull_request(me, name, repo, r, range)),
        )
        .await?;
        Ok(lists.into_iter().flatten().collect())
    }

    async fn pull_request(
        &self,
        me: &Account,
        name: &str,
        repo: &str,
        request: &PullRequest,
        range: Days,
    ) -> Result<Vec<Contribution>> {
        let mine = request.author.as_ref().is_some_and(|a| a.uuid == me.uuid);
        let status = match request.state.as_str() {
            "OPEN" => Status::Open,
            "MERGED" => Status::Merged,
            _ => Status::Closed,
        };
        let base = Contribution {
            id: format!("{repo}#{}", request.id),
            status: Some(status),
            title: request.title.clone(),
            url: request.links.html.href.clone(),
            ..self.contribution(ContributionKind::PullRequestOpened, name, repo)
        };
        let mut found = Vec::new();
        if mine && range.contains(request.created_on) {
            found.push(Contribution {
                occurred_at: request.created_on,
                ..base.clone()
            });
        }
        let activity: Vec<Activity> = self
            .all(self.list(&format!("{repo}/pullrequests/{}/activity", request.id), 50))
            .await?;
        for entry in activity {
            let by_me = |user: &Account| user.uuid == me.uuid;
            let (kind, id, at) = match entry {
                Activity {
                    update: Some(u), ..
                } if mine && u.state == "MERGED" => {
                    (ContributionKind::PullRequestMerged, base.id.clone(), u.date)
                }
                Activity {
                    approval: Some(a), ..
                } if by_me(&a.user) => (
                    ContributionKind::Review,
                    format!("{}-approval-{}", base.id, a.date.timestamp()),
                    a.date,
                ),
                Activity {
                    changes_requested: Some(a),
                    ..
                } if by_me(&a.user) => (
                    ContributionKind::Review,
                    format!("{}-changes-{}", base.id, a.date.timestamp()),
                    a.date,
                ),
                Activity {
                    comment: Some(c), ..
                } if c.user.as_ref().is_some_and(by_me) => (
                    ContributionKind::Review,
                    format!("comment-{}", c.id),
                    c.created_on,
                ),
                _ => continue,
            };
            if range.contains(at) {
                let status = if kind == ContributionKind::PullRequestMerged {
                    Some(Status::Merged)
                } else {
                    None
                };
                found.push(Contribution {
                    kind,
                    id,
                    status,
                    occurred_at: at,
                    ..base.clone()
                });
            }
        }
        Ok(found)
    }

    /// Issues the person opened in the range, and their comments on issues
    /// updated since it began.
    async fn issue_activity(
        &self,
        me: &Account,
        name: &str,
        repo: &str,
        range: Days,
    ) -> Result<Vec<Contribution>> {
        #[derive(Deserialize)]
        struct Issue {
            id: u64,
            title: String,
            state: String,
            reporter: Option<Account>,
            created_on: DateTime<Utc>,
            links: Links,
        }
        let first = self
            .list(&format!("{repo}/issues"), 100)
            .query("q", format!("updated_on >= {}", range.start().to_rfc3339()));
        let issues: Vec<Issue> = match self.all(first).await {
            Ok(issues) => issues,
            // A repository without an issue tracker has no issues to count.
            Err(Error::NotFound { .. }) => return Ok(Vec::new()),
            Err(other) => return Err(other),
        };
        let mut found = Vec::new();
        for issue in issues
            .iter()
            .filter(|i| i.reporter.as_ref().is_some_and(|r| r.uuid == me.uuid))
        {
            if range.contains(issue.created_on) {
                let open = matches!(issue.state.as_str(), "new" | "open" | "on hold");
                found.push(Contribution {
                    id: format!("{repo}#{}", issue.id),
                    status: Some(if open { Status::Open } else { Status::Closed }),
                    title: issue.title.clone(),
                    url: issue.links.html.href.clone(),
                    occurred_at: issue.created_on,
                    ..self.contribution(ContributionKind::IssueOpened, name, repo)
                });
            }
        }
        let comments = try_join_all(issues.iter().map(|issue| async move {
            let all: Vec<IssueComment> = self
                .all(self.list(&format!("{repo}/issues/{}/comments", issue.id), 100))
                .await?;
            Ok::<_, Error>((issue, all))
        }))
        .await?;
        for (issue, list) in comments {
            for comment in list {
                if comment.user.as_ref().is_some_and(|u| u.uuid == me.uuid)
                    && range.contains(comment.created_on)
                {
                    found.push(Contribution {
                        id: comment.id.to_string(),
                        title: issue.title.clone(),
                        url: comment.links.html.href,
                        occurred_at: comment.created_on,
                        ..self.contribution(ContributionKind::IssueComment, name, repo)
                    });
                }
            }
        }
        Ok(found)
    }
}

#[derive(Debug, Deserialize)]
struct IssueComment {
    id: u64,
    user: Option<Account>,
    created_on: DateTime<Utc>,
    links: Links,
}
