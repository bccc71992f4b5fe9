//! Bitbucket Cloud REST 2.0 under `/2.0`: accounts, workspaces,
//! repositories, commits, pull requests with their activity, issues with
//! comments and watchers. Collections are `{pagelen, page, size, values,
//! next}` envelopes whose `next` repeats the query; `q` takes BBQL.

mod bbql;
pub mod shapes;

use std::borrow::Cow;
use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::server::SimState;
use crate::server::budget::Principal;
use crate::server::paging::encode;
use crate::server::params::{basic_credentials, bearer_token};
use crate::server::respond::{self, set_header};
use crate::world::{Account, ChangeRequest, Forge, Id, Issue, Owner, Repo, World};
use bbql::{Field, Filter};

type Shared = State<Arc<SimState>>;
type Pairs = Query<Vec<(String, String)>>;

pub fn router() -> Router<Arc<SimState>> {
    let repo = "/2.0/repositories/{workspace}/{slug}";
    Router::new()
        .route("/2.0/user", get(current_user))
        .route("/2.0/users/{user}", get(user))
        .route("/2.0/workspaces/{workspace}", get(workspace))
        .route("/2.0/workspaces/{workspace}/members", get(members))
        .route(
            "/2.0/workspaces/{workspace}/pullrequests/{user}",
            get(user_pullrequests),
        )
        .route("/2.0/repositories", get(all_repositories))
        .route("/2.0/repositories/{workspace}", get(repositories))
        .route(repo, get(repository))
        .route(&format!("{repo}/commits"), get(commits))
        .route(&format!("{repo}/pullrequests"), get(pullrequests))
        .route(&format!("{repo}/pullrequests/{{id}}"), get(pullrequest))
        .route(
            &format!("{repo}/pullrequests/{{id}}/activity"),
            get(activity),
        )
        .route(&format!("{repo}/issues"), get(issues))
        .route(
            &format!("{repo}/issues/{{id}}/comments"),
            get(issue_comments),
        )
        .route(&format!("{repo}/watchers"), get(watchers))
        .route(&format!("{repo}/forks"), get(forks))
        .fallback(|State(state): Shared, caller: Caller| async move {
            reply(
                &state,
                &caller,
                Err(Failure::NotFound("Resource not found".into())),
            )
        })
}

#[derive(Debug)]
enum Failure {
    NotFound(String),
    BadRequest(String),
    /// `/user` without credentials.
    Unauthenticated,
}

/// Who called: `Authorization: Basic` (email or username and an API token)
/// or `Bearer` (an access token).
struct Caller {
    principal: Principal,
    bad_credentials: bool,
    /// Access tokens get the scaled-limit headers; Basic callers do not.
    access_token: bool,
    account: Option<Id>,
}

impl FromRequestParts<Arc<SimState>> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<SimState>,
    ) -> Result<Self, Self::Rejection> {
        let mut caller = Self {
            principal: Principal::Anonymous,
            bad_credentials: false,
            access_token: false,
            account: None,
        };
        if let Some(basic) = basic_credentials(&parts.headers) {
            match basic {
                Ok((user, token)) if state.token_is_valid(&token) => {
                    caller.account = state
                        .world
                        .accounts
                        .iter()
                        .find(|a| {
                            a.forge == Forge::Bitbucket
                                && !a.deleted
                                && (a.username.eq_ignore_ascii_case(&user)
                                    || a.email.eq_ignore_ascii_case(&user))
                        })
                        .map(|a| a.id);
                    caller.principal = Principal::Token(token);
                }
                _ => caller.bad_credentials = true,
            }
        } else if let Some(token) = bearer_token(&parts.headers) {
            caller.account = state.token_owner(&token);
            caller.access_token = true;
            match state.principal(Some(token)) {
                Some(principal) => caller.principal = principal,
                None => caller.bad_credentials = true,
            }
        }
        Ok(caller)
    }
}

