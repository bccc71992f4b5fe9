//! GitHub REST v3 as api.github.com serves it: the same paths, paging, rate
//! limit headers, conditional requests and error bodies.

mod graphql;
mod reply;
mod search;
pub mod shapes;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::server::SimState;
use crate::server::budget::Principal;
use crate::server::paging::PageRequest;
use crate::server::params;
use crate::world::{Account, ChangeRequest, Forge, Issue, Owner, Repo, Status, World};
use reply::{Answer, Caller, GitHubError, Resource, reply};

type Shared = State<Arc<SimState>>;
type Params = Query<BTreeMap<String, String>>;

/// GitHub's routes; unknown paths get GitHub's 404.
pub fn router() -> Router<Arc<SimState>> {
    Router::new()
        .route("/rate_limit", get(rate_limit))
        .route("/graphql", axum::routing::post(graphql::graphql))
        .route("/search/issues", get(search_issues))
        .route("/search/commits", get(search_commits))
        .route("/user", get(authenticated_user))
        .route("/user/repos", get(own_repos))
        .route("/users/{user}", get(user))
        .route("/users/{user}/repos", get(user_repos))
        .route("/users/{user}/followers", get(followers))
        .route("/users/{user}/following", get(following))
        .route("/users/{user}/starred", get(starred))
        .route("/orgs/{org}", get(org))
        .route("/orgs/{org}/repos", get(org_repos))
        .route("/repos/{owner}/{repo}", get(repo))
        .route("/repos/{owner}/{repo}/commits", get(commits))
        .route("/repos/{owner}/{repo}/issues", get(issues))
        .route("/repos/{owner}/{repo}/issues/comments", get(repo_comments))
        .route(
            "/repos/{owner}/{repo}/issues/{number}/comments",
            get(issue_comments),
        )
        .route("/repos/{owner}/{repo}/pulls", get(pulls))
        .route("/repos/{owner}/{repo}/pulls/{number}/reviews", get(reviews))
        .route("/repos/{owner}/{repo}/stargazers", get(stargazers))
        .route("/repos/{owner}/{repo}/languages", get(languages))
        .route("/repos/{owner}/{repo}/topics", get(topics))
        .fallback(not_found)
}

async fn not_found(State(state): Shared, caller: Caller) -> Response {
    reply(&state, &caller, Resource::Core, Err(GitHubError::NotFound))
}

async fn search_issues(State(state): Shared, caller: Caller, Query(query): Params) -> Response {
    reply(
        &state,
        &caller,
        Resource::Search,
        search::search_issues(&state, &query),
    )
}

async fn search_commits(State(state): Shared, caller: Caller, Query(query): Params) -> Response {
    reply(
        &state,
        &caller,
        Resource::Search,
        search::search_commits(&state, &query),
    )
}

async fn rate_limit(State(state): Shared, caller: Caller) -> Response {
    reply::rate_limit(&state, &caller)
}

/// `GET /user`: the account the token acts for (an OAuth token's owner, or
/// for a made-up `sim_…` token the first live account).
async fn authenticated_user(State(state): Shared, caller: Caller) -> Response {
    let outcome = viewer(&state, &caller)
        .map(|account| Answer::single(shapes::public_user(&state.base_url, &state.world, account)));
    reply(&state, &caller, Resource::Core, outcome)
}

async fn user(State(state): Shared, caller: Caller, Path(login): Path<String>) -> Response {
    let world = &state.world;
    let body = match (find_user(world, &login), find_org(world, &login)) {
        (Ok(account), _) => Ok(shapes::public_user(&state.base_url, world, account)),
        (Err(_), Some(org)) => Ok(shapes::organization(&state.base_url, world, org)),
        (Err(error), None) => Err(error),
    };
    reply(&state, &caller, Resource::Core, body.map(Answer::single))
}

