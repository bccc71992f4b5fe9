//! GitLab REST v4 under `/api/v4`: users, groups, projects (by id or
//! URL-encoded path), commits, merge requests, issues and notes, with
//! GitLab's paging headers, `RateLimit-*` headers and error bodies.

pub(crate) mod shapes;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::server::SimState;
use crate::server::budget::{Principal, Standing};
use crate::server::paging::PageRequest;
use crate::server::params;
use crate::server::respond::{self, set_header as set};
use crate::world::{Forge, Issue, Owner, Repo, Status, World};

type Shared = State<Arc<SimState>>;
type Params = Query<BTreeMap<String, String>>;

pub fn router() -> Router<Arc<SimState>> {
    Router::new()
        .route("/api/v4/user", get(current_user))
        .route("/api/v4/users", get(users))
        .route("/api/v4/users/{id}", get(user))
        .route("/api/v4/users/{id}/events", get(user_events))
        .route("/api/v4/groups/{id}", get(group))
        .route("/api/v4/groups/{id}/projects", get(group_projects))
        .route("/api/v4/projects", get(projects))
        .route("/api/v4/projects/{id}", get(project))
        .route("/api/v4/projects/{id}/languages", get(languages))
        .route("/api/v4/projects/{id}/events", get(project_events))
        .route("/api/v4/projects/{id}/repository/commits", get(commits))
        .route("/api/v4/projects/{id}/merge_requests", get(merge_requests))
        .route("/api/v4/projects/{id}/issues", get(issues))
        .route("/api/v4/projects/{id}/issues/{iid}/notes", get(notes))
        .fallback(unknown_route)
}

