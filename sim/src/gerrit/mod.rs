//! Gerrit's REST API as `rest-api*.txt` documents it: the `)]}'` guard line,
//! anonymous and `/a/` (HTTP Basic) paths, change queries with `n`, `S` and
//! `_more_changes`, and plain-text errors. Core Gerrit has no rate limit.

mod query;
pub mod shapes;

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
use crate::server::params::{self, basic_credentials};
use crate::server::respond::{self, set_header};
use crate::world::{Account, Forge, Id, World};
use query::{ChangeQuery, answers_to};
use shapes::Options;

type Shared = State<Arc<SimState>>;
type Pairs = Query<Vec<(String, String)>>;

/// The default `queryLimit` capability: the most changes one query returns.
const QUERY_LIMIT: usize = 500;

pub fn router() -> Router<Arc<SimState>> {
    let mut router = Router::new();
    // Every endpoint answers anonymously and, authenticated, under `/a/`.
    for prefix in ["", "/a"] {
        router = router
            .route(&format!("{prefix}/changes/"), get(changes))
            .route(&format!("{prefix}/changes/{{id}}"), get(change))
            .route(
                &format!("{prefix}/changes/{{id}}/detail"),
                get(change_detail),
            )
            .route(&format!("{prefix}/accounts/"), get(accounts))
            .route(&format!("{prefix}/accounts/{{id}}"), get(account))
            .route(
                &format!("{prefix}/accounts/{{id}}/detail"),
                get(account_detail),
            )
            .route(&format!("{prefix}/projects/"), get(projects))
            .route(&format!("{prefix}/config/server/version"), get(version));
    }
    router.fallback(|| async { Failure::NotFound("Not Found".into()).into_response() })
}

/// Gerrit's errors: a status and a plain-text message.
enum Failure {
    BadRequest(String),
    Unauthorized,
    NotFound(String),
}

impl Failure {
    fn into_response(self) -> Response {
        match self {
            Self::BadRequest(message) => respond::text(StatusCode::BAD_REQUEST, message),
            Self::NotFound(message) => respond::text(StatusCode::NOT_FOUND, message),
            Self::Unauthorized => {
                let mut response = respond::text(StatusCode::UNAUTHORIZED, "Unauthorized");
                set_header(
                    response.headers_mut(),
                    "www-authenticate",
                    "Basic realm=\"Gerrit Code Review\"",
                );
                response
            }
        }
    }
}

/// The caller: anonymous, or (under `/a/`) an account proven by HTTP Basic
/// with its username and a `sim_…` HTTP password.
struct Caller {
    me: Option<Id>,
    refused: bool,
    /// Gerrit pretty-prints unless asked for compact JSON.
    compact: bool,
}

impl FromRequestParts<Arc<SimState>> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<SimState>,
    ) -> Result<Self, Self::Rejection> {
        let authenticated_path = parts.uri.path().starts_with("/a/");
        let me = match basic_credentials(&parts.headers) {
            Some(Ok((user, password))) if state.token_is_valid(&password) => state
                .world
                .accounts
                .iter()
                .find(|a| a.forge == Forge::Gerrit && !a.deleted && a.username == user)
                .map(|a| a.id),
            _ => None,
        };
        let compact = params::header_text(&parts.headers, "accept")
            .is_some_and(|a| a.contains("application/json"))
            || parts
                .uri
                .query()
                .is_some_and(|q| q.split('&').any(|p| p == "pp=0"));
        Ok(Self {
            me: me.filter(|_| authenticated_path),
            refused: authenticated_path && me.is_none(),
            compact,
        })
    }
}

/// A JSON answer behind Gerrit's XSSI guard line.
fn reply(caller: &Caller, outcome: Result<Value, Failure>) -> Response {
    if caller.refused {
        return Failure::Unauthorized.into_response();
    }
    match outcome {
        Ok(body) => {
            let json = if caller.compact {
                serde_json::to_string(&body)
            } else {
                serde_json::to_string_pretty(&body)
            }
            .unwrap_or_default();
            let mut response = respond::bytes(
                StatusCode::OK,
                "application/json; charset=utf-8",
                format!(")]}}'\n{json}\n").into_bytes(),
            );
            set_header(response.headers_mut(), "content-disposition", "attachment");
            response
        }
        Err(failure) => failure.into_response(),
    }
}