fn reply(state: &SimState, caller: &Caller, outcome: Result<Value, Failure>) -> Response {
    if caller.bad_credentials {
        let mut response = respond::text(StatusCode::UNAUTHORIZED, "");
        set_header(
            response.headers_mut(),
            "www-authenticate",
            "Basic realm=\"Bitbucket.org HTTP\"",
        );
        return response;
    }
    let limits = state.config.bitbucket;
    let limit = match caller.principal {
        Principal::Token(_) => limits.authenticated,
        Principal::Anonymous => limits.anonymous,
    };
    let charged = state
        .budgets
        .charge(&caller.principal, "api", limit, 1, state.now());
    let mut response = match (charged, outcome) {
        (Err(_), _) => error(
            StatusCode::TOO_MANY_REQUESTS,
            "Rate limit for this resource has been exceeded",
        ),
        (Ok(_), Ok(body)) => respond::json(StatusCode::OK, &body),
        (Ok(_), Err(Failure::NotFound(message))) => error(StatusCode::NOT_FOUND, &message),
        (Ok(_), Err(Failure::BadRequest(message))) => error(StatusCode::BAD_REQUEST, &message),
        (Ok(_), Err(Failure::Unauthenticated)) => error(
            StatusCode::UNAUTHORIZED,
            "This API is only accessible with the following authentication types: session, password, apppassword, api_token, access_token",
        ),
    };
    // Only access tokens see the scaled-limit headers, and no "remaining".
    if caller.access_token {
        let standing = state
            .budgets
            .peek(&caller.principal, "api", limit, state.now());
        let headers = response.headers_mut();
        set_header(headers, "x-ratelimit-limit", &standing.limit.to_string());
        set_header(headers, "x-ratelimit-resource", "api");
        let near = standing.remaining * 5 < standing.limit;
        set_header(headers, "x-ratelimit-nearlimit", &near.to_string());
    }
    response
}

fn error(status: StatusCode, message: &str) -> Response {
    respond::json(
        status,
        &json!({ "type": "error", "error": { "message": message } }),
    )
}

fn value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// One page of a collection in Bitbucket's envelope. `max_pagelen` is the
/// resource's cap; `counted` is false for forward-only collections (commits)
/// that carry no `size`.
fn page(
    state: &SimState,
    path: &str,
    pairs: &[(String, String)],
    items: Vec<Value>,
    max_pagelen: usize,
    counted: bool,
) -> Result<Value, Failure> {
    let number = |key: &str, default: usize| -> Result<usize, Failure> {
        value(pairs, key).map_or(Ok(default), |v| {
            v.parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| Failure::BadRequest(format!("Invalid {key}: {v}")))
        })
    };
    let pagelen = number("pagelen", 10)?.min(max_pagelen);
    let page = number("page", 1)?;
    let total = items.len();
    let start = (page - 1).saturating_mul(pagelen).min(total);
    let values: Vec<Value> = items.into_iter().skip(start).take(pagelen).collect();
    let link = |to: usize| {
        let mut query: Vec<String> = pairs
            .iter()
            .filter(|(k, _)| k != "page")
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        query.push(format!("page={to}"));
        format!("{}{path}?{}", state.base_url, query.join("&"))
    };
    let mut envelope = Map::new();
    envelope.insert("pagelen".into(), json!(pagelen));
    if counted {
        envelope.insert("size".into(), json!(total));
    }
    envelope.insert("page".into(), json!(page));
    envelope.insert("values".into(), Value::Array(values));
    if start + pagelen < total {
        envelope.insert("next".into(), json!(link(page + 1)));
    }
    if page > 1 {
        envelope.insert("previous".into(), json!(link(page - 1)));
    }
    Ok(Value::Object(envelope))
}

/// An account by `{uuid}` (braces, possibly URL-encoded) or `account_id`.
fn find_account<'w>(world: &'w World, selected: &str) -> Result<&'w Account, Failure> {
    world
        .accounts
        .iter()
        .filter(|a| a.forge == Forge::Bitbucket && !a.deleted)
        .find(|a| {
            shapes::uuid(shapes::ACCOUNT, a.id).eq_ignore_ascii_case(selected)
                || shapes::account_id(a.id) == selected
        })
        .ok_or_else(|| Failure::NotFound(format!("{selected} is not a valid user")))
}