/// A page of results, or one object, and whether GitLab would count the total.
enum Answer {
    One(Value),
    Page {
        items: Vec<Value>,
        headers: Vec<(&'static str, String)>,
    },
}

#[derive(Debug)]
enum GitLabError {
    /// `404 {what} Not Found`, e.g. "Project".
    NotFound(&'static str),
    /// A parameter Grape rejects: `{"error": "<name> is invalid"}`.
    Invalid(&'static str),
    /// No such route: GitLab answers with `error`, not `message`.
    UnknownRoute,
    /// Credentials needed and absent.
    Unauthorized,
}

/// The caller's credentials: `PRIVATE-TOKEN`, `Authorization: Bearer`, or
/// the `private_token`/`access_token` query parameters.
struct Caller {
    principal: Principal,
    bad_credentials: bool,
}

impl FromRequestParts<Arc<SimState>> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<SimState>,
    ) -> Result<Self, Self::Rejection> {
        let header = |name: &str| params::header_text(&parts.headers, name);
        let from_query = parts.uri.query().and_then(|query| {
            query.split('&').find_map(|pair| {
                let (key, value) = pair.split_once('=')?;
                matches!(key, "private_token" | "access_token").then(|| value.to_owned())
            })
        });
        let token = header("private-token")
            .or_else(|| params::bearer_token(&parts.headers))
            .or(from_query);
        let principal = state.principal(token);
        Ok(Self {
            bad_credentials: principal.is_none(),
            principal: principal.unwrap_or(Principal::Anonymous),
        })
    }
}

fn reply(state: &SimState, caller: &Caller, outcome: Result<Answer, GitLabError>) -> Response {
    if caller.bad_credentials {
        return json_response(
            StatusCode::UNAUTHORIZED,
            &json!({ "message": "401 Unauthorized" }),
            None,
        );
    }
    let limits = &state.config.gitlab;
    let limit = match caller.principal {
        Principal::Token(_) => limits.authenticated,
        Principal::Anonymous => limits.unauthenticated,
    };
    let standing = match state
        .budgets
        .charge(&caller.principal, "api", limit, 1, state.now())
    {
        Ok(standing) => standing,
        Err(standing) => return retry_later(standing),
    };
    let mut response = match outcome {
        Ok(Answer::One(body)) => json_response(StatusCode::OK, &body, None),
        Ok(Answer::Page { items, headers }) => {
            json_response(StatusCode::OK, &Value::Array(items), Some(headers))
        }
        Err(GitLabError::NotFound(what)) => json_response(
            StatusCode::NOT_FOUND,
            &json!({ "message": format!("404 {what} Not Found") }),
            None,
        ),
        Err(GitLabError::Invalid(name)) => json_response(
            StatusCode::BAD_REQUEST,
            &json!({ "error": format!("{name} is invalid") }),
            None,
        ),
        Err(GitLabError::UnknownRoute) => json_response(
            StatusCode::NOT_FOUND,
            &json!({ "error": "404 Not Found" }),
            None,
        ),
        Err(GitLabError::Unauthorized) => json_response(
            StatusCode::UNAUTHORIZED,
            &json!({ "message": "401 Unauthorized" }),
            None,
        ),
    };
    rate_limit_headers(response.headers_mut(), standing, false);
    response
}

async fn unknown_route(State(state): Shared, caller: Caller) -> Response {
    reply(&state, &caller, Err(GitLabError::UnknownRoute))
}

/// GitLab's throttle: 429, plain text `Retry later`, and when to come back.
fn retry_later(standing: Standing) -> Response {
    let mut response = respond::text(StatusCode::TOO_MANY_REQUESTS, "Retry later\n");
    let headers = response.headers_mut();
    rate_limit_headers(headers, standing, true);
    set(
        headers,
        "retry-after",
        &respond::seconds_until(standing.reset).to_string(),
    );
    response
}

fn rate_limit_headers(headers: &mut HeaderMap, standing: Standing, exhausted: bool) {
    set(headers, "ratelimit-limit", &standing.limit.to_string());
    set(
        headers,
        "ratelimit-observed",
        &(standing.used + u32::from(exhausted)).to_string(),
    );
    set(
        headers,
        "ratelimit-remaining",
        &standing.remaining.to_string(),
    );
    set(headers, "ratelimit-reset", &standing.reset.to_string());
    set(headers, "ratelimit-name", "throttle_authenticated_api");
    if exhausted && let Some(at) = DateTime::from_timestamp(standing.reset, 0) {
        set(
            headers,
            "ratelimit-resettime",
            &at.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        );
    }
}

fn json_response(
    status: StatusCode,
    body: &Value,
    headers: Option<Vec<(&'static str, String)>>,
) -> Response {
    let mut response = respond::json(status, body);
    for (name, value) in headers.unwrap_or_default() {
        set(response.headers_mut(), name, &value);
    }
    response
}

/// One page with GitLab's headers. `with_totals` is false where GitLab omits
/// `x-total`, `x-total-pages` and `rel="last"` (the commits API).
fn page<T>(
    state: &SimState,
    path: &str,
    query: &BTreeMap<String, String>,
    items: &[T],
    with_totals: bool,
    render: impl Fn(&T) -> Value,
) -> Answer {
    let request = PageRequest::from_query(query, 20, 100);
    let mut rest = query.clone();
    rest.remove("page");
    rest.remove("per_page");
    let last = request.last_page(items.len());
    let next = if request.page < last {
        (request.page + 1).to_string()
    } else {
        String::new()
    };
    let prev = if request.page > 1 {
        (request.page - 1).to_string()
    } else {
        String::new()
    };
    let mut headers = vec![
        ("x-page", request.page.to_string()),
        ("x-per-page", request.per_page.to_string()),
        ("x-next-page", next),
        ("x-prev-page", prev),
    ];
    if with_totals {
        headers.push(("x-total", items.len().to_string()));
        headers.push(("x-total-pages", last.to_string()));
    }
    if let Some(link) = request.link_header(&state.base_url, path, &rest, items.len()) {
        let link = if with_totals {
            link
        } else {
            link.split(", ")
                .filter(|l| !l.ends_with("rel=\"last\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        headers.push(("link", link));
    }
    Answer::Page {
        items: request.slice(items).iter().map(render).collect(),
        headers,
    }
}

/// `GET /user`: the token's account (see GitHub's `/user` for made-up tokens).
async fn current_user(State(state): Shared, caller: Caller) -> Response {
    let world = &state.world;
    if caller.principal == Principal::Anonymous {
        return json_response(
            StatusCode::UNAUTHORIZED,
            &json!({ "message": "401 Unauthorized" }),
            None,
        );
    }
    let owner = match &caller.principal {
        Principal::Token(token) => state.token_owner(token),
        Principal::Anonymous => None,
    };
    let outcome = owner
        .map(|id| world.account(id))
        .or_else(|| {
            world
                .accounts
                .iter()
                .find(|a| a.forge == Forge::GitLab && !a.deleted)
        })
        .map(|account| Answer::One(shapes::user(&state.base_url, account)))
        .ok_or(GitLabError::NotFound("User"));
    reply(&state, &caller, outcome)
}

async fn users(State(state): Shared, caller: Caller, Query(query): Params) -> Response {
    let world = &state.world;
    // `search` matches a username, a name or (every email counts as
    // public here) an email, whole and case-insensitively.
    let search = query.get("search");
    let found: Vec<_> = match query.get("username") {
        Some(name) => world
            .find_account(Forge::GitLab, name)
            .into_iter()
            .collect(),
        None => world
            .accounts
            .iter()
            .filter(|a| a.forge == Forge::GitLab && !a.deleted)
            .filter(|a| {
                search.is_none_or(|s| {
                    [&a.username, &a.display_name, &a.email]
                        .iter()
                        .any(|v| v.eq_ignore_ascii_case(s))
                })
            })
            .collect(),
    };
    let answer = page(&state, "/api/v4/users", &query, &found, true, |a| {
        shapes::user(&state.base_url, a)
    });
    reply(&state, &caller, Ok(answer))
}

async fn user(State(state): Shared, caller: Caller, Path(id): Path<String>) -> Response {
    let outcome = find_user(&state.world, &id)
        .map(|account| Answer::One(shapes::user(&state.base_url, account)));
    reply(&state, &caller, outcome)
}

/// A live GitLab account by numeric id or username.
fn find_user<'w>(world: &'w World, id: &str) -> Result<&'w crate::world::Account, GitLabError> {
    world
        .accounts
        .iter()
        .filter(|a| a.forge == Forge::GitLab && !a.deleted)
        .find(|a| {
            id.parse::<u64>().map_or_else(
                |_| a.username.eq_ignore_ascii_case(id),
                |n| shapes::user_id(a.id) == n,
            )
        })
        .ok_or(GitLabError::NotFound("User"))
}

/// `after`/`before` of the events API: dates, both exclusive.
fn date_param(
    query: &BTreeMap<String, String>,
    key: &'static str,
) -> Result<Option<chrono::NaiveDate>, GitLabError> {
    query
        .get(key)
        .map(|v| {
            chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| GitLabError::Invalid(key))
        })
        .transpose()
}

/// `GET /users/:id/events`: what the user did, newest first, filtered by
/// `action`, `target_type` and the exclusive dates `after` and `before`.
async fn user_events(
    State(state): Shared,
    caller: Caller,
    Path(id): Path<String>,
    Query(query): Params,
) -> Response {
    let outcome = find_user(&state.world, &id).and_then(|account| {
        let me = account.id;
        let path = format!("/api/v4/users/{id}/events");
        events(&state, &path, &query, |who, _| who == me)
    });
    reply(&state, &caller, outcome)
}

/// `GET /projects/{id}/events`: what everyone did in one project.
async fn project_events(
    State(state): Shared,
    caller: Caller,
    Path(id): Path<String>,
    Query(query): Params,
) -> Response {
    let outcome = find_project(&state, &caller, &id).and_then(|repo| {
        let path = format!("/api/v4/projects/{}/events", shapes::project_id(repo.id));
        events(&state, &path, &query, |_, in_repo| in_repo == repo.id)
    });
    reply(&state, &caller, outcome)
}

/// The events on GitLab, as of the clock, by whom and where `keep(author,
/// repository)` accepts, filtered and paged as the events APIs do.
fn events(
    state: &SimState,
    path: &str,
    query: &BTreeMap<String, String>,
    keep: impl Fn(crate::world::Id, crate::world::Id) -> bool,
) -> Result<Answer, GitLabError> {
    let world = &state.world;
    let after = date_param(query, "after")?;
    let before = date_param(query, "before")?;
    let action = query.get("action").map(String::as_str);
    let target = query.get("target_type").map(|t| t.to_lowercase());
    let at = state.as_of();
    let on_gitlab = |repo: crate::world::Id| world.repo(repo).forge == Forge::GitLab;
    let mut events: Vec<(crate::world::Id, shapes::Event<'_>)> = Vec::new();
    events.extend(
        world
            .commits
            .iter()
            .filter(|c| on_gitlab(c.repo) && keep(c.author, c.repo))
            .map(|c| (c.author, shapes::Event::Pushed(c))),
    );
    for change in world.changes.iter().filter(|c| on_gitlab(c.repo)) {
        if keep(change.author, change.repo) {
            events.push((change.author, shapes::Event::Opened(change)));
            if change.merged_at.is_some() {
                events.push((change.author, shapes::Event::Merged(change)));
            }
        }
        for review in change
            .reviews
            .iter()
            .filter(|r| keep(r.reviewer, change.repo))
        {
            events.push((
                review.reviewer,
                if review.state == crate::world::ReviewState::Approved {
                    shapes::Event::Approved(change, review)
                } else {
                    shapes::Event::Reviewed(change, review)
                },
            ));
        }
    }
    for issue in world.issues.iter().filter(|i| on_gitlab(i.repo)) {
        if keep(issue.author, issue.repo) {
            events.push((issue.author, shapes::Event::IssueOpened(issue)));
        }
        for comment in issue.comments.iter().filter(|c| keep(c.author, issue.repo)) {
            events.push((comment.author, shapes::Event::Commented(issue, comment)));
        }
    }
    events.retain(|(_, e)| {
        let day = e.at().date_naive();
        e.at() <= at
            && after.is_none_or(|d| day > d)
            && before.is_none_or(|d| day < d)
            && action.is_none_or(|a| a == e.action())
            && target.as_deref().is_none_or(|t| e.target_kind() == Some(t))
    });
    events.sort_by_key(|(_, e)| e.at());
    if query.get("sort").is_none_or(|s| s == "desc") {
        events.reverse();
    }
    Ok(page(state, path, query, &events, true, |(who, e)| {
        shapes::event(&state.base_url, world, *who, e)
    }))
}

fn find_group<'w>(world: &'w World, id: &str) -> Option<&'w crate::world::Org> {
    world
        .orgs
        .iter()
        .filter(|o| o.forge == Forge::GitLab)
        .find(|o| {
            o.login.eq_ignore_ascii_case(id)
                || id.parse::<u64>().is_ok_and(|n| shapes::group_id(o.id) == n)
        })
}

async fn group(State(state): Shared, caller: Caller, Path(id): Path<String>) -> Response {
    let outcome = find_group(&state.world, &id)
        .map(|org| Answer::One(shapes::group(&state.base_url, org)))
        .ok_or(GitLabError::NotFound("Group"));
    reply(&state, &caller, outcome)
}

async fn group_projects(
    State(state): Shared,
    caller: Caller,
    Path(id): Path<String>,
    Query(query): Params,
) -> Response {
    let world = &state.world;
    let outcome = find_group(world, &id)
        .ok_or(GitLabError::NotFound("Group"))
        .map(|org| {
            let projects: Vec<&Repo> = world
                .repos
                .iter()
                .filter(|r| {
                    r.owner == Owner::Org(org.id)
                        && !r.deleted
                        && state.can_read(&caller.principal, r)
                })
                .collect();
            let path = format!("/api/v4/groups/{id}/projects");
            page(&state, &path, &query, &projects, true, |r| {
                project_json(&state, r)
            })
        });
    reply(&state, &caller, outcome)
}

/// A live project by numeric id or by its path (`group/name`, URL-encoded),
/// if the caller may see it (a private project it may not is "not found").
fn find_project<'w>(
    state: &'w SimState,
    caller: &Caller,
    id: &str,
) -> Result<&'w Repo, GitLabError> {
    let world = &state.world;
    world
        .repos
        .iter()
        .filter(|r| r.forge == Forge::GitLab && !r.deleted && state.can_read(&caller.principal, r))
        .find(|r| {
            id.parse::<u64>().map_or_else(
                |_| world.full_name(r).eq_ignore_ascii_case(id),
                |n| shapes::project_id(r.id) == n,
            )
        })
        .ok_or(GitLabError::NotFound("Project"))
}