fn values<'a>(pairs: &'a [(String, String)], key: &'a str) -> impl Iterator<Item = &'a str> {
    pairs
        .iter()
        .filter(move |(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn number(pairs: &[(String, String)], keys: &[&str]) -> Result<Option<usize>, Failure> {
    keys.iter()
        .find_map(|key| values(pairs, key).next())
        .map(|v| {
            v.parse().map_err(|_| {
                Failure::BadRequest(format!("\"{v}\" is not a valid value for \"-n\""))
            })
        })
        .transpose()
}

/// One page of a result list, with `more_key` set on the last item when
/// more exist beyond it.
fn page(mut items: Vec<Value>, skip: usize, limit: usize, more_key: &str) -> Value {
    let total = items.len();
    let mut page: Vec<Value> = items.drain(skip.min(total)..).take(limit).collect();
    if skip + page.len() < total
        && let Some(Value::Object(last)) = page.last_mut()
    {
        last.insert(more_key.to_owned(), json!(true));
    }
    Value::Array(page)
}

/// `GET /changes/?q=…&n=…&S=…&o=…`: newest update first. Several `q`
/// give an array of arrays, one per query.
async fn changes(State(state): Shared, caller: Caller, Query(pairs): Pairs) -> Response {
    reply(
        &caller,
        query_changes(&state.world, state.as_of(), &caller, &pairs),
    )
}

fn query_changes(
    world: &World,
    at: DateTime<Utc>,
    caller: &Caller,
    pairs: &[(String, String)],
) -> Result<Value, Failure> {
    let options = Options::parse(values(pairs, "o")).map_err(Failure::BadRequest)?;
    let skip = number(pairs, &["S", "start"])?.unwrap_or(0);
    let n = number(pairs, &["n"])?;
    let queries: Vec<&str> = values(pairs, "q").collect();
    let mut results = Vec::new();
    for text in if queries.is_empty() {
        vec!["status:open"]
    } else {
        queries.clone()
    } {
        let query = ChangeQuery::parse(text, world, caller.me).map_err(Failure::BadRequest)?;
        // As the changes stood at the clock's instant.
        let mut found: Vec<_> = world
            .changes
            .iter()
            .filter(|c| world.repo(c.repo).forge == Forge::Gerrit)
            .filter_map(|c| c.as_of(at))
            .filter(|c| query.matches(world, c))
            .collect();
        found.sort_by_key(|c| std::cmp::Reverse((c.updated_at, c.number)));
        let limit = [n, query.limit(), Some(QUERY_LIMIT)]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(QUERY_LIMIT);
        let items = found
            .iter()
            .map(|c| shapes::change(world, c, options))
            .collect();
        results.push(page(items, skip, limit, "_more_changes"));
    }
    Ok(if queries.len() > 1 {
        Value::Array(results)
    } else {
        results.pop().unwrap_or(Value::Array(Vec::new()))
    })
}

/// A change by `project~number` or bare number.
fn find_change<'w>(world: &'w World, id: &str) -> Result<&'w crate::world::ChangeRequest, Failure> {
    let (project, number) = match id.rsplit_once('~') {
        Some((project, number)) => (Some(project.replace("%2F", "/")), number),
        None => (None, id),
    };
    let number: Option<u32> = number.parse().ok();
    world
        .changes
        .iter()
        .filter(|c| world.repo(c.repo).forge == Forge::Gerrit)
        .find(|c| {
            Some(c.number) == number
                && project
                    .as_deref()
                    .is_none_or(|p| world.repo(c.repo).name == p)
        })
        .ok_or_else(|| Failure::NotFound(format!("Not found: {id}")))
}

async fn change(
    State(state): Shared,
    caller: Caller,
    Path(id): Path<String>,
    Query(pairs): Pairs,
) -> Response {
    let outcome = Options::parse(values(&pairs, "o"))
        .map_err(Failure::BadRequest)
        .and_then(|options| {
            find_change(&state.world, &id).map(|c| shapes::change(&state.world, c, options))
        });
    reply(&caller, outcome)
}

/// `/detail` is the change with labels, detailed accounts and messages.
async fn change_detail(State(state): Shared, caller: Caller, Path(id): Path<String>) -> Response {
    let options = Options {
        detailed_accounts: true,
        labels: true,
        detailed_labels: true,
        messages: true,
        current_revision: false,
    };
    let outcome = find_change(&state.world, &id).map(|c| shapes::change(&state.world, c, options));
    reply(&caller, outcome)
}

fn find_account<'w>(world: &'w World, caller: &Caller, id: &str) -> Result<&'w Account, Failure> {
    if id == "self" {
        return caller
            .me
            .map(|me| world.account(me))
            .ok_or_else(|| Failure::NotFound("Not found: self".into()));
    }
    world
        .accounts
        .iter()
        .find(|a| a.forge == Forge::Gerrit && answers_to(a, id))
        .ok_or_else(|| Failure::NotFound(format!("Account '{id}' not found")))
}