async fn user_repos(
    State(state): Shared,
    caller: Caller,
    Path(login): Path<String>,
    Query(query): Params,
) -> Response {
    // An organisation's repositories answer here too, as on GitHub.
    let owner = match find_user(&state.world, &login) {
        Ok(account) => Ok(Owner::Account(account.id)),
        Err(error) => find_org(&state.world, &login)
            .map(|org| Owner::Org(org.id))
            .ok_or(error),
    };
    let outcome = owner.map(|owner| {
        repo_list(
            &state,
            &caller,
            &format!("/users/{login}/repos"),
            &query,
            owner,
        )
    });
    reply(&state, &caller, Resource::Core, outcome)
}

async fn followers(
    State(state): Shared,
    caller: Caller,
    Path(login): Path<String>,
    Query(query): Params,
) -> Response {
    social(&state, &caller, &login, &query, "followers", |a| {
        &a.followers
    })
}

async fn following(
    State(state): Shared,
    caller: Caller,
    Path(login): Path<String>,
    Query(query): Params,
) -> Response {
    social(&state, &caller, &login, &query, "following", |a| {
        &a.following
    })
}

fn social(
    state: &SimState,
    caller: &Caller,
    login: &str,
    query: &BTreeMap<String, String>,
    which: &str,
    pick: impl Fn(&Account) -> &Vec<u32>,
) -> Response {
    let world = &state.world;
    let outcome = user_or_org(world, login).map(|account| {
        // An organisation follows no one; its followers are its own.
        let ids = match (account, find_org(world, login)) {
            (Some(account), _) => pick(account).as_slice(),
            (None, Some(org)) if which == "followers" => org.followers.as_slice(),
            (None, _) => &[],
        };
        let people: Vec<&Account> = ids
            .iter()
            .map(|id| world.account(*id))
            .filter(|a| !a.deleted)
            .collect();
        list(
            state,
            &format!("/users/{login}/{which}"),
            query,
            &people,
            |a| shapes::account_user(&state.base_url, a),
        )
    });
    reply(state, caller, Resource::Core, outcome)
}

async fn org(State(state): Shared, caller: Caller, Path(login): Path<String>) -> Response {
    let outcome = find_org(&state.world, &login)
        .map(|org| {
            Answer::modified(
                shapes::organization(&state.base_url, &state.world, org),
                org.created_at,
            )
        })
        .ok_or(GitHubError::NotFound);
    reply(&state, &caller, Resource::Core, outcome)
}

async fn org_repos(
    State(state): Shared,
    caller: Caller,
    Path(login): Path<String>,
    Query(query): Params,
) -> Response {
    let outcome = find_org(&state.world, &login)
        .ok_or(GitHubError::NotFound)
        .map(|org| {
            repo_list(
                &state,
                &caller,
                &format!("/orgs/{login}/repos"),
                &query,
                Owner::Org(org.id),
            )
        });
    reply(&state, &caller, Resource::Core, outcome)
}

async fn repo(
    State(state): Shared,
    caller: Caller,
    Path((owner, name)): Path<(String, String)>,
) -> Response {
    let outcome = find_repo(&state, &caller, &owner, &name, "").map(|repo| {
        let body = repository(&state, repo);
        Answer::modified(body, shapes::pushed_at(&state.world, repo))
    });
    reply(&state, &caller, Resource::Core, outcome)
}

async fn commits(
    State(state): Shared,
    caller: Caller,
    Path((owner, name)): Path<(String, String)>,
    Query(query): Params,
) -> Response {
    let outcome = find_repo(&state, &caller, &owner, &name, "/commits").and_then(|repo| {
        let world = &state.world;
        let since = time_param(&query, "since")?;
        // Nothing is committed after the clock's instant yet.
        let at = state.as_of();
        let until = Some(time_param(&query, "until")?.map_or(at, |u| u.min(at)));
        // GitHub's `author` is a login or an email.
        let author = query.get("author");
        let found = world.commits_matching(repo.id, since, until, |account| {
            author.is_none_or(|wanted| {
                account.username.eq_ignore_ascii_case(wanted)
                    || account.email.eq_ignore_ascii_case(wanted)
            })
        });
        let path = format!("/repos/{owner}/{name}/commits");
        Ok(list(&state, &path, &query, &found, |c| {
            shapes::commit(&state.base_url, world, c)
        }))
    });
    reply(&state, &caller, Resource::Core, outcome)
}