/// A project as GitLab shows it, private or public.
fn project_json(state: &SimState, repo: &Repo) -> Value {
    let mut body = shapes::project(&state.base_url, &state.world, repo);
    body["visibility"] = json!(if state.is_private(repo.id) {
        "private"
    } else {
        "public"
    });
    body
}

/// `GET /projects`: every project the caller may see, or with
/// `membership=true` those its account is a member of; `search` matches
/// the path, `order_by` is id (the default), name, path or
/// last_activity_at, `sort` desc (the default) or asc.
async fn projects(State(state): Shared, caller: Caller, Query(query): Params) -> Response {
    let world = &state.world;
    let outcome = (|| {
        let member_of = if query.get("membership").is_some_and(|m| m == "true") {
            let Principal::Token(token) = &caller.principal else {
                return Err(GitLabError::Unauthorized);
            };
            Some(state.token_owner(token).or_else(|| {
                world
                    .accounts
                    .iter()
                    .find(|a| a.forge == Forge::GitLab && !a.deleted)
                    .map(|a| a.id)
            }))
        } else {
            None
        };
        let search = query.get("search").map(|s| s.to_lowercase());
        let mut found: Vec<&Repo> = world
            .repos
            .iter()
            .filter(|r| {
                r.forge == Forge::GitLab && !r.deleted && state.can_read(&caller.principal, r)
            })
            .filter(|r| match member_of {
                None => true,
                Some(account) => account.is_some_and(|a| world.is_member(a, r)),
            })
            .filter(|r| {
                search
                    .as_ref()
                    .is_none_or(|s| world.full_name(r).to_lowercase().contains(s))
            })
            .collect();
        match query.get("order_by").map_or("id", String::as_str) {
            "id" => found.sort_by_key(|r| r.id),
            "name" => found.sort_by_key(|r| r.name.to_lowercase()),
            "path" => found.sort_by_key(|r| world.full_name(r).to_lowercase()),
            "last_activity_at" => found.sort_by_key(|r| {
                world
                    .commits_in(r.id)
                    .map(|c| c.committed_at)
                    .max()
                    .unwrap_or(r.created_at)
            }),
            _ => return Err(GitLabError::Invalid("order_by")),
        }
        match query.get("sort").map_or("desc", String::as_str) {
            "desc" => found.reverse(),
            "asc" => {}
            _ => return Err(GitLabError::Invalid("sort")),
        }
        Ok(page(
            &state,
            "/api/v4/projects",
            &query,
            &found,
            true,
            |r| project_json(&state, r),
        ))
    })();
    reply(&state, &caller, outcome)
}

