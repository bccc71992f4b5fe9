//! Phabricator's Conduit API: `POST /api/<method>` answering
//! `{result, error_code, error_info}` with HTTP 200 even for errors. The
//! `*.search` methods share constraints, attachments and `after` cursors
//! with a page limit of 100.

mod conduit;
pub mod shapes;

use std::borrow::Cow;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::server::SimState;
use crate::server::respond;
use crate::world::{Account, ChangeRequest, Forge, Issue, ReviewState, World};
use conduit::Call;
use shapes::{Project, Transaction};

pub fn router() -> Router<Arc<SimState>> {
    Router::new().route("/api/{method}", post(call))
}

/// A failed call: Conduit's error code and message.
struct Failure {
    code: &'static str,
    info: String,
}

impl Failure {
    fn core(info: impl Into<String>) -> Self {
        Self {
            code: "ERR-CONDUIT-CORE",
            info: info.into(),
        }
    }
}

type Outcome = Result<Value, Failure>;

async fn call(
    State(state): State<Arc<SimState>>,
    Path(method): Path<String>,
    body: Bytes,
) -> Response {
    let outcome = Call::parse(&body)
        .map_err(Failure::core)
        .and_then(|call| dispatch(&state, &method, &call));
    let envelope = match outcome {
        Ok(result) => json!({ "result": result, "error_code": null, "error_info": null }),
        Err(failure) => {
            json!({ "result": null, "error_code": failure.code, "error_info": failure.info })
        }
    };
    respond::json(StatusCode::OK, &envelope)
}

/// Conduit API tokens are 32 characters with a known prefix.
fn check_token(token: Option<&str>) -> Result<&str, Failure> {
    let token = token.ok_or(Failure {
        code: "ERR-INVALID-SESSION",
        info: "Session key is not present.".into(),
    })?;
    let invalid = |why: &str| Failure {
        code: "ERR-INVALID-AUTH",
        info: format!("API token \"{token}\" {why}"),
    };
    if token.len() != 32 {
        return Err(invalid(
            "has the wrong length. API tokens should be 32 characters long.",
        ));
    }
    if !["api-", "cli-"].iter().any(|p| token.starts_with(p)) {
        return Err(invalid(
            "has the wrong format. API tokens should begin with \"api-\".",
        ));
    }
    Ok(token)
}

fn dispatch(state: &SimState, method: &str, call: &Call) -> Outcome {
    let token = check_token(call.token.as_deref())?;
    let world = &state.world;
    let search = Search::new(&call.params)?;
    match method {
        "conduit.ping" => Ok(json!("phabricator.sim")),
        "user.whoami" => {
            let account = state
                .token_owner(token)
                .map(|id| world.account(id))
                .or_else(|| live_accounts(world).next())
                .ok_or_else(|| Failure::core("No user."))?;
            Ok(shapes::whoami(&state.base_url, account))
        }
        "user.search" => users(world, &search),
        "project.search" => projects(world, &search),
        "maniphest.search" => tasks(state, &search),
        "differential.revision.search" => revisions(state, &search),
        "diffusion.repository.search" => repositories(state, &search),
        "transaction.search" => transactions(state, &call.params, &search),
        _ => Err(Failure {
            code: "ERR-CONDUIT-CALL",
            info: format!("Conduit method \"{method}\" does not exist."),
        }),
    }
}

fn live_accounts(world: &World) -> impl Iterator<Item = &Account> {
    world
        .accounts
        .iter()
        .filter(|a| a.forge == Forge::Phabricator)
}

/// The parameters every `*.search` method shares.
struct Search {
    constraints: Map<String, Value>,
    attachments: Map<String, Value>,
    limit: usize,
    after: Option<u64>,
    before: Option<u64>,
}

const PAGE_LIMIT: i64 = 100;