/// An issue (as it stood at the clock's instant) or a pull request, as the
/// issues endpoint mixes them.
enum IssueLike<'a> {
    Issue(Cow<'a, Issue>),
    Pull(&'a ChangeRequest),
}

impl IssueLike<'_> {
    fn created_at(&self) -> DateTime<Utc> {
        match self {
            Self::Issue(i) => i.created_at,
            Self::Pull(p) => p.created_at,
        }
    }

    fn updated_at(&self) -> DateTime<Utc> {
        match self {
            Self::Issue(i) => i.updated_at,
            Self::Pull(p) => p.updated_at,
        }
    }

    fn is_open(&self) -> bool {
        match self {
            Self::Issue(i) => i.closed_at.is_none(),
            Self::Pull(p) => p.status == Status::Open,
        }
    }

    fn comments(&self) -> usize {
        match self {
            Self::Issue(i) => i.comments.len(),
            Self::Pull(_) => 0,
        }
    }

    fn has_labels(&self, wanted: &[&str]) -> bool {
        match self {
            Self::Issue(i) => wanted
                .iter()
                .all(|w| i.labels.iter().any(|l| l.eq_ignore_ascii_case(w))),
            Self::Pull(_) => wanted.is_empty(),
        }
    }

    fn number(&self) -> u32 {
        match self {
            Self::Issue(i) => i.number,
            Self::Pull(p) => p.number,
        }
    }
}