async fn project(State(state): Shared, caller: Caller, Path(id): Path<String>) -> Response {
    let outcome = find_project(&state, &caller, &id).map(|r| Answer::One(project_json(&state, r)));
    reply(&state, &caller, outcome)
}

async fn languages(State(state): Shared, caller: Caller, Path(id): Path<String>) -> Response {
    let outcome = find_project(&state, &caller, &id).map(|r| Answer::One(shapes::languages(r)));
    reply(&state, &caller, outcome)
}

fn time_param(
    query: &BTreeMap<String, String>,
    key: &'static str,
) -> Result<Option<DateTime<Utc>>, GitLabError> {
    params::time_param(query, key).map_err(GitLabError::Invalid)
}

async fn commits(
    State(state): Shared,
    caller: Caller,
    Path(id): Path<String>,
    Query(query): Params,
) -> Response {
    let world = &state.world;
    let outcome = find_project(&state, &caller, &id).and_then(|repo| {
        let since = time_param(&query, "since")?;
        // Nothing is committed after the clock's instant yet.
        let at = state.as_of();
        let until = Some(time_param(&query, "until")?.map_or(at, |u| u.min(at)));
        // GitLab's `author` searches the author's name or email.
        let author = query.get("author");
        let found = world.commits_matching(repo.id, since, until, |account| {
            author.is_none_or(|wanted| {
                account.display_name.eq_ignore_ascii_case(wanted)
                    || account.email.eq_ignore_ascii_case(wanted)
            })
        });
        let path = format!(
            "/api/v4/projects/{}/repository/commits",
            shapes::project_id(repo.id)
        );
        Ok(page(&state, &path, &query, &found, false, |c| {
            shapes::commit(&state.base_url, world, c)
        }))
    });
    reply(&state, &caller, outcome)
}