async fn current_user(State(state): Shared, caller: Caller) -> Response {
    let outcome = match &caller.principal {
        Principal::Anonymous => Err(Failure::Unauthenticated),
        Principal::Token(_) => caller
            .account
            .or_else(|| {
                state
                    .world
                    .accounts
                    .iter()
                    .find(|a| a.forge == Forge::Bitbucket && !a.deleted)
                    .map(|a| a.id)
            })
            .map(|id| shapes::account_page(&state.base_url, state.world.account(id)))
            .ok_or_else(|| Failure::NotFound("No such user".into())),
    };
    reply(&state, &caller, outcome)
}

async fn user(State(state): Shared, caller: Caller, Path(selected): Path<String>) -> Response {
    let outcome =
        find_account(&state.world, &selected).map(|a| shapes::account_page(&state.base_url, a));
    reply(&state, &caller, outcome)
}

/// A workspace: an organisation's, or an account's personal one.
#[derive(Clone, Copy)]
enum Workspace<'w> {
    Org(&'w crate::world::Org),
    Personal(&'w Account),
}

impl Workspace<'_> {
    fn owner(self) -> Owner {
        match self {
            Self::Org(org) => Owner::Org(org.id),
            Self::Personal(account) => Owner::Account(account.id),
        }
    }

    fn render(self, base: &str) -> Value {
        match self {
            Self::Org(org) => shapes::org_workspace(base, org),
            Self::Personal(account) => shapes::personal_workspace(base, account),
        }
    }
}

fn find_workspace<'w>(world: &'w World, slug: &str) -> Result<Workspace<'w>, Failure> {
    let org = world
        .orgs
        .iter()
        .find(|o| o.forge == Forge::Bitbucket && o.login.eq_ignore_ascii_case(slug));
    let personal = || {
        world.accounts.iter().find(|a| {
            a.forge == Forge::Bitbucket && !a.deleted && a.username.eq_ignore_ascii_case(slug)
        })
    };
    org.map(Workspace::Org)
        .or_else(|| personal().map(Workspace::Personal))
        .ok_or_else(|| Failure::NotFound(format!("Could not find workspace with slug {slug}")))
}

async fn workspace(State(state): Shared, caller: Caller, Path(slug): Path<String>) -> Response {
    let outcome = find_workspace(&state.world, &slug).map(|w| w.render(&state.base_url));
    reply(&state, &caller, outcome)
}

async fn members(
    State(state): Shared,
    caller: Caller,
    Path(slug): Path<String>,
    Query(pairs): Pairs,
) -> Response {
    let world = &state.world;
    let outcome = find_workspace(world, &slug).and_then(|w| {
        let ids: Vec<Id> = match w {
            Workspace::Org(org) => org.members.clone(),
            Workspace::Personal(account) => vec![account.id],
        };
        let rendered = w.render(&state.base_url);
        let items = ids
            .iter()
            .map(|id| world.account(*id))
            .filter(|a| !a.deleted)
            .map(|a| shapes::membership(&state.base_url, a, rendered.clone()))
            .collect();
        page(
            &state,
            &format!("/2.0/workspaces/{slug}/members"),
            &pairs,
            items,
            100,
            true,
        )
    });
    reply(&state, &caller, outcome)
}

/// A repository as Bitbucket shows it, private or not.
fn repository_json(state: &SimState, repo: &Repo) -> Value {
    let mut body = shapes::repository(&state.base_url, &state.world, repo);
    body["is_private"] = json!(state.is_private(repo.id));
    body
}

const REPOSITORY_FIELDS: [&str; 4] = ["name", "full_name", "slug", "is_private"];

fn repository_field(state: &SimState, repo: &Repo, field: &str) -> Field {
    match field {
        "name" | "slug" => Field::Text(repo.name.clone()),
        "full_name" => Field::Text(state.world.full_name(repo)),
        "is_private" => Field::Text(state.is_private(repo.id).to_string()),
        _ => Field::Null,
    }
}