async fn issues(
    State(state): Shared,
    caller: Caller,
    Path((owner, name)): Path<(String, String)>,
    Query(query): Params,
) -> Response {
    let outcome = find_repo(&state, &caller, &owner, &name, "/issues").and_then(|repo| {
        let world = &state.world;
        let since = time_param(&query, "since")?;
        let state_filter = state_param(&query)?;
        let labels: Vec<&str> = query
            .get("labels")
            .map(|l| l.split(',').filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        let mut found: Vec<IssueLike> = world
            .issues_as_of(repo.id, state.as_of())
            .map(IssueLike::Issue)
            .chain(world.changes_in(repo.id).map(IssueLike::Pull))
            .filter(|i| state_filter.accepts(i.is_open()))
            .filter(|i| since.is_none_or(|t| i.updated_at() >= t))
            .filter(|i| i.has_labels(&labels))
            .collect();
        sort_issue_likes(&mut found, &query)?;
        let path = format!("/repos/{owner}/{name}/issues");
        Ok(list(&state, &path, &query, &found, |item| match item {
            IssueLike::Issue(i) => shapes::issue(&state.base_url, world, i),
            IssueLike::Pull(p) => shapes::pull_as_issue(&state.base_url, world, p),
        }))
    });
    reply(&state, &caller, Resource::Core, outcome)
}

fn sort_issue_likes(
    items: &mut [IssueLike],
    query: &BTreeMap<String, String>,
) -> Result<(), GitHubError> {
    let ascending = match query.get("direction").map(String::as_str) {
        None | Some("desc") => false,
        Some("asc") => true,
        Some(_) => return Err(GitHubError::invalid("direction")),
    };
    match query.get("sort").map(String::as_str) {
        None | Some("created") => items.sort_by_key(|i| (i.created_at(), i.number())),
        Some("updated") => items.sort_by_key(|i| (i.updated_at(), i.number())),
        Some("comments") => items.sort_by_key(|i| (i.comments(), i.number())),
        Some(_) => return Err(GitHubError::invalid("sort")),
    }
    if !ascending {
        items.reverse();
    }
    Ok(())
}

async fn issue_comments(
    State(state): Shared,
    caller: Caller,
    Path((owner, name, number)): Path<(String, String, u32)>,
    Query(query): Params,
) -> Response {
    let outcome = find_repo(&state, &caller, &owner, &name, "").and_then(|repo| {
        let world = &state.world;
        let since = time_param(&query, "since")?;
        let issue = world
            .issues_as_of(repo.id, state.as_of())
            .find(|i| i.number == number);
        let is_pull = world.changes_in(repo.id).any(|c| c.number == number);
        let comments: Vec<_> = match &issue {
            Some(issue) => issue
                .comments
                .iter()
                .filter(|c| since.is_none_or(|t| c.created_at >= t))
                .map(|c| (issue.as_ref(), c))
                .collect(),
            None if is_pull => Vec::new(),
            None => return Err(GitHubError::NotFound),
        };
        let path = format!("/repos/{owner}/{name}/issues/{number}/comments");
        Ok(comment_list(&state, &path, &query, &comments))
    });
    reply(&state, &caller, Resource::Core, outcome)
}

/// `GET /repos/{owner}/{repo}/issues/comments`: every issue comment of the
/// repository, by id (or with `sort=created|updated`, by time, `direction`
/// asc by default), those updated at or after `since` when given.
async fn repo_comments(
    State(state): Shared,
    caller: Caller,
    Path((owner, name)): Path<(String, String)>,
    Query(query): Params,
) -> Response {
    let outcome = find_repo(&state, &caller, &owner, &name, "/issues/comments").and_then(|repo| {
        let world = &state.world;
        let since = time_param(&query, "since")?;
        let issues: Vec<Cow<Issue>> = world.issues_as_of(repo.id, state.as_of()).collect();
        let mut comments: Vec<(&Issue, &crate::world::Comment)> = issues
            .iter()
            .flat_map(|issue| issue.comments.iter().map(move |c| (issue.as_ref(), c)))
            .filter(|(_, c)| since.is_none_or(|t| c.created_at >= t))
            .collect();
        match query.get("sort").map(String::as_str) {
            None => comments.sort_by_key(|(_, c)| c.id),
            Some("created" | "updated") => comments.sort_by_key(|(_, c)| (c.created_at, c.id)),
            Some(_) => return Err(GitHubError::invalid("sort")),
        }
        if query.contains_key("sort") && query.get("direction").is_some_and(|d| d == "desc") {
            comments.reverse();
        }
        let path = format!("/repos/{owner}/{name}/issues/comments");
        Ok(comment_list(&state, &path, &query, &comments))
    });
    reply(&state, &caller, Resource::Core, outcome)
}

async fn pulls(
    State(state): Shared,
    caller: Caller,
    Path((owner, name)): Path<(String, String)>,
    Query(query): Params,
) -> Response {
    let outcome = find_repo(&state, &caller, &owner, &name, "/pulls").and_then(|repo| {
        let world = &state.world;
        let state_filter = state_param(&query)?;
        let mut found: Vec<Cow<ChangeRequest>> = world
            .changes_as_of(repo.id, state.as_of())
            .filter(|c| state_filter.accepts(c.status == Status::Open))
            .collect();
        let ascending = query.get("direction").is_some_and(|d| d == "asc");
        match query.get("sort").map(String::as_str) {
            None | Some("created") => found.sort_by_key(|c| (c.created_at, c.number)),
            Some("updated") => found.sort_by_key(|c| (c.updated_at, c.number)),
            Some(_) => return Err(GitHubError::invalid("sort")),
        }
        if !ascending {
            found.reverse();
        }
        let path = format!("/repos/{owner}/{name}/pulls");
        Ok(list(&state, &path, &query, &found, |c| {
            shapes::pull(&state.base_url, world, c)
        }))
    });
    reply(&state, &caller, Resource::Core, outcome)
}

async fn reviews(
    State(state): Shared,
    caller: Caller,
    Path((owner, name, number)): Path<(String, String, u32)>,
    Query(query): Params,
) -> Response {
    let outcome = find_repo(&state, &caller, &owner, &name, "").and_then(|repo| {
        let world = &state.world;
        let change = world
            .changes_as_of(repo.id, state.as_of())
            .find(|c| c.number == number)
            .ok_or(GitHubError::NotFound)?;
        let mut found: Vec<_> = change.reviews.iter().collect();
        found.sort_by_key(|r| (r.submitted_at, r.id));
        let path = format!("/repos/{owner}/{name}/pulls/{number}/reviews");
        Ok(list(&state, &path, &query, &found, |r| {
            shapes::review(&state.base_url, world, &change, r)
        }))
    });
    reply(&state, &caller, Resource::Core, outcome)
}

/// `GET /users/{user}/starred`: the public repositories `user` starred,
/// most recently starred first; with the `star+json` media type each comes
/// as `{starred_at, repo}`.
async fn starred(
    State(state): Shared,
    caller: Caller,
    Path(login): Path<String>,
    Query(query): Params,
) -> Response {
    let outcome = user_or_org(&state.world, &login).map(|account| {
        let world = &state.world;
        let with_dates = caller.accepts("application/vnd.github.star+json");
        let starred = account.map_or(&[][..], |a| state.stars_of(a.id));
        let mut stars: Vec<(&Repo, DateTime<Utc>)> = starred
            .iter()
            .map(|(repo, at)| (world.repo(*repo), *at))
            .filter(|(r, _)| {
                r.forge == Forge::GitHub && !r.deleted && state.can_read(caller.principal(), r)
            })
            .collect();
        stars.sort_by_key(|(r, at)| (std::cmp::Reverse(*at), r.id));
        let path = format!("/users/{login}/starred");
        list(&state, &path, &query, &stars, |(repo, at)| {
            let repo = listed_repository(&state, repo);
            if with_dates {
                json!({ "starred_at": shapes::time(*at), "repo": repo })
            } else {
                repo
            }
        })
    });
    reply(&state, &caller, Resource::Core, outcome)
}

async fn stargazers(
    State(state): Shared,
    caller: Caller,
    Path((owner, name)): Path<(String, String)>,
    Query(query): Params,
) -> Response {
    let outcome = find_repo(&state, &caller, &owner, &name, "/stargazers").map(|repo| {
        let world = &state.world;
        let with_dates = caller.accepts("application/vnd.github.star+json");
        let path = format!("/repos/{owner}/{name}/stargazers");
        list(&state, &path, &query, &repo.stargazers, |(account, at)| {
            let user = shapes::account_user(&state.base_url, world.account(*account));
            if with_dates {
                json!({ "starred_at": shapes::time(*at), "user": user })
            } else {
                user
            }
        })
    });
    reply(&state, &caller, Resource::Core, outcome)
}

async fn languages(
    State(state): Shared,
    caller: Caller,
    Path((owner, name)): Path<(String, String)>,
) -> Response {
    let outcome = find_repo(&state, &caller, &owner, &name, "/languages").map(|repo| {
        let map: serde_json::Map<String, Value> = repo
            .languages
            .iter()
            .map(|(l, bytes)| ((*l).to_owned(), json!(bytes)))
            .collect();
        Answer::single(Value::Object(map))
    });
    reply(&state, &caller, Resource::Core, outcome)
}

async fn topics(
    State(state): Shared,
    caller: Caller,
    Path((owner, name)): Path<(String, String)>,
) -> Response {
    let outcome = find_repo(&state, &caller, &owner, &name, "/topics")
        .map(|repo| Answer::single(json!({ "names": repo.topics })));
    reply(&state, &caller, Resource::Core, outcome)
}

/// One page of issue comments, each with the issue it is on.
fn comment_list(
    state: &SimState,
    path: &str,
    query: &BTreeMap<String, String>,
    comments: &[(&Issue, &crate::world::Comment)],
) -> Answer {
    list(state, path, query, comments, |(issue, comment)| {
        shapes::comment(&state.base_url, &state.world, issue, comment)
    })
}

/// One page of `items`, rendered, with its `link` header.
fn list<T>(
    state: &SimState,
    path: &str,
    query: &BTreeMap<String, String>,
    items: &[T],
    render: impl Fn(&T) -> Value,
) -> Answer {
    let page = PageRequest::from_query(query, 30, 100);
    let mut rest = query.clone();
    rest.remove("page");
    rest.remove("per_page");
    Answer {
        body: Value::Array(page.slice(items).iter().map(render).collect()),
        link: page.link_header(&state.base_url, path, &rest, items.len()),
        last_modified: None,
    }
}

fn find_user<'w>(world: &'w World, login: &str) -> Result<&'w Account, GitHubError> {
    world
        .find_account(Forge::GitHub, login)
        .ok_or(GitHubError::NotFound)
}