/// The filters merge request and issue lists share: `author_username`,
/// `created_after`, `created_before`, `updated_after`, `updated_before`.
struct ListFilters<'q> {
    author: Option<&'q String>,
    created_after: Option<DateTime<Utc>>,
    created_before: Option<DateTime<Utc>>,
    updated_after: Option<DateTime<Utc>>,
    updated_before: Option<DateTime<Utc>>,
}

impl<'q> ListFilters<'q> {
    fn parse(query: &'q BTreeMap<String, String>) -> Result<Self, GitLabError> {
        Ok(Self {
            author: query.get("author_username"),
            created_after: time_param(query, "created_after")?,
            created_before: time_param(query, "created_before")?,
            updated_after: time_param(query, "updated_after")?,
            updated_before: time_param(query, "updated_before")?,
        })
    }

    fn accepts(
        &self,
        world: &World,
        author: crate::world::Id,
        created: DateTime<Utc>,
        updated: DateTime<Utc>,
    ) -> bool {
        self.author
            .is_none_or(|a| world.account(author).username.eq_ignore_ascii_case(a))
            && self.created_after.is_none_or(|t| created >= t)
            && self.created_before.is_none_or(|t| created <= t)
            && self.updated_after.is_none_or(|t| updated >= t)
            && self.updated_before.is_none_or(|t| updated <= t)
    }
}