/// `GET /2.0/repositories`: every repository the caller may see, or with
/// `role=member` (also contributor, admin, owner) those its account
/// belongs to; filtered by a BBQL `q` on the name, sorted by full name.
async fn all_repositories(State(state): Shared, caller: Caller, Query(pairs): Pairs) -> Response {
    let world = &state.world;
    let outcome = (|| {
        let member_of = match value(&pairs, "role") {
            None => None,
            Some("member" | "contributor" | "admin" | "owner") => match caller.account {
                Some(account) => Some(account),
                None => return Err(Failure::Unauthenticated),
            },
            Some(other) => return Err(Failure::BadRequest(format!("Invalid role: {other}"))),
        };
        let filter = value(&pairs, "q")
            .map(|q| Filter::parse(q, |f| REPOSITORY_FIELDS.contains(&f)))
            .transpose()
            .map_err(Failure::BadRequest)?;
        let mut found = Vec::new();
        for repo in world.repos.iter().filter(|r| {
            r.forge == Forge::Bitbucket
                && !r.deleted
                && state.can_read(&caller.principal, r)
                && member_of.is_none_or(|account| world.is_member(account, r))
        }) {
            let accepted = match &filter {
                Some(filter) => filter
                    .accepts(&|f| repository_field(&state, repo, f))
                    .map_err(Failure::BadRequest)?,
                None => true,
            };
            if accepted {
                found.push(repo);
            }
        }
        found.sort_by_key(|r| world.full_name(r).to_lowercase());
        let items = found.iter().map(|r| repository_json(&state, r)).collect();
        page(&state, "/2.0/repositories", &pairs, items, 100, true)
    })();
    reply(&state, &caller, outcome)
}

async fn repositories(
    State(state): Shared,
    caller: Caller,
    Path(slug): Path<String>,
    Query(pairs): Pairs,
) -> Response {
    let world = &state.world;
    let outcome = find_workspace(world, &slug).and_then(|w| {
        let items = world
            .repos
            .iter()
            .filter(|r| {
                r.forge == Forge::Bitbucket
                    && !r.deleted
                    && r.owner == w.owner()
                    && state.can_read(&caller.principal, r)
            })
            .map(|r| repository_json(&state, r))
            .collect();
        page(
            &state,
            &format!("/2.0/repositories/{slug}"),
            &pairs,
            items,
            100,
            true,
        )
    });
    reply(&state, &caller, outcome)
}

/// A live repository the caller may see (a private one it may not is
/// "not found", as Bitbucket answers).
fn find_repo<'w>(
    state: &'w SimState,
    caller: &Caller,
    workspace: &str,
    slug: &str,
) -> Result<&'w Repo, Failure> {
    let world = &state.world;
    let owner = find_workspace(world, workspace)?.owner();
    world
        .repos
        .iter()
        .find(|r| {
            r.forge == Forge::Bitbucket
                && !r.deleted
                && r.owner == owner
                && r.name.eq_ignore_ascii_case(slug)
                && state.can_read(&caller.principal, r)
        })
        .ok_or_else(|| Failure::NotFound(format!("Repository {workspace}/{slug} not found")))
}

async fn repository(
    State(state): Shared,
    caller: Caller,
    Path((workspace, slug)): Path<(String, String)>,
) -> Response {
    let outcome = find_repo(&state, &caller, &workspace, &slug).map(|r| repository_json(&state, r));
    reply(&state, &caller, outcome)
}

/// Newest first and unfiltered: Bitbucket cannot filter commits by author
/// or date (any `q` is refused), so clients page until they pass their date.
async fn commits(
    State(state): Shared,
    caller: Caller,
    Path((workspace, slug)): Path<(String, String)>,
    Query(pairs): Pairs,
) -> Response {
    let world = &state.world;
    let outcome = find_repo(&state, &caller, &workspace, &slug).and_then(|repo| {
        if let Some(q) = value(&pairs, "q") {
            Filter::parse(q, |_| false).map_err(Failure::BadRequest)?;
        }
        // Nothing is committed after the clock's instant yet.
        let items = world
            .commits_matching(repo.id, None, Some(state.as_of()), |_| true)
            .into_iter()
            .map(|c| shapes::commit(&state.base_url, world, c))
            .collect();
        let path = format!("/2.0/repositories/{}/commits", world.full_name(repo));
        page(&state, &path, &pairs, items, 100, false)
    });
    reply(&state, &caller, outcome)
}