impl Search {
    fn new(params: &Map<String, Value>) -> Result<Self, Failure> {
        let object = |key: &str| match params.get(key) {
            Some(Value::Object(map)) => map.clone(),
            _ => Map::new(),
        };
        let limit = match params.get("limit") {
            None => PAGE_LIMIT,
            Some(value) => integer(value)
                .ok_or_else(|| Failure::core("Parameter \"limit\" is not an integer."))?,
        };
        if limit > PAGE_LIMIT {
            return Err(Failure::core(format!(
                "Maximum page size for Conduit API method calls is {PAGE_LIMIT}, but this call specified {limit}."
            )));
        }
        if limit < 1 {
            return Err(Failure::core("Page size must be at least 1."));
        }
        let cursor = |key: &str| {
            params
                .get(key)
                .filter(|v| !v.is_null())
                .and_then(integer)
                .and_then(|n| u64::try_from(n).ok())
        };
        Ok(Self {
            constraints: object("constraints"),
            attachments: object("attachments"),
            // Checked above to lie within 1..=PAGE_LIMIT.
            limit: usize::try_from(limit).unwrap_or(1),
            after: cursor("after"),
            before: cursor("before"),
        })
    }

    /// Refuses constraints the method does not know, as Conduit does.
    fn allow(&self, known: &[&str]) -> Result<(), Failure> {
        match self
            .constraints
            .keys()
            .find(|k| !known.contains(&k.as_str()))
        {
            Some(key) => Err(Failure::core(format!(
                "Constraint \"{key}\" is not a valid constraint for this query."
            ))),
            None => Ok(()),
        }
    }

    fn strings(&self, key: &str) -> Option<Vec<String>> {
        match self.constraints.get(key)? {
            Value::Array(items) => Some(
                items
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                    .collect(),
            ),
            Value::String(one) => Some(vec![one.clone()]),
            _ => None,
        }
    }

    /// A constraint naming users, as PHIDs: Phabricator resolves usernames
    /// there too (its user datasource), so `["alice", "PHID-USER-…"]` both
    /// match. A name nobody has matches nothing. `none()` stays as it is.
    fn users(&self, world: &World, key: &str) -> Option<Vec<String>> {
        Some(
            self.strings(key)?
                .into_iter()
                .map(|entry| {
                    if entry.starts_with("PHID-") || entry == "none()" {
                        return entry;
                    }
                    world
                        .accounts
                        .iter()
                        .find(|a| {
                            a.forge == Forge::Phabricator && a.username.eq_ignore_ascii_case(&entry)
                        })
                        .map_or(entry, |a| shapes::user_phid(a.id))
                })
                .collect(),
        )
    }

    fn ids(&self) -> Option<Vec<u64>> {
        self.strings("ids")
            .map(|ids| ids.iter().filter_map(|i| i.parse().ok()).collect())
    }

    fn epoch(&self, key: &str) -> Option<i64> {
        self.constraints.get(key).and_then(integer)
    }

    fn attached(&self, key: &str) -> bool {
        self.attachments.get(key).is_some_and(|v| match v {
            Value::Bool(b) => *b,
            Value::String(s) => s == "1" || s == "true",
            Value::Number(n) => n.as_i64() != Some(0),
            _ => false,
        })
    }

    /// Whether `value` passes the `start`/`end` epoch constraints.
    fn in_window(&self, start: &str, end: &str, value: i64) -> bool {
        self.epoch(start).is_none_or(|s| value >= s) && self.epoch(end).is_none_or(|e| value <= e)
    }

    /// `{data, maps, query, cursor}` for items keyed by id, newest first.
    fn page(&self, mut items: Vec<(u64, Value)>) -> Value {
        items.sort_by_key(|(id, _)| std::cmp::Reverse(*id));
        let mut items: Vec<(u64, Value)> = match (self.after, self.before) {
            (Some(after), _) => items.into_iter().filter(|(id, _)| *id < after).collect(),
            (None, Some(before)) => {
                let mut newer: Vec<_> = items.into_iter().filter(|(id, _)| *id > before).collect();
                let keep = newer.len().saturating_sub(self.limit);
                newer.drain(..keep);
                newer
            }
            (None, None) => items,
        };
        let more = items.len() > self.limit;
        items.truncate(self.limit);
        let after = more
            .then(|| items.last().map(|(id, _)| id.to_string()))
            .flatten();
        let before = (self.after.is_some() || self.before.is_some())
            .then(|| items.first().map(|(id, _)| id.to_string()))
            .flatten();
        json!({
            "data": items.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
            "maps": {},
            "query": { "queryKey": null },
            "cursor": { "limit": self.limit, "after": after, "before": before, "order": null },
        })
    }
}

fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn users(world: &World, search: &Search) -> Outcome {
    search.allow(&["ids", "phids", "usernames", "nameLike", "isDisabled"])?;
    let ids = search.ids();
    let phids = search.strings("phids");
    let usernames = search.strings("usernames");
    let like = search
        .strings("nameLike")
        .and_then(|v| v.first().map(|s| s.to_lowercase()));
    let items = live_accounts(world)
        .filter(|a| {
            ids.as_ref()
                .is_none_or(|ids| ids.contains(&u64::from(a.id)))
        })
        .filter(|a| {
            phids
                .as_ref()
                .is_none_or(|p| p.contains(&shapes::user_phid(a.id)))
        })
        .filter(|a| {
            usernames
                .as_ref()
                .is_none_or(|u| u.iter().any(|n| n.eq_ignore_ascii_case(&a.username)))
        })
        .filter(|a| {
            like.as_ref().is_none_or(|l| {
                a.username.to_lowercase().contains(l) || a.display_name.to_lowercase().contains(l)
            })
        })
        .map(|a| (u64::from(a.id), shapes::user(a)))
        .collect();
    Ok(search.page(items))
}

fn all_projects(world: &World) -> Vec<Project<'_>> {
    let labels = crate::world::all_labels()
        .enumerate()
        .map(|(index, name)| Project::Label(index, name));
    let repos = world
        .repos
        .iter()
        .filter(|r| r.forge == Forge::Phabricator && !r.deleted)
        .map(Project::Repository);
    labels.chain(repos).collect()
}

fn projects(world: &World, search: &Search) -> Outcome {
    search.allow(&["ids", "phids", "slugs", "name", "query"])?;
    let ids = search.ids();
    let phids = search.strings("phids");
    let name = search
        .strings("name")
        .and_then(|v| v.first().map(|s| s.to_lowercase()));
    let items = all_projects(world)
        .into_iter()
        .filter(|p| ids.as_ref().is_none_or(|ids| ids.contains(&p.id())))
        .filter(|p| phids.as_ref().is_none_or(|list| list.contains(&p.phid())))
        .filter(|p| {
            name.as_ref()
                .is_none_or(|n| p.name().to_lowercase().contains(n))
        })
        .map(|p| (p.id(), shapes::project(p)))
        .collect();
    Ok(search.page(items))
}

/// The tasks as they stood at `at` (the simulator's clock).
fn phabricator_issues(world: &World, at: DateTime<Utc>) -> impl Iterator<Item = Cow<'_, Issue>> {
    world
        .issues
        .iter()
        .filter(|i| world.repo(i.repo).forge == Forge::Phabricator)
        .filter_map(move |i| i.as_of(at))
}