/// `state=opened|closed|merged|locked|all` for merge requests (`opened|closed|all` for issues).
fn mr_state_accepts(state: Option<&String>, status: Status) -> Result<bool, GitLabError> {
    Ok(match state.map(String::as_str) {
        None | Some("all") => true,
        Some("opened") => status == Status::Open,
        Some("merged") => status == Status::Merged,
        Some("closed") => matches!(status, Status::Closed | Status::Abandoned),
        Some("locked") => false,
        Some(_) => return Err(GitLabError::Invalid("state")),
    })
}

async fn merge_requests(
    State(state): Shared,
    caller: Caller,
    Path(id): Path<String>,
    Query(query): Params,
) -> Response {
    let world = &state.world;
    let outcome = find_project(&state, &caller, &id).and_then(|repo| {
        let filters = ListFilters::parse(&query)?;
        let mut found = Vec::new();
        for change in world.changes_as_of(repo.id, state.as_of()) {
            if mr_state_accepts(query.get("state"), change.status)?
                && filters.accepts(world, change.author, change.created_at, change.updated_at)
            {
                found.push(change);
            }
        }
        sort_by_order(&mut found, &query, |c| (c.created_at, c.updated_at))?;
        let path = format!(
            "/api/v4/projects/{}/merge_requests",
            shapes::project_id(repo.id)
        );
        Ok(page(&state, &path, &query, &found, true, |c| {
            shapes::merge_request(&state.base_url, world, c)
        }))
    });
    reply(&state, &caller, outcome)
}