fn time_field(at: DateTime<Utc>) -> Field {
    Field::Time(at)
}

fn account_fields(world: &World, id: Id, field: &str) -> Field {
    let account = world.account(id);
    match field {
        "uuid" => Field::Text(shapes::uuid(shapes::ACCOUNT, id)),
        "account_id" => Field::Text(shapes::account_id(id)),
        "nickname" => Field::Text(account.username.clone()),
        "display_name" => Field::Text(account.display_name.clone()),
        _ => Field::Null,
    }
}

fn pr_field(world: &World, change: &ChangeRequest, field: &str) -> Field {
    match field {
        "id" => Field::Number(i64::from(change.number)),
        "title" => Field::Text(change.title.clone()),
        "state" => Field::Text(shapes::pr_state(change.status).into()),
        "created_on" => time_field(change.created_at),
        "updated_on" => time_field(change.updated_at),
        _ => field
            .strip_prefix("author.")
            .map_or(Field::Null, |f| account_fields(world, change.author, f)),
    }
}

const PR_FIELDS: [&str; 9] = [
    "id",
    "title",
    "state",
    "created_on",
    "updated_on",
    "author.uuid",
    "author.account_id",
    "author.nickname",
    "author.display_name",
];

/// The `state` parameters (repeatable; OPEN when absent, as Bitbucket does).
fn wanted_states(pairs: &[(String, String)]) -> Result<Vec<String>, Failure> {
    let states: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "state")
        .map(|(_, v)| v.to_uppercase())
        .collect();
    if let Some(bad) = states
        .iter()
        .find(|s| !["OPEN", "MERGED", "DECLINED", "SUPERSEDED"].contains(&s.as_str()))
    {
        return Err(Failure::BadRequest(format!("Invalid state: {bad}")));
    }
    Ok(if states.is_empty() {
        vec!["OPEN".into()]
    } else {
        states
    })
}

/// Sorts by `sort=[-]field` (created_on, updated_on or id); newest first by default.
fn sort_items<T: ?Sized, R: std::ops::Deref<Target = T>>(
    items: &mut [R],
    pairs: &[(String, String)],
    key: impl Fn(&T, &str) -> Field,
) -> Result<(), Failure> {
    let sort = value(pairs, "sort").unwrap_or("-id");
    let (descending, field) = match sort.strip_prefix('-') {
        Some(field) => (true, field),
        None => (false, sort),
    };
    if !["id", "created_on", "updated_on"].contains(&field) {
        return Err(Failure::BadRequest(format!("Invalid sort field: {field}")));
    }
    let rank = |item: &T| match key(item, field) {
        Field::Time(at) => at.timestamp_micros(),
        Field::Number(n) => n,
        _ => 0,
    };
    items.sort_by_key(|item| rank(item));
    if descending {
        items.reverse();
    }
    Ok(())
}

fn filter_pullrequests<C: std::ops::Deref<Target = ChangeRequest>>(
    world: &World,
    pairs: &[(String, String)],
    candidates: impl Iterator<Item = C>,
) -> Result<Vec<C>, Failure> {
    let states = wanted_states(pairs)?;
    let filter = value(pairs, "q")
        .map(|q| Filter::parse(q, |f| PR_FIELDS.contains(&f)))
        .transpose()
        .map_err(Failure::BadRequest)?;
    let mut found = Vec::new();
    for change in candidates {
        let by_state = states.iter().any(|s| s == shapes::pr_state(change.status));
        let by_query = match &filter {
            Some(filter) => filter
                .accepts(&|f| pr_field(world, &change, f))
                .map_err(Failure::BadRequest)?,
            None => true,
        };
        if by_state && by_query {
            found.push(change);
        }
    }
    sort_items(&mut found, pairs, |c, f| pr_field(world, c, f))?;
    Ok(found)
}