fn tasks(state: &SimState, search: &Search) -> Outcome {
    let world = &state.world;
    search.allow(&[
        "ids",
        "phids",
        "authorPHIDs",
        "assigned",
        "statuses",
        "projects",
        "subscribers",
        "createdStart",
        "createdEnd",
        "modifiedStart",
        "modifiedEnd",
        "closedStart",
        "closedEnd",
    ])?;
    let subscribers = search.users(world, "subscribers");
    let ids = search.ids();
    let phids = search.strings("phids");
    let authors = search.users(world, "authorPHIDs");
    // Phabricator's `assigned`: owners by PHID or username, `none()` for
    // tasks nobody owns.
    let owners = search.users(world, "assigned");
    let statuses = search.strings("statuses");
    let projects = search.strings("projects");
    let items = phabricator_issues(world, state.as_of())
        .filter(|i| {
            ids.as_ref()
                .is_none_or(|ids| ids.contains(&u64::from(i.id)))
        })
        .filter(|i| {
            phids
                .as_ref()
                .is_none_or(|p| p.contains(&shapes::task_phid(i)))
        })
        .filter(|i| {
            authors
                .as_ref()
                .is_none_or(|a| a.contains(&shapes::user_phid(i.author)))
        })
        .filter(|i| {
            owners.as_ref().is_none_or(|o| match i.assignees.first() {
                Some(owner) => o.contains(&shapes::user_phid(*owner)),
                None => o.iter().any(|n| n == "none()"),
            })
        })
        .filter(|i| {
            statuses
                .as_ref()
                .is_none_or(|s| s.iter().any(|s| s == shapes::task_status(i)))
        })
        .filter(|i| {
            projects.as_ref().is_none_or(|wanted| {
                let tagged: Vec<String> = shapes::task_projects(world, i)
                    .iter()
                    .map(|p| p.phid())
                    .collect();
                wanted.iter().all(|w| tagged.contains(w))
            })
        })
        .filter(|i| {
            subscribers.as_ref().is_none_or(|wanted| {
                shapes::subscribers(i)
                    .iter()
                    .any(|s| wanted.contains(&shapes::user_phid(*s)))
            })
        })
        .filter(|i| search.in_window("createdStart", "createdEnd", shapes::epoch(i.created_at)))
        .filter(|i| search.in_window("modifiedStart", "modifiedEnd", shapes::epoch(i.updated_at)))
        .map(|i| {
            (
                u64::from(i.id),
                shapes::task(world, &i, search.attached("projects")),
            )
        })
        .collect();
    Ok(search.page(items))
}

/// The revisions as they stood at `at`.
fn phabricator_revisions(
    world: &World,
    at: DateTime<Utc>,
) -> impl Iterator<Item = Cow<'_, ChangeRequest>> {
    world
        .changes
        .iter()
        .filter(|c| world.repo(c.repo).forge == Forge::Phabricator)
        .filter_map(move |c| c.as_of(at))
}

fn revisions(state: &SimState, search: &Search) -> Outcome {
    search.allow(&[
        "ids",
        "phids",
        "authorPHIDs",
        "reviewerPHIDs",
        "repositoryPHIDs",
        "statuses",
        "createdStart",
        "createdEnd",
        "modifiedStart",
        "modifiedEnd",
    ])?;
    let world = &state.world;
    let ids = search.ids();
    let phids = search.strings("phids");
    let authors = search.users(world, "authorPHIDs");
    let reviewers = search.users(world, "reviewerPHIDs");
    let repositories = search.strings("repositoryPHIDs");
    let statuses = search.strings("statuses");
    let items = phabricator_revisions(world, state.as_of())
        .filter(|c| {
            ids.as_ref()
                .is_none_or(|ids| ids.contains(&u64::from(c.id)))
        })
        .filter(|c| {
            phids
                .as_ref()
                .is_none_or(|p| p.contains(&shapes::revision_phid(c)))
        })
        .filter(|c| {
            authors
                .as_ref()
                .is_none_or(|a| a.contains(&shapes::user_phid(c.author)))
        })
        .filter(|c| {
            reviewers.as_ref().is_none_or(|r| {
                c.reviews
                    .iter()
                    .any(|v| r.contains(&shapes::user_phid(v.reviewer)))
            })
        })
        .filter(|c| {
            repositories
                .as_ref()
                .is_none_or(|r| r.contains(&shapes::repository_phid(c.repo)))
        })
        .filter(|c| {
            statuses.as_ref().is_none_or(|s| {
                let (value, _, closed, _) = shapes::revision_status(c);
                s.iter()
                    .any(|s| s == value || (s == "open" && !closed) || (s == "closed" && closed))
            })
        })
        .filter(|c| search.in_window("createdStart", "createdEnd", shapes::epoch(c.created_at)))
        .filter(|c| search.in_window("modifiedStart", "modifiedEnd", shapes::epoch(c.updated_at)))
        .map(|c| {
            (
                u64::from(c.id),
                shapes::revision(&state.base_url, &c, search.attached("reviewers")),
            )
        })
        .collect();
    Ok(search.page(items))
}