async fn issues(
    State(state): Shared,
    caller: Caller,
    Path(id): Path<String>,
    Query(query): Params,
) -> Response {
    let world = &state.world;
    let outcome = find_project(&state, &caller, &id).and_then(|repo| {
        let filters = ListFilters::parse(&query)?;
        let wanted_open = match query.get("state").map(String::as_str) {
            None | Some("all") => None,
            Some("opened") => Some(true),
            Some("closed") => Some(false),
            Some(_) => return Err(GitLabError::Invalid("state")),
        };
        let labels: Vec<&str> = query
            .get("labels")
            .map(|l| l.split(',').filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        let mut found: Vec<Cow<Issue>> = world
            .issues_as_of(repo.id, state.as_of())
            .filter(|i| wanted_open.is_none_or(|open| open == i.closed_at.is_none()))
            .filter(|i| filters.accepts(world, i.author, i.created_at, i.updated_at))
            .filter(|i| {
                labels
                    .iter()
                    .all(|w| i.labels.iter().any(|l| l.eq_ignore_ascii_case(w)))
            })
            .collect();
        sort_by_order(&mut found, &query, |i| (i.created_at, i.updated_at))?;
        let path = format!("/api/v4/projects/{}/issues", shapes::project_id(repo.id));
        Ok(page(&state, &path, &query, &found, true, |i| {
            shapes::issue(&state.base_url, world, i)
        }))
    });
    reply(&state, &caller, outcome)
}

/// `order_by=created_at|updated_at` (default created_at), `sort=asc|desc` (default desc).
fn sort_by_order<T>(
    items: &mut [T],
    query: &BTreeMap<String, String>,
    times: impl Fn(&T) -> (DateTime<Utc>, DateTime<Utc>),
) -> Result<(), GitLabError> {
    match query.get("order_by").map(String::as_str) {
        None | Some("created_at") => items.sort_by_key(|i| times(i).0),
        Some("updated_at") => items.sort_by_key(|i| times(i).1),
        Some(_) => return Err(GitLabError::Invalid("order_by")),
    }
    match query.get("sort").map(String::as_str) {
        None | Some("desc") => items.reverse(),
        Some("asc") => {}
        Some(_) => return Err(GitLabError::Invalid("sort")),
    }
    Ok(())
}

async fn notes(
    State(state): Shared,
    caller: Caller,
    Path((id, iid)): Path<(String, u32)>,
    Query(query): Params,
) -> Response {
    let world = &state.world;
    let outcome = find_project(&state, &caller, &id).and_then(|repo| {
        let issue = world
            .issues_as_of(repo.id, state.as_of())
            .find(|i| i.number == iid)
            .ok_or(GitLabError::NotFound("Issue"))?;
        let issue = issue.as_ref();
        let mut notes: Vec<_> = issue.comments.iter().collect();
        if query.get("sort").is_none_or(|s| s == "desc") {
            notes.reverse();
        }
        let path = format!(
            "/api/v4/projects/{}/issues/{iid}/notes",
            shapes::project_id(repo.id)
        );
        Ok(page(&state, &path, &query, &notes, true, |c| {
            shapes::note(&state.base_url, world, issue, c)
        }))
    });
    reply(&state, &caller, outcome)
}