/// A user, or `None` for an organisation: GitHub answers an organisation's
/// `/users/{org}/…` lists too (it follows no one and stars nothing, and the
/// world gives organisations no followers), so they are empty, not 404.
fn user_or_org<'w>(world: &'w World, login: &str) -> Result<Option<&'w Account>, GitHubError> {
    match find_user(world, login) {
        Ok(account) => Ok(Some(account)),
        Err(_) if find_org(world, login).is_some() => Ok(None),
        Err(error) => Err(error),
    }
}

fn find_org<'w>(world: &'w World, login: &str) -> Option<&'w crate::world::Org> {
    world
        .orgs
        .iter()
        .find(|o| o.forge == Forge::GitHub && o.login.eq_ignore_ascii_case(login))
}

/// A repository as GitHub shows it, private or not.
fn repository(state: &SimState, repo: &Repo) -> Value {
    let mut body = shapes::repository(&state.base_url, &state.world, repo);
    let private = state.is_private(repo.id);
    body["private"] = json!(private);
    body["visibility"] = json!(if private { "private" } else { "public" });
    body
}

/// A repository as lists give it: GitHub's lists leave out the watchers
/// (`subscribers_count`) and the network, which only the repository's own
/// answer has.
fn listed_repository(state: &SimState, repo: &Repo) -> Value {
    let mut body = repository(state, repo);
    if let Value::Object(map) = &mut body {
        map.remove("subscribers_count");
        map.remove("network_count");
    }
    body
}