fn repositories(state: &SimState, search: &Search) -> Outcome {
    search.allow(&["ids", "phids", "callsigns", "shortNames", "name"])?;
    let ids = search.ids();
    let phids = search.strings("phids");
    let names = search.strings("shortNames");
    let items = state
        .world
        .repos
        .iter()
        .filter(|r| r.forge == Forge::Phabricator && !r.deleted)
        .filter(|r| {
            ids.as_ref()
                .is_none_or(|ids| ids.contains(&u64::from(r.id)))
        })
        .filter(|r| {
            phids
                .as_ref()
                .is_none_or(|p| p.contains(&shapes::repository_phid(r.id)))
        })
        .filter(|r| names.as_ref().is_none_or(|n| n.contains(&r.name)))
        .map(|r| (u64::from(r.id), shapes::repository(&state.base_url, r)))
        .collect();
    Ok(search.page(items))
}

/// `transaction.search` on `T<n>`, `D<n>` or a PHID: what happened to the
/// task or revision, newest first.
fn transactions(state: &SimState, params: &Map<String, Value>, search: &Search) -> Outcome {
    let world = &state.world;
    search.allow(&["phids", "authorPHIDs"])?;
    let identifier = params
        .get("objectIdentifier")
        .and_then(Value::as_str)
        .ok_or_else(|| Failure::core("When calling \"transaction.search\", you must provide an object to retrieve transactions for."))?;
    let unknown = || Failure::core(format!("No object \"{identifier}\" exists."));
    let number = |prefix: char| {
        identifier
            .strip_prefix(prefix)
            .and_then(|n| n.parse::<u32>().ok())
    };
    let mut history = if let Some(issue) = phabricator_issues(world, state.as_of())
        .find(|i| number('T') == Some(i.id) || shapes::task_phid(i) == identifier)
    {
        task_history(&issue)
    } else if let Some(change) = phabricator_revisions(world, state.as_of())
        .find(|c| number('D') == Some(c.id) || shapes::revision_phid(c) == identifier)
    {
        revision_history(&change)
    } else {
        return Err(unknown());
    };
    if let Some(authors) = search.strings("authorPHIDs") {
        history.retain(|tx| authors.contains(&shapes::user_phid(tx.author)));
    }
    let items = history
        .iter()
        .map(|tx| (tx.id, shapes::transaction(tx)))
        .collect();
    Ok(search.page(items))
}

fn task_history(issue: &Issue) -> Vec<Transaction> {
    let object = shapes::task_phid(issue);
    let base = u64::from(issue.id) * 1_000;
    let mut history = vec![Transaction {
        id: base,
        kind: "create",
        author: issue.author,
        object: object.clone(),
        at: issue.created_at,
        comment: None,
    }];
    for (n, comment) in issue.comments.iter().enumerate() {
        history.push(Transaction {
            id: base + 1 + n as u64,
            kind: "comment",
            author: comment.author,
            object: object.clone(),
            at: comment.created_at,
            comment: Some(comment.body.clone()),
        });
    }
    if let Some(closed) = issue.closed_at {
        history.push(Transaction {
            id: base + 999,
            kind: "status",
            author: issue.author,
            object,
            at: closed,
            comment: None,
        });
    }
    history
}

fn revision_history(change: &ChangeRequest) -> Vec<Transaction> {
    let object = shapes::revision_phid(change);
    let base = 500_000_000 + u64::from(change.id) * 1_000;
    let mut history = vec![Transaction {
        id: base,
        kind: "create",
        author: change.author,
        object: object.clone(),
        at: change.created_at,
        comment: None,
    }];
    for (n, review) in change.reviews.iter().enumerate() {
        let (kind, comment) = match review.state {
            ReviewState::Approved => ("accept", None),
            ReviewState::ChangesRequested => ("request-changes", None),
            ReviewState::Commented => ("comment", Some("Looks reasonable.".to_owned())),
        };
        history.push(Transaction {
            id: base + 1 + n as u64,
            kind,
            author: review.reviewer,
            object: object.clone(),
            at: review.submitted_at,
            comment,
        });
    }
    if let Some(closed) = change.closed_at {
        let kind = if change.merged_at.is_some() {
            "close"
        } else {
            "abandon"
        };
        history.push(Transaction {
            id: base + 999,
            kind,
            author: change.author,
            object,
            at: closed,
            comment: None,
        });
    }
    history
}