async fn pullrequests(
    State(state): Shared,
    caller: Caller,
    Path((workspace, slug)): Path<(String, String)>,
    Query(pairs): Pairs,
) -> Response {
    let world = &state.world;
    let outcome = find_repo(&state, &caller, &workspace, &slug).and_then(|repo| {
        let found =
            filter_pullrequests(world, &pairs, world.changes_as_of(repo.id, state.as_of()))?;
        let items = found
            .iter()
            .map(|c| shapes::pullrequest(&state.base_url, world, c, false))
            .collect();
        let path = format!("/2.0/repositories/{}/pullrequests", world.full_name(repo));
        page(&state, &path, &pairs, items, 50, true)
    });
    reply(&state, &caller, outcome)
}

/// `GET /workspaces/{workspace}/pullrequests/{selected_user}`: the user's
/// pull requests in every repository of the workspace.
async fn user_pullrequests(
    State(state): Shared,
    caller: Caller,
    Path((workspace, selected)): Path<(String, String)>,
    Query(pairs): Pairs,
) -> Response {
    let world = &state.world;
    let outcome = find_workspace(world, &workspace).and_then(|w| {
        let author = find_account(world, &selected)?.id;
        let candidates = world.changes.iter().filter(|c| {
            c.author == author
                && world.repo(c.repo).owner == w.owner()
                && world.repo(c.repo).forge == Forge::Bitbucket
        });
        let found = filter_pullrequests(world, &pairs, candidates)?;
        let items = found
            .iter()
            .map(|c| shapes::pullrequest(&state.base_url, world, c, false))
            .collect();
        let path = format!("/2.0/workspaces/{workspace}/pullrequests/{selected}");
        page(&state, &path, &pairs, items, 50, true)
    });
    reply(&state, &caller, outcome)
}

fn find_pullrequest<'w>(
    state: &'w SimState,
    repo: &Repo,
    id: &str,
) -> Result<Cow<'w, ChangeRequest>, Failure> {
    let number: Option<u32> = id.parse().ok();
    state
        .world
        .changes_as_of(repo.id, state.as_of())
        .find(|c| Some(c.number) == number)
        .ok_or_else(|| Failure::NotFound(format!("Pull request {id} not found")))
}

async fn pullrequest(
    State(state): Shared,
    caller: Caller,
    Path((workspace, slug, id)): Path<(String, String, String)>,
) -> Response {
    let world = &state.world;
    let outcome = find_repo(&state, &caller, &workspace, &slug)
        .and_then(|repo| find_pullrequest(&state, repo, &id))
        .map(|c| shapes::pullrequest(&state.base_url, world, &c, true));
    reply(&state, &caller, outcome)
}

async fn activity(
    State(state): Shared,
    caller: Caller,
    Path((workspace, slug, id)): Path<(String, String, String)>,
    Query(pairs): Pairs,
) -> Response {
    let world = &state.world;
    let outcome = find_repo(&state, &caller, &workspace, &slug).and_then(|repo| {
        let change = find_pullrequest(&state, repo, &id)?;
        let items = shapes::activity(&state.base_url, world, &change)
            .into_iter()
            .map(|(_, entry)| entry)
            .collect();
        let path = format!(
            "/2.0/repositories/{}/pullrequests/{id}/activity",
            world.full_name(repo)
        );
        page(&state, &path, &pairs, items, 50, false)
    });
    reply(&state, &caller, outcome)
}

fn issue_field(world: &World, issue: &Issue, field: &str) -> Field {
    match field {
        "id" => Field::Number(i64::from(issue.number)),
        "title" => Field::Text(issue.title.clone()),
        "state" => Field::Text(shapes::issue_state(issue).into()),
        "kind" => Field::Text(shapes::issue_kind(issue).into()),
        "priority" => Field::Text(shapes::issue_priority(issue).into()),
        "component.name" => {
            shapes::issue_component(issue).map_or(Field::Null, |c| Field::Text(c.into()))
        }
        "created_on" => time_field(issue.created_at),
        "updated_on" => time_field(issue.updated_at),
        _ => field
            .strip_prefix("reporter.")
            .map_or(Field::Null, |f| account_fields(world, issue.author, f)),
    }
}

const ISSUE_FIELDS: [&str; 12] = [
    "id",
    "title",
    "state",
    "kind",
    "priority",
    "component.name",
    "created_on",
    "updated_on",
    "reporter.uuid",
    "reporter.account_id",
    "reporter.nickname",
    "reporter.display_name",
];