/// A page of the live repositories of `owner` the caller may see, newest
/// first (GitHub's default).
fn repo_list(
    state: &SimState,
    caller: &Caller,
    path: &str,
    query: &BTreeMap<String, String>,
    owner: Owner,
) -> Answer {
    let mut repos: Vec<&Repo> = state
        .world
        .repos
        .iter()
        .filter(|r| {
            r.forge == Forge::GitHub
                && r.owner == owner
                && !r.deleted
                && state.can_read(caller.principal(), r)
        })
        .collect();
    repos.sort_by_key(|r| std::cmp::Reverse(r.created_at));
    list(state, path, query, &repos, |r| listed_repository(state, r))
}

/// `GET /user/repos`: what the token's account may read through its
/// `affiliation` (owner, collaborator, organization_member; all three by
/// default) and `visibility` (all, public, private), sorted by `sort`
/// (full_name by default, or created, updated, pushed).
async fn own_repos(State(state): Shared, caller: Caller, Query(query): Params) -> Response {
    let outcome = viewer(&state, &caller).and_then(|account| {
        let world = &state.world;
        let affiliation = query
            .get("affiliation")
            .map_or("owner,collaborator,organization_member", String::as_str);
        let wants = |what: &str| affiliation.split(',').any(|a| a.trim() == what);
        for given in affiliation.split(',') {
            if !matches!(given.trim(), "owner" | "collaborator" | "organization_member") {
                return Err(GitHubError::invalid("affiliation"));
            }
        }
        let visibility = query.get("visibility").map_or("all", String::as_str);
        if !matches!(visibility, "all" | "public" | "private") {
            return Err(GitHubError::invalid("visibility"));
        }
        let mut repos: Vec<&Repo> = world
            .repos
            .iter()
            .filter(|r| r.forge == Forge::GitHub && !r.deleted)
            .filter(|r| {
                let owned = r.owner == Owner::Account(account.id);
                let in_org = matches!(r.owner, Owner::Org(org) if world.orgs[org as usize].members.contains(&account.id));
                (wants("owner") && owned)
                    || (wants("organization_member") && in_org)
                    || (wants("collaborator") && !owned && !in_org && world.is_member(account.id, r))
            })
            .filter(|r| match visibility {
                "public" => !state.is_private(r.id),
                "private" => state.is_private(r.id),
                _ => true,
            })
            .collect();
        let descending = query.get("direction").is_some_and(|d| d == "desc");
        match query.get("sort").map_or("full_name", String::as_str) {
            "full_name" => repos.sort_by_key(|r| world.full_name(r).to_lowercase()),
            "created" => repos.sort_by_key(|r| r.created_at),
            "updated" | "pushed" => repos.sort_by_key(|r| shapes::pushed_at(world, r)),
            _ => return Err(GitHubError::invalid("sort")),
        }
        if descending {
            repos.reverse();
        }
        Ok(list(&state, "/user/repos", &query, &repos, |r| {
            listed_repository(&state, r)
        }))
    });
    reply(&state, &caller, Resource::Core, outcome)
}