async fn account(State(state): Shared, caller: Caller, Path(id): Path<String>) -> Response {
    let outcome = find_account(&state.world, &caller, &id).map(|a| shapes::account_page(a, false));
    reply(&caller, outcome)
}

async fn account_detail(State(state): Shared, caller: Caller, Path(id): Path<String>) -> Response {
    let outcome = find_account(&state.world, &caller, &id).map(|a| shapes::account_page(a, true));
    reply(&caller, outcome)
}

/// `GET /accounts/?q=…` with `username:`, `email:`, `name:` or a bare word
/// (which matches any of them), `n`, `S` and `o=DETAILS`.
async fn accounts(State(state): Shared, caller: Caller, Query(pairs): Pairs) -> Response {
    let outcome = (|| {
        let text = values(&pairs, "q")
            .next()
            .ok_or_else(|| Failure::BadRequest("missing query field".into()))?;
        let detailed = values(&pairs, "o").any(|o| o == "DETAILS" || o == "ALL_EMAILS");
        let (field, wanted) = text.split_once(':').unwrap_or(("", text));
        if !matches!(field, "" | "username" | "email" | "name") {
            return Err(Failure::BadRequest(format!("Unsupported operator {text}")));
        }
        let wanted = wanted.trim_matches('"').to_lowercase();
        let is_match = |a: &Account| {
            let by_username = a.username.to_lowercase() == wanted;
            let by_email = a.email.to_lowercase() == wanted;
            let by_name = a.display_name.to_lowercase().contains(&wanted);
            match field {
                "username" => by_username,
                "email" => by_email,
                "name" => by_name,
                _ => by_username || by_email || by_name,
            }
        };
        let items = state
            .world
            .accounts
            .iter()
            .filter(|a| a.forge == Forge::Gerrit && !a.deleted && is_match(a))
            .map(|a| shapes::account(a, detailed))
            .collect();
        let skip = number(&pairs, &["S", "start"])?.unwrap_or(0);
        let limit = number(&pairs, &["n"])?
            .unwrap_or(QUERY_LIMIT)
            .min(QUERY_LIMIT);
        Ok(page(items, skip, limit, "_more_accounts"))
    })();
    reply(&caller, outcome)
}

/// `GET /projects/`: a map from name to `ProjectInfo`, filtered by `p`
/// (prefix) or `m` (substring), with `d` for descriptions, `n` and `S`.
async fn projects(State(state): Shared, caller: Caller, Query(pairs): Pairs) -> Response {
    let outcome = (|| {
        let prefix = values(&pairs, "p").next().unwrap_or("");
        let substring = values(&pairs, "m").next().unwrap_or("").to_lowercase();
        let describe = pairs.iter().any(|(k, _)| k == "d" || k == "description");
        let skip = number(&pairs, &["S", "start"])?.unwrap_or(0);
        let limit = number(&pairs, &["n"])?.unwrap_or(usize::MAX);
        let mut repos: Vec<_> = state
            .world
            .repos
            .iter()
            .filter(|r| r.forge == Forge::Gerrit && !r.deleted)
            .filter(|r| r.name.starts_with(prefix) && r.name.to_lowercase().contains(&substring))
            .collect();
        repos.sort_by(|a, b| a.name.cmp(&b.name));
        let map: Map<String, Value> = repos
            .into_iter()
            .skip(skip)
            .take(limit)
            .map(|r| {
                (
                    r.name.clone(),
                    shapes::project(&state.base_url, r, describe),
                )
            })
            .collect();
        Ok(Value::Object(map))
    })();
    reply(&caller, outcome)
}

async fn version(caller: Caller) -> Response {
    reply(&caller, Ok(json!("3.10.1")))
}