async fn issues(
    State(state): Shared,
    caller: Caller,
    Path((workspace, slug)): Path<(String, String)>,
    Query(pairs): Pairs,
) -> Response {
    let world = &state.world;
    let outcome = find_repo(&state, &caller, &workspace, &slug).and_then(|repo| {
        let filter = value(&pairs, "q")
            .map(|q| Filter::parse(q, |f| ISSUE_FIELDS.contains(&f)))
            .transpose()
            .map_err(Failure::BadRequest)?;
        let visible: Vec<Cow<Issue>> = world.issues_as_of(repo.id, state.as_of()).collect();
        let mut found = Vec::new();
        for issue in &visible {
            let accepted = match &filter {
                Some(filter) => filter
                    .accepts(&|f| issue_field(world, issue, f))
                    .map_err(Failure::BadRequest)?,
                None => true,
            };
            if accepted {
                found.push(issue.as_ref());
            }
        }
        sort_items(&mut found, &pairs, |i, f| issue_field(world, i, f))?;
        let items = found
            .iter()
            .map(|i| shapes::issue(&state.base_url, world, i))
            .collect();
        let path = format!("/2.0/repositories/{}/issues", world.full_name(repo));
        page(&state, &path, &pairs, items, 100, true)
    });
    reply(&state, &caller, outcome)
}

async fn issue_comments(
    State(state): Shared,
    caller: Caller,
    Path((workspace, slug, id)): Path<(String, String, String)>,
    Query(pairs): Pairs,
) -> Response {
    let world = &state.world;
    let outcome = find_repo(&state, &caller, &workspace, &slug).and_then(|repo| {
        let number: Option<u32> = id.parse().ok();
        let issue = world
            .issues_as_of(repo.id, state.as_of())
            .find(|i| Some(i.number) == number)
            .ok_or_else(|| Failure::NotFound(format!("Issue {id} not found")))?;
        let issue = issue.as_ref();
        let items = issue
            .comments
            .iter()
            .map(|c| shapes::issue_comment(&state.base_url, world, issue, c))
            .collect();
        let path = format!(
            "/2.0/repositories/{}/issues/{id}/comments",
            world.full_name(repo)
        );
        page(&state, &path, &pairs, items, 100, true)
    });
    reply(&state, &caller, outcome)
}

/// A list under a repository (`/watchers`, `/forks`): `items` renders
/// what it holds, paged as every Bitbucket collection with its `size`.
fn repository_list(
    state: &SimState,
    caller: &Caller,
    (workspace, slug): (&str, &str),
    pairs: &[(String, String)],
    which: &str,
    items: impl FnOnce(&Repo) -> Vec<Value>,
) -> Response {
    let outcome = find_repo(state, caller, workspace, slug).and_then(|repo| {
        let path = format!("/2.0/repositories/{}/{which}", state.world.full_name(repo));
        page(state, &path, pairs, items(repo), 100, true)
    });
    reply(state, caller, outcome)
}

/// The forks of a repository that the caller may see.
async fn forks(
    State(state): Shared,
    caller: Caller,
    Path((workspace, slug)): Path<(String, String)>,
    Query(pairs): Pairs,
) -> Response {
    repository_list(
        &state,
        &caller,
        (&workspace, &slug),
        &pairs,
        "forks",
        |repo| {
            state
                .world
                .forks_of(repo.id)
                .filter(|r| state.can_read(&caller.principal, r))
                .map(|r| repository_json(&state, r))
                .collect()
        },
    )
}

async fn watchers(
    State(state): Shared,
    caller: Caller,
    Path((workspace, slug)): Path<(String, String)>,
    Query(pairs): Pairs,
) -> Response {
    let world = &state.world;
    repository_list(
        &state,
        &caller,
        (&workspace, &slug),
        &pairs,
        "watchers",
        |repo| {
            repo.watchers
                .iter()
                .map(|id| world.account(*id))
                .filter(|a| !a.deleted)
                .map(|a| shapes::account(&state.base_url, a))
                .collect()
        },
    )
}