/// The account a token acts for: an OAuth token's owner, or for a made-up
/// `sim_…` token the first live account.
fn viewer<'s>(state: &'s SimState, caller: &Caller) -> Result<&'s Account, GitHubError> {
    let world = &state.world;
    match caller.principal() {
        Principal::Anonymous => Err(GitHubError::RequiresAuthentication),
        Principal::Token(token) => state
            .token_owner(token)
            .map(|id| world.account(id))
            .or_else(|| {
                world
                    .accounts
                    .iter()
                    .find(|a| a.forge == Forge::GitHub && !a.deleted)
            })
            .ok_or(GitHubError::NotFound),
    }
}

/// A live repository by `owner/name`. A repository's old name answers with a
/// 301 to the new location (`suffix` is the rest of the path); GitHub points
/// at `/repositories/{id}`, which clients follow the same way.
fn find_repo<'s>(
    state: &'s SimState,
    caller: &Caller,
    owner: &str,
    name: &str,
    suffix: &str,
) -> Result<&'s Repo, GitHubError> {
    let world = &state.world;
    // A private repository the caller cannot read does not exist for it.
    let candidates = world.repos.iter().filter(|r| {
        r.forge == Forge::GitHub
            && !r.deleted
            && world.owner_login(r.owner).eq_ignore_ascii_case(owner)
            && state.can_read(caller.principal(), r)
    });
    let mut renamed = None;
    for repo in candidates {
        if repo.name.eq_ignore_ascii_case(name) {
            return Ok(repo);
        }
        if repo
            .previous_name
            .as_deref()
            .is_some_and(|old| old.eq_ignore_ascii_case(name))
        {
            renamed = Some(repo);
        }
    }
    match renamed {
        Some(repo) => Err(GitHubError::Moved(format!(
            "{}/repos/{}{suffix}",
            state.base_url,
            world.full_name(repo)
        ))),
        None => Err(GitHubError::NotFound),
    }
}

fn time_param(
    query: &BTreeMap<String, String>,
    key: &'static str,
) -> Result<Option<DateTime<Utc>>, GitHubError> {
    params::time_param(query, key).map_err(GitHubError::invalid)
}

#[derive(Clone, Copy)]
enum StateFilter {
    Open,
    Closed,
    All,
}

impl StateFilter {
    fn accepts(self, is_open: bool) -> bool {
        match self {
            Self::Open => is_open,
            Self::Closed => !is_open,
            Self::All => true,
        }
    }
}

fn state_param(query: &BTreeMap<String, String>) -> Result<StateFilter, GitHubError> {
    match query.get("state").map(String::as_str) {
        None | Some("open") => Ok(StateFilter::Open),
        Some("closed") => Ok(StateFilter::Closed),
        Some("all") => Ok(StateFilter::All),
        Some(_) => Err(GitHubError::invalid("state")),
    }
}
